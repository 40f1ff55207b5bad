"""Moderation actions: the functions every front-end calls (the `veilleur queue` CLI, Slack buttons, the console).

Each action moves one mention with a conditional UPDATE on its status, so two moderators acting at once act
once, and writes who did what, when and why to the audit log (DESIGN.md rule 7), with what it changed so
`undo` can put it back within `[moderation] undo_minutes`. The caller owns the session and its transaction.

States: new -> classified -> to_publish / to_reply / rejected / watch -> published / replied / withdrawn /
dismissed (a watched mention seen and closed).
The reply queue is orthogonal to publication: a negative own review with consent waits in to_publish like any
other (sentiment never delays publication, DESIGN.md rule 1) and carries `reply_due_at` until it is answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import (
    Correction,
    Mention,
    MentionStatus,
    ModerationEvent,
    Publication,
    RejectionReason,
    WebhookDelivery,
    utcnow,
)
from models.identity import minimised_name
from models.text import without_controls
from moderation import notify

S = MentionStatus
OPEN = (S.CLASSIFIED, S.TO_PUBLISH, S.TO_REPLY, S.WATCH)
UNDOABLE = {"approve", "reject", "withdraw", "reply", "assign", "handled", "dismiss"}
CORRECTABLE = {
    "sentiment": {"negative", "neutral", "positive"},
    "stars": {"1", "2", "3", "4", "5"},
    "toxic": {"0", "1"},
    "spam": {"0", "1"},
}


class WorkflowError(Exception):
    """The action does not apply to the mention as it is now (already done, wrong state, unknown id)."""


def _get(session: Session, mention_id: int) -> Mention:
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise WorkflowError(f"no mention {mention_id}")
    return mention


def _audit(
    session: Session,
    mention: Mention,
    actor: str,
    action: str,
    reason: str,
    before: MentionStatus,
    undo: dict[str, Any] | None = None,
    **details: Any,
) -> ModerationEvent:
    event = ModerationEvent(
        mention_id=mention.id,
        actor=actor,
        action=action,
        from_status=before.value,
        to_status=mention.status.value,
        reason=reason,
        details={**details, "undo": undo or {}},
    )
    session.add(event)
    return event


def _move(
    session: Session,
    mention_id: int,
    allowed: Iterable[MentionStatus],
    to: MentionStatus,
    action: str,
    **values: object,
) -> tuple[Mention, MentionStatus]:
    mention = _get(session, mention_id)
    before = mention.status
    changed = session.execute(
        update(Mention)
        .where(Mention.id == mention_id, Mention.status.in_(tuple(allowed)))
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise WorkflowError(f"mention {mention_id} is {before.value}: cannot {action} it")
    session.refresh(mention)
    return mention, before


def queue_webhook(session: Session, mention: Mention, event: str) -> None:
    """Tell the brand's site the published feed changed. The body is built when it is sent, from the feed as it
    is then, so the delivery row holds no copy of the review (an erasure leaves nothing behind in it)."""
    session.add(WebhookDelivery(brand_id=mention.source.brand_id, mention_id=mention.id, event=event))


def publish(session: Session, mention_id: int, actor: str, reason: str = "approved for publication") -> Mention:
    """Publish an own review with consent: the text whole, the name minimised (DESIGN.md rules 3 and 5)."""
    mention = _get(session, mention_id)
    if not mention.consent:
        raise WorkflowError(f"mention {mention_id} has no publication consent")
    if not mention.source.own:
        raise WorkflowError(f"mention {mention_id} comes from {mention.source.name}, not the brand's own reviews")
    mention, before = _move(session, mention_id, (S.TO_PUBLISH,), S.PUBLISHED, "approve", publish_after=None)
    display = minimised_name(mention.author.name if mention.author else None)
    existing = session.scalar(select(Publication).where(Publication.mention_id == mention_id))
    if existing is None:
        session.add(Publication(mention_id=mention_id, display_name=display, approved_by=actor))
    else:  # published again after an undo or a withdrawal
        existing.published_at, existing.withdrawn_at, existing.approved_by = utcnow(), None, actor
    _audit(session, mention, actor, "approve", reason, before, undo={"publish_after": _iso(mention.publish_after)})
    queue_webhook(session, mention, "published")
    return mention


approve = publish


def reject(session: Session, mention_id: int, actor: str, reason: RejectionReason, note: str = "") -> Mention:
    """Reject with one reason from the fixed list (DESIGN.md rule 2); a published review is withdrawn. The
    author is told why when we know how to reach them."""
    current = _get(session, mention_id)
    if current.status == S.PUBLISHED:
        mention, before = _move(session, mention_id, (S.PUBLISHED,), S.WITHDRAWN, "withdraw", rejection_reason=reason)
        session.execute(update(Publication).where(Publication.mention_id == mention_id).values(withdrawn_at=utcnow()))
        _audit(session, mention, actor, "withdraw", note or reason.value, before, rejection=reason.value)
        queue_webhook(session, mention, "withdrawn")
    else:
        mention, before = _move(session, mention_id, OPEN, S.REJECTED, "reject", rejection_reason=reason)
        _audit(
            session,
            mention,
            actor,
            "reject",
            note or reason.value,
            before,
            undo={"publish_after": _iso(current.publish_after)},
            rejection=reason.value,
        )
    notify.queue_rejection_notice(session, mention, reason)
    return mention


def reply(session: Session, mention_id: int, actor: str, text: str) -> Mention:
    """Record the brand's answer (DESIGN.md rule 4). A third-party review leaves the reply queue as replied; an
    own review keeps its publication state and shows the answer beside it."""
    text = without_controls(text).strip()
    if not text:
        raise WorkflowError("an empty reply")
    mention = _get(session, mention_id)
    if mention.status in (S.REJECTED, S.WITHDRAWN, S.NEW, S.CLASSIFIED):
        raise WorkflowError(f"mention {mention_id} is {mention.status.value}: cannot reply to it")
    undo = {"reply_text": mention.reply_text, "reply_at": _iso(mention.reply_at)}
    before: MentionStatus = mention.status
    if mention.status == S.TO_REPLY:
        mention, before = _move(session, mention_id, (S.TO_REPLY,), S.REPLIED, "reply")
    mention.reply_text, mention.reply_at = text, utcnow()
    _audit(session, mention, actor, "reply", "replied", before, undo=undo)
    if mention.status == S.PUBLISHED:
        queue_webhook(session, mention, "updated")
    return mention


# Nothing left to do on these: an assignment would put a closed case on someone's list (a Slack message keeps
# its buttons after the mention was handled, so a late click must be told, not obeyed).
CLOSED = (S.REJECTED, S.WITHDRAWN, S.DISMISSED, S.REPLIED)


def assign(session: Session, mention_id: int, actor: str, assignee: str) -> Mention:
    mention = _get(session, mention_id)
    if mention.status in CLOSED:
        raise WorkflowError(f"mention {mention_id} is {mention.status.value}: nothing left to assign")
    undo = {"assignee": mention.assignee}
    mention.assignee = without_controls(assignee).strip() or None
    _audit(session, mention, actor, "assign", f"assigned to {mention.assignee}", mention.status, undo=undo)
    return mention


def assignee(session: Session, mention_id: int) -> str | None:
    return _get(session, mention_id).assignee


def mark_handled(session: Session, mention_id: int, actor: str) -> Mention:
    """The brand answered elsewhere (on the platform, by phone): the reply queue is done with it. A watched
    mention is dismissed: "handled" on the Flagged queue used to answer "done" and leave it there."""
    mention = _get(session, mention_id)
    if mention.status == S.WATCH:
        return dismiss(session, mention_id, actor, "handled outside Veilleur")
    undo = {"reply_due_at": _iso(mention.reply_due_at)}
    before: MentionStatus = mention.status
    if mention.status == S.TO_REPLY:
        mention, before = _move(session, mention_id, (S.TO_REPLY,), S.REPLIED, "handled")
    elif mention.reply_due_at is None:
        raise WorkflowError(f"mention {mention_id} is not waiting for a reply")
    mention.reply_due_at = None
    _audit(session, mention, actor, "handled", "handled outside Veilleur", before, undo=undo)
    return mention


def dismiss(session: Session, mention_id: int, actor: str, reason: str = "seen: nothing to do") -> Mention:
    """Take a watched (flagged) mention out of its queue: seen, nothing more to do. Kept, and undoable."""
    current = _get(session, mention_id)
    undo = {"reply_due_at": _iso(current.reply_due_at)}
    mention, before = _move(session, mention_id, (S.WATCH,), S.DISMISSED, "dismiss", reply_due_at=None)
    _audit(session, mention, actor, "dismiss", reason, before, undo=undo)
    return mention


def correct(session: Session, mention_id: int, actor: str, task: str, label: str) -> Correction:
    """A moderator's correction of the classifier, stored as a training label (`veilleur model train` reads it)."""
    if task not in CORRECTABLE:
        raise WorkflowError(f"unknown task {task!r}: one of {', '.join(CORRECTABLE)}")
    if label not in CORRECTABLE[task]:
        raise WorkflowError(f"label {label!r} for {task}: one of {', '.join(sorted(CORRECTABLE[task]))}")
    mention = _get(session, mention_id)
    correction = Correction(mention_id=mention_id, task=task, label=label, actor=actor)
    session.add(correction)
    _audit(session, mention, actor, "correct", f"{task} is {label}", mention.status, task=task, label=label)
    return correction


