"""Moderation actions: the functions every front-end calls (Slack buttons now; the CLI queue and the console
later). Each moves a mention with a conditional UPDATE on its status, so two moderators acting at once act
once, and writes who did what, when and why to the audit log (DESIGN.md rule 7)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Mention, MentionStatus, ModerationEvent, Publication, RejectionReason, utcnow
from models.identity import minimised_name

S = MentionStatus
OPEN = (S.CLASSIFIED, S.TO_PUBLISH, S.TO_REPLY, S.WATCH)


class WorkflowError(Exception):
    """The action does not apply to the mention as it is now (already done, wrong state, unknown id)."""


def _move(
    session: Session,
    mention_id: int,
    allowed: Iterable[MentionStatus],
    to: MentionStatus,
    actor: str,
    action: str,
    reason: str,
    **values: object,
) -> Mention:
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise WorkflowError(f"no mention {mention_id}")
    allowed = tuple(allowed)
    before = mention.status
    changed = session.execute(
        update(Mention)
        .where(Mention.id == mention_id, Mention.status.in_(allowed))
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise WorkflowError(f"mention {mention_id} is {before.value}: cannot {action} it")
    session.add(
        ModerationEvent(
            mention_id=mention_id,
            actor=actor,
            action=action,
            from_status=before.value,
            to_status=to.value,
            reason=reason,
        )
    )
    session.refresh(mention)
    return mention


def approve(session: Session, mention_id: int, actor: str) -> Mention:
    """Publish an own review with consent (the text whole, the name minimised)."""
    mention = session.get(Mention, mention_id)
    if mention is not None and not mention.consent:
        raise WorkflowError(f"mention {mention_id} has no publication consent")
    mention = _move(session, mention_id, (S.TO_PUBLISH,), S.PUBLISHED, actor, "approve", "approved for publication")
    display = minimised_name(mention.author.name if mention.author else None)
    session.add(Publication(mention_id=mention_id, display_name=display))
    return mention


def reject(session: Session, mention_id: int, actor: str, reason: RejectionReason, note: str = "") -> Mention:
    """Reject with one reason from the fixed list (DESIGN.md rule 2); a published review is withdrawn."""
    mention = session.get(Mention, mention_id)
    if mention is not None and mention.status == S.PUBLISHED:
        withdrawn = _move(
            session, mention_id, (S.PUBLISHED,), S.WITHDRAWN, actor, "withdraw", reason.value, rejection_reason=reason
        )
        session.execute(update(Publication).where(Publication.mention_id == mention_id).values(withdrawn_at=utcnow()))
        return withdrawn
    return _move(session, mention_id, OPEN, S.REJECTED, actor, "reject", note or reason.value, rejection_reason=reason)


def assign(session: Session, mention_id: int, actor: str, assignee: str) -> Mention:
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise WorkflowError(f"no mention {mention_id}")
    session.add(
        ModerationEvent(
            mention_id=mention_id,
            actor=actor,
            action="assign",
            from_status=mention.status.value,
            to_status=mention.status.value,
            reason=f"assigned to {assignee}",
            details={"assignee": assignee},
        )
    )
    return mention


def assignee(session: Session, mention_id: int) -> str | None:
    event = session.scalars(
        select(ModerationEvent)
        .where(ModerationEvent.mention_id == mention_id, ModerationEvent.action == "assign")
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    ).first()
    return event.details.get("assignee") if event else None


def mark_handled(session: Session, mention_id: int, actor: str) -> Mention:
    """The brand answered elsewhere (on the platform, by phone): the reply queue is done with it."""
    mention = session.get(Mention, mention_id)
    if mention is not None and mention.status == S.WATCH:
        session.add(
            ModerationEvent(
                mention_id=mention_id,
                actor=actor,
                action="handled",
                from_status="watch",
                to_status="watch",
                reason="marked handled",
            )
        )
        return mention
    return _move(session, mention_id, (S.TO_REPLY,), S.REPLIED, actor, "handled", "handled outside Veilleur")
