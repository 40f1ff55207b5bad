"""What "past deadline" means in a report, in one place: every count, line and table of a report reads these.

Past deadline: a review still waiting for the brand's reply at the report's date (no reply then, not rejected,
withdrawn or dismissed) whose deadline has passed. A review answered after its deadline is not past it any more:
it was "answered late", counted apart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal, or_

from models import Mention, MentionStatus
from models.schema import UTCDateTime

CLOSED = (MentionStatus.REJECTED, MentionStatus.WITHDRAWN, MentionStatus.DISMISSED)


def _at(value: datetime) -> Any:
    return literal(value, UTCDateTime())


def waiting(as_of: datetime) -> Any:
    """No reply at `as_of`: none, or one dated after it (a reply text without a date came with the review: it
    counts as answered). Written without NOT: a NULL reply date must not make the whole test NULL."""
    return and_(
        or_(Mention.reply_at.is_(None), Mention.reply_at > _at(as_of)),
        or_(Mention.reply_at.is_not(None), Mention.reply_text.is_(None)),
    )


def past_deadline(as_of: datetime) -> Any:
    """Waiting for a reply at `as_of` with its deadline passed."""
    return and_(
        Mention.reply_due_at.is_not(None),
        Mention.reply_due_at < _at(as_of),
        waiting(as_of),
        Mention.status.not_in(CLOSED),
    )


def past_deadline_parts(as_of: datetime) -> tuple[Any, Any]:
    """past_deadline(as_of) as two disjoint halves, each read from an index: never answered (from
    ix_mention_unanswered alone, on PostgreSQL), and answered after `as_of` (few, by ix_mention_reply_at)."""
    due = (Mention.reply_due_at.is_not(None), Mention.reply_due_at < _at(as_of), Mention.status.not_in(CLOSED))
    never = and_(*due, Mention.reply_at.is_(None), Mention.reply_text.is_(None))
    return never, and_(*due, Mention.reply_at > _at(as_of))


def answered_late(as_of: datetime) -> Any:
    """Answered by `as_of`, after the deadline."""
    return and_(
        Mention.reply_due_at.is_not(None),
        Mention.reply_at > Mention.reply_due_at,
        Mention.reply_at <= _at(as_of),
    )