def undo(session: Session, mention_id: int, actor: str, window: timedelta, now: datetime | None = None) -> Mention:
    """Put back the last human action on this mention if it is younger than `window` and nothing came after it."""
    now = now or utcnow()
    mention = _get(session, mention_id)
    last = session.scalars(
        select(ModerationEvent)
        .where(ModerationEvent.mention_id == mention_id, ModerationEvent.action != "correct")
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    ).first()
    restore: Callable[[Session, Mention, ModerationEvent], None]
    if last is not None and _held_rejection(last):
        # An automatic rejection is held for a moderator ([moderation] hold_auto_reject_hours), not undo_minutes.
        if now >= datetime.fromisoformat(last.details["held_until"]):
            raise WorkflowError(f"mention {mention_id}: the automatic rejection's hold is over: it is final")
        restore = _undo_held_rejection
    elif last is None or last.action not in UNDOABLE or last.actor == "policy":
        raise WorkflowError(f"mention {mention_id}: nothing to undo")
    elif now - last.at > window:
        raise WorkflowError(f"mention {mention_id}: the last action ({last.action}) is older than the undo window")
    else:
        restore = _UNDO[last.action]
    before = mention.status
    restore(session, mention, last)
    session.flush()
    session.refresh(mention)
    _audit(session, mention, actor, "undo", f"undid {last.action} #{last.id}", before, undone=last.id)
    return mention


