"""Moderators mark a mention off-topic or relevant (CLI `veilleur queue offtopic`, the console). The mark sets
the flag, is audited, and is kept as an example (a Correction) the relevance score learns from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Alert, Correction, Mention, MentionStatus, ModerationEvent
from models.relevance import MARK_TASK, OFF_TOPIC, RELEVANT
from moderation.queues import latest
from moderation.workflow import WorkflowError


def mark(session: Session, mention_id: int, actor: str, relevant: bool) -> Mention:
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise WorkflowError(f"no mention {mention_id}")
    label = RELEVANT if relevant else OFF_TOPIC
    was_off_topic = mention.off_topic
    before = mention.status
    mention.off_topic = not relevant
    mention.relevance_reason = f"marked {label.replace('_', '-')} by {actor}"
    if relevant and was_off_topic and _routed_off_topic(session, mention):
        # It was routed aside without an alert; now that it counts, the router takes it again (and may alert).
        mention.status = MentionStatus.CLASSIFIED
    session.add(Correction(mention_id=mention.id, task=MARK_TASK, label=label, actor=actor))
    session.add(
        ModerationEvent(
            mention_id=mention.id,
            actor=actor,
            action=f"mark_{label}",
            from_status=before.value,
            to_status=mention.status.value,
            reason=mention.relevance_reason,
            details={"was_off_topic": was_off_topic, "relevance": mention.relevance},
        )
    )
    session.flush()
    return mention


def _routed_off_topic(session: Session, mention: Mention) -> bool:
    if mention.status != MentionStatus.WATCH:
        return False
    if session.scalar(select(Alert.id).where(Alert.mention_id == mention.id).limit(1)) is not None:
        return False
    last = latest(ModerationEvent, ModerationEvent.action == "route", ModerationEvent.mention_id == mention.id)
    event = session.scalar(select(ModerationEvent).join(last, last.c.latest_id == ModerationEvent.id))
    return event is not None and event.details.get("rule") == "off_topic"
