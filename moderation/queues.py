"""The moderators' queues as queries: what `veilleur queue list` (and the console) show, most urgent first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_, select

from models import Brand, Mention, MentionStatus, Source

S = MentionStatus
CLOSED = (S.REJECTED, S.WITHDRAWN)

QUEUES = {
    "to_publish": "own reviews with consent waiting for approval",
    "to_reply": "reviews waiting for the brand's answer (SLA)",
    "flagged": "mentions to watch (abusive posts, troll signals, negative mentions)",
    "rejected": "rejected reviews, with their reason",
    "published": "reviews on the brand's site",
}


def queue_query(queue: str, brand: str | None = None) -> Select[Any]:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}: one of {', '.join(QUEUES)}")
    query = select(Mention).join(Source)
    if brand is not None:
        query = query.join(Brand).where(Brand.slug == brand)
    if queue == "to_publish":
        # Oldest first: the maximum publication delay runs from when the review was written.
        return query.where(Mention.status == S.TO_PUBLISH).order_by(Mention.collected_at, Mention.id)
    if queue == "to_reply":
        waiting = and_(Mention.reply_due_at.is_not(None), Mention.reply_text.is_(None), Mention.status.not_in(CLOSED))
        return query.where(or_(waiting, Mention.status == S.TO_REPLY)).order_by(Mention.reply_due_at, Mention.id)
    status = {"flagged": S.WATCH, "rejected": S.REJECTED, "published": S.PUBLISHED}[queue]
    return query.where(Mention.status == status).order_by(Mention.id.desc())
