"""The clock-driven part of moderation: automatic approval when its delay has passed, and reply reminders when
an SLA is near or past. Both run as worker jobs and are safe to run twice (conditional updates, dedupe keys)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from models import Alert, AlertKind, Mention, MentionStatus, utcnow
from models.alert_payloads import MentionPayload, Why
from moderation.workflow import WorkflowError, publish

CLOSED = (MentionStatus.REJECTED, MentionStatus.WITHDRAWN)


def publication_deadline(written: datetime | None, collected: datetime, max_delay: timedelta) -> datetime:
    """The latest a review may wait for publication, as the disclosure page words it: `max_delay` after it was
    written (its submission date, or when we collected it if the source gives none). A review that reached us
    only after that date (an old survey export imported late) gets `max_delay` from its reception instead, so a
    moderator still has the time to read it; a date in the future (a wrong clock) counts as its reception."""
    written = min(written or collected, collected)
    deadline = written + max_delay
    return deadline if deadline >= collected else collected + max_delay


def publish_due(
    sessions: sessionmaker[Session], now: datetime | None = None, max_delay: timedelta | None = None
) -> int:
    """Publish every review whose automatic-approval time has come (set by the router in "auto" mode), and every
    review still waiting at its publication deadline (`publication_deadline`, in either mode: a review that passed
    the checks is never held longer than the disclosure page says, whatever it says)."""
    now = now or utcnow()
    auto = "approved automatically: no moderator objected in time"
    overdue = "published automatically: the maximum publication delay was reached without a moderator's decision"
    with sessions() as session:
        due = [
            (mention_id, auto)
            for mention_id in session.scalars(
                select(Mention.id)
                .where(Mention.status == MentionStatus.TO_PUBLISH, Mention.publish_after <= now)
                .order_by(Mention.publish_after)
            )
        ]
        if max_delay is not None:
            # Every deadline falls between written + delay and collected + delay: the query keeps the rows that may
            # be due, the deadline itself decides (a few rows: the publication queue).
            waiting = session.execute(
                select(Mention.id, Mention.published_at, Mention.collected_at)
                .where(
                    Mention.status == MentionStatus.TO_PUBLISH,
                    or_(Mention.published_at <= now - max_delay, Mention.collected_at <= now - max_delay),
                    # A threat or hate (moderation/threats.py) waits for a moderator, whatever the delay: publishing
                    # it unread is worse than a late decision, and its alert has told a human.
                    ~exists().where(Alert.mention_id == Mention.id, Alert.kind == AlertKind.THREAT),
                )
                .order_by(func.coalesce(Mention.published_at, Mention.collected_at), Mention.id)
            ).all()
            due += [
                (mention_id, overdue)
                for mention_id, written, collected in waiting
                if publication_deadline(written, collected, max_delay) <= now and (mention_id, auto) not in due
            ]
    published = 0
    for mention_id, reason in due:
        with sessions.begin() as session:
            try:
                publish(session, mention_id, "auto", reason)
            except WorkflowError:
                continue  # a moderator acted first
        published += 1
    return published


def reply_queue(session: Session) -> list[Mention]:
    """Every mention waiting for the brand's answer, most urgent first."""
    return list(
        session.scalars(
            select(Mention)
            .where(Mention.reply_due_at.is_not(None), Mention.reply_text.is_(None), Mention.status.not_in(CLOSED))
            .order_by(Mention.reply_due_at)
        )
    )


def sla_state(mention: Mention, now: datetime, near: timedelta) -> str | None:
    """'late', 'near' or 'ok' for a mention waiting for a reply; None when nothing is due."""
    if mention.reply_due_at is None or mention.reply_text is not None:
        return None
    if mention.reply_due_at <= now:
        return "late"
    return "near" if mention.reply_due_at - now <= near else "ok"


def remind_replies(sessions: sessionmaker[Session], channel: str, near: timedelta, now: datetime | None = None) -> int:
    """One Slack reminder when a reply is due within `near`, one more when it is late. Returns how many queued."""
    now = now or utcnow()
    queued = 0
    with sessions.begin() as session:
        for mention in reply_queue(session):
            state = sla_state(mention, now, near)
            if state not in ("near", "late"):
                continue
            assert mention.reply_due_at is not None
            # A review collected when its deadline was already near (or past) was announced with it: the first
            # alert said so, and a reminder at once would only repeat it.
            entered = mention.reply_due_at - (near if state == "near" else timedelta(0))
            if entered <= mention.collected_at:
                continue
            key = f"{AlertKind.REPLY_DUE.value}:{state}:mention:{mention.id}"
            if session.scalar(select(Alert.id).where(Alert.dedupe_key == key)) is not None:
                continue
            session.add(
                Alert(
                    brand_id=mention.source.brand_id,
                    mention_id=mention.id,
                    kind=AlertKind.REPLY_DUE,
                    dedupe_key=key,
                    channel=channel,
                    payload=MentionPayload(
                        mention_id=mention.id,
                        source=mention.source.name,
                        url=mention.url,
                        title=mention.title,
                        text=mention.text,
                        rating=mention.rating,
                        rating_best=mention.rating_best,
                        reply_due=mention.reply_due_at.isoformat(),
                        assignee=mention.assignee,
                        why=Why(
                            rule=f"reply_{state}",
                            reason=("reply late since " if state == "late" else "reply due at ")
                            + mention.reply_due_at.isoformat(timespec="minutes"),
                        ),
                    ).to_json(),
                )
            )
            queued += 1
    return queued
