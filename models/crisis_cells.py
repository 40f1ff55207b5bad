"""The crisis cell: a Slack channel opened for one crisis (alerts/crisis_cell.py), its timeline of mentions and
actions until someone closes it, the Slack steps that set it up (an outbox), and the post-crisis summary the
channel and the reports both show (computed here, once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.schema import Base, Mention, utcnow

REPLY_ACTION = "reply"  # moderation/workflow.py's audit action for the brand's answer


class CrisisCell(Base):
    """One crisis, from the alert that opened it until someone closes it. A brand has at most one open cell:
    `open_brand_id` holds the brand's id while open (unique), None once closed; a second crisis alert of the
    brand meanwhile joins the open cell's timeline instead of opening another channel."""

    __tablename__ = "crisis_cell"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id"), index=True)
    open_brand_id: Mapped[int | None] = mapped_column(unique=True)
    channel_name: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str | None] = mapped_column(String(100))  # once Slack created (or gave back) the channel
    evidence_ref: Mapped[str | None] = mapped_column(String(200))  # the pinned evidence message
    since: Mapped[datetime]  # when the burst began: the timeline's mentions start here
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))  # "slack:U123", "cli"


class CrisisEvent(Base):
    """One line of a cell's timeline: a crisis alert, a mention, a moderation action, the closing. `key` makes
    each line once per cell, however many workers record it."""

    __tablename__ = "crisis_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("crisis_cell.id"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # "<cell>:mention:<id>", "<cell>:alert:<id>"...
    kind: Mapped[str] = mapped_column(String(20))  # alert / mention / action / closed
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str | None] = mapped_column(String(40))  # the moderation action ("reply", "reject"...)
    text: Mapped[str] = mapped_column(Text, default="")
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mention.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))


class CrisisStep(Base):
    """The outbox of a cell's Slack steps (create the channel, invite, post and pin the evidence, holding
    statements, timeline updates, the closing summary), done in order per cell, each retried until done and
    never done twice: `key` queues it once, a claim by conditional UPDATE sends it once (models/outbox.py)."""

    __tablename__ = "crisis_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("crisis_cell.id"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    step: Mapped[str] = mapped_column(String(40))
    arg: Mapped[str | None] = mapped_column(String(200))  # an alert id, a range of timeline events
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(200))  # what Slack answered: a channel id, a message ref


@dataclass(frozen=True)
class CellSummary:
    """The post-crisis summary: shown in the channel when the cell closes, and in the reports."""

    cell_id: int
    channel: str
    opened_at: datetime
    closed_at: datetime | None  # None: still open at `as_of`
    duration: timedelta
    mentions: int
    peak: int  # the most mentions in one hour of the timeline
    peak_at: datetime | None  # that hour
    reach: int  # the sum of the timeline mentions' reach, where their source gives one
    replies: int
    first_reply_after: timedelta | None  # from the opening to the brand's first answer during the crisis
    closed_by: str | None


def summarise(session: Session, cell: CrisisCell, as_of: datetime) -> CellSummary:
    end = cell.closed_at or as_of
    hours: dict[datetime, int] = {}
    mentions = reach = 0
    rows = session.execute(
        select(CrisisEvent.at, Mention.reach)
        .join(Mention, Mention.id == CrisisEvent.mention_id)
        .where(CrisisEvent.cell_id == cell.id, CrisisEvent.kind == "mention")
    )
    for at, mention_reach in rows:
        mentions += 1
        reach += mention_reach or 0
        hour = at.replace(minute=0, second=0, microsecond=0)
        hours[hour] = hours.get(hour, 0) + 1
    peak_at = max(hours, key=lambda hour: (hours[hour], -hour.timestamp()), default=None)
    replies, first = session.execute(
        select(func.count(), func.min(CrisisEvent.at)).where(
            CrisisEvent.cell_id == cell.id, CrisisEvent.kind == "action", CrisisEvent.action == REPLY_ACTION
        )
    ).one()
    return CellSummary(
        cell_id=cell.id,
        channel=cell.channel_name,
        opened_at=cell.opened_at,
        closed_at=cell.closed_at,
        duration=end - cell.opened_at,
        mentions=mentions,
        peak=hours[peak_at] if peak_at else 0,
        peak_at=peak_at,
        reach=reach,
        replies=replies,
        first_reply_after=(first - cell.opened_at) if first is not None else None,
        closed_by=cell.closed_by,
    )


def duration_words(span: timedelta | None) -> str:
    """ "2 h 05 min", "12 min": how the channel and the reports say a duration."""
    if span is None:
        return "none"
    minutes = max(int(span.total_seconds() // 60), 0)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
