"""What needs handling now: products rated low over their last N reviews, replies past their deadline, crises."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Alert, AlertKind, Mention, MentionStatus, Source
from reports.collect import when_column
from reports.figures import Crisis, LateReply, ProductRating
from reports.topic_figures import _quote_text

LATE_SHOWN = 10


def low_products(
    session: Session, source_ids: Sequence[int], end: datetime, last_n: int, max_rating: float
) -> list[ProductRating]:
    """Products whose last `last_n` rated reviews before `end` average `max_rating` or less (on 5)."""
    when = when_column()
    ranked = (
        select(
            Mention.product,
            (1 + 4 * Mention.rating_normalised).label("rating"),
            when.label("when"),
            func.row_number().over(partition_by=Mention.product, order_by=(when.desc(), Mention.id.desc())).label("n"),
        )
        .where(
            Mention.source_id.in_(list(source_ids)),
            Mention.product.is_not(None),
            Mention.rating_normalised.is_not(None),
            when < end,
        )
        .subquery()
    )
    average = func.avg(ranked.c.rating)
    rows = session.execute(
        select(ranked.c.product, func.count(), average, func.max(ranked.c.when))
        .where(ranked.c.n <= last_n)
        .group_by(ranked.c.product)
        .having(average <= max_rating)
        .order_by(average, ranked.c.product)
    )
    return [ProductRating(product, reviews, float(avg), latest) for product, reviews, avg, latest in rows]


def late_replies(session: Session, source_ids: Sequence[int], as_of: datetime) -> tuple[list[LateReply], Counter[str]]:
    """Reviews waiting for a reply past their deadline at `as_of`: the oldest ones, and the count per assignee."""
    late = (
        Mention.source_id.in_(list(source_ids)),
        Mention.status == MentionStatus.TO_REPLY,
        Mention.reply_at.is_(None),
        Mention.reply_text.is_(None),
        Mention.reply_due_at < as_of,
    )
    per_assignee: Counter[str] = Counter()
    for assignee, n in session.execute(select(Mention.assignee, func.count()).where(*late).group_by(Mention.assignee)):
        per_assignee[assignee or "unassigned"] += n
    rows = session.execute(
        select(Mention.id, Source.name, Mention.assignee, Mention.reply_due_at, Mention.text, Mention.url)
        .join(Source, Source.id == Mention.source_id)
        .where(*late)
        .order_by(Mention.reply_due_at, Mention.id)
        .limit(LATE_SHOWN)
    )
    shown = [
        LateReply(i, source, assignee, due or as_of, _quote_text(text), url)
        for i, source, assignee, due, text, url in rows
    ]
    return shown, per_assignee


def crises(session: Session, brand_id: int, start: datetime, end: datetime) -> list[Crisis]:
    rows = session.scalars(
        select(Alert)
        .where(
            Alert.brand_id == brand_id,
            Alert.kind == AlertKind.CRISIS,
            Alert.created_at >= start,
            Alert.created_at < end,
        )
        .order_by(Alert.created_at, Alert.id)
    )
    return [
        Crisis(alert.created_at, str(alert.payload.get("source", "")), str(alert.payload.get("text", ""))[:300])
        for alert in rows
    ]
