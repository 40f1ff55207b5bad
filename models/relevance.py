"""The one filter every reader of the brand's mentions applies: alerts, topics, weak signals, crisis counts,
ratings and report figures leave off-topic mentions out (moderation/relevance decides which those are)."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from models.schema import Mention

# A moderator's mark, kept in the Correction table (task, label) as the relevance score's examples.
MARK_TASK = "relevance"
RELEVANT, OFF_TOPIC = "relevant", "off_topic"


def on_topic() -> ColumnElement[bool]:
    """Mentions that count as the brand's: not flagged off-topic (by its query, its score or a moderator)."""
    return Mention.off_topic.is_(False)