def _held_rejection(event: ModerationEvent) -> bool:
    return (
        event.actor == "policy"
        and event.action == "route"
        and event.to_status == S.REJECTED.value
        and bool(event.details.get("held_until"))
    )


def held_until(session: Session, mention_id: int, now: datetime | None = None) -> datetime | None:
    """Until when the automatic rejection of this mention can still be undone; None if it is not one, or final."""
    last = session.scalars(
        select(ModerationEvent)
        .where(ModerationEvent.mention_id == mention_id, ModerationEvent.action != "correct")
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    ).first()
    if last is None or not _held_rejection(last):
        return None
    until = datetime.fromisoformat(last.details["held_until"])
    return until if (now or utcnow()) < until else None


def _undo_held_rejection(session: Session, mention: Mention, event: ModerationEvent) -> None:
    """Back to the queue the policy would have chosen without the abuse and spam scores; the author never hears."""
    undo = event.details["undo"]
    values = {"status": S(undo["status"]), "rejection_reason": None, "reply_due_at": _date(undo.get("reply_due_at"))}
    changed = session.execute(
        update(Mention)
        .where(Mention.id == mention.id, Mention.status == S.REJECTED)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise WorkflowError(f"mention {mention.id} is {mention.status.value}: cannot undo its rejection")
    notify.cancel_rejection_notice(session, mention)


def _status_back(session: Session, mention: Mention, event: ModerationEvent, **values: object) -> None:
    assert event.from_status and event.to_status
    _move(session, mention.id, (S(event.to_status),), S(event.from_status), "undo", **values)


def _undo_approve(session: Session, mention: Mention, event: ModerationEvent) -> None:
    _status_back(session, mention, event, publish_after=_date(event.details["undo"].get("publish_after")))
    session.execute(update(Publication).where(Publication.mention_id == mention.id).values(withdrawn_at=utcnow()))
    queue_webhook(session, mention, "withdrawn")


def _undo_reject(session: Session, mention: Mention, event: ModerationEvent) -> None:
    undo = event.details["undo"]
    _status_back(session, mention, event, rejection_reason=None, publish_after=_date(undo.get("publish_after")))
    notify.cancel_rejection_notice(session, mention)


def _undo_withdraw(session: Session, mention: Mention, event: ModerationEvent) -> None:
    _status_back(session, mention, event, rejection_reason=None)
    session.execute(update(Publication).where(Publication.mention_id == mention.id).values(withdrawn_at=None))
    notify.cancel_rejection_notice(session, mention)
    queue_webhook(session, mention, "published")


def _undo_reply(session: Session, mention: Mention, event: ModerationEvent) -> None:
    undo = event.details["undo"]
    if event.from_status != event.to_status:
        _status_back(session, mention, event)
    mention.reply_text, mention.reply_at = undo.get("reply_text"), _date(undo.get("reply_at"))
    if mention.status == S.PUBLISHED:
        queue_webhook(session, mention, "updated")


def _undo_assign(session: Session, mention: Mention, event: ModerationEvent) -> None:
    mention.assignee = event.details["undo"].get("assignee")


def _undo_handled(session: Session, mention: Mention, event: ModerationEvent) -> None:
    if event.from_status != event.to_status:
        _status_back(session, mention, event)
    mention.reply_due_at = _date(event.details["undo"].get("reply_due_at"))


_UNDO: dict[str, Callable[[Session, Mention, ModerationEvent], None]] = {
    "approve": _undo_approve,
    "reject": _undo_reject,
    "withdraw": _undo_withdraw,
    "reply": _undo_reply,
    "assign": _undo_assign,
    "handled": _undo_handled,
    "dismiss": _undo_handled,  # the same: the status back, and the deadline it had
}


@dataclass
class BulkResult:
    done: list[int]
    failed: dict[int, str]


def bulk(session: Session, mention_ids: Iterable[int], action: Callable[[int], object]) -> BulkResult:
    """Apply `action` to each id; one that does not apply is reported and leaves the others done."""
    result = BulkResult([], {})
    for mention_id in mention_ids:
        try:
            with session.begin_nested():
                action(mention_id)
            result.done.append(mention_id)
        except WorkflowError as error:
            result.failed[mention_id] = str(error)
    return result


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
