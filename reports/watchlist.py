"""What needs handling now: products rated low over their last N reviews, replies past their deadline, crises."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Alert, AlertKind, Mention, MentionStatus, Source
from models.alert_payloads import CrisisPayload
from models.relevance import on_topic
from reports.collect import when_column
from reports.figures import Crisis, LateReply, ProductRating
from reports.topic_figures import _quote_text

LATE_SHOWN = 10


def low_products(
    session: Session, source_ids: Sequence[int], end: datetime, last_n: int, max_rating: float
) -> list[ProductRating]:
    """Products whose last `last_n` rated reviews before `end` average `max_rating` or less (on 5).

    One small query per product, each reading its last reviews from ix_mention_product_when (product, date): a
    window over every rated review sorted a million rows on SQLite."""
    when = when_column()
    rated = (
        Mention.source_id.in_(list(source_ids)),
        on_topic(),
        Mention.product.is_not(None),
        Mention.rating_normalised.is_not(None),
        when < end,
    )
    products = session.scalars(select(Mention.product).where(*rated).group_by(Mention.product)).all()
    found = []
    for product in products:
        last = (
            select((1 + 4 * Mention.rating_normalised).label("rating"), when.label("when"))
            .where(Mention.product == product, *rated)
            .order_by(when.desc(), Mention.id.desc())
            .limit(last_n)
            .subquery()
        )
        reviews, average, latest = session.execute(
            select(func.count(), func.avg(last.c.rating), func.max(last.c.when))
        ).one()
        if reviews and average <= max_rating:
            found.append(ProductRating(str(product), reviews, float(average), latest))
    return sorted(found, key=lambda p: (p.average_rating, p.product))


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
    found = []
    for alert in rows:
        crisis = CrisisPayload.from_json(alert.payload)
        found.append(Crisis(alert.created_at, crisis.source or "", (crisis.text or "")[:300]))
    return found
