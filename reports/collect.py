"""The main pass: one streamed query over the brand's mentions of the current and previous periods, each joined
to its latest stored classification, counted per brand, source, product and location in one loop.

Streaming (not GROUP BY) keeps medians and per-group figures exact and the SQL portable between SQLite and
PostgreSQL; a million rows take a few seconds (bench/report.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from models import Classification, Mention, MentionKind, Source
from reports.figures import Group, Moderation, Tally, Trend, stars

BATCH = 5000
TOP_GROUPS = 15  # products and locations shown, by volume


def when_column() -> Any:
    """A mention's date: published, else collected (the expression ix_mention_source_when indexes)."""
    return func.coalesce(Mention.published_at, Mention.collected_at)


def latest_classification() -> Any:
    """The id of a mention's latest classification (its latest model run), for a LEFT JOIN."""
    newer = aliased(Classification)
    return select(func.max(newer.id)).where(newer.mention_id == Mention.id).scalar_subquery()


def mentions_query(source_ids: Iterable[int], start: datetime, end: datetime) -> Select[Any]:
    when = when_column()
    return (
        select(
            Mention.source_id,
            # Enum columns read as their plain values: a million enum conversions cost seconds.
            type_coerce(Mention.kind, String).label("kind"),
            when.label("when"),
            Mention.rating_normalised,
            type_coerce(Mention.status, String).label("status"),
            type_coerce(Mention.rejection_reason, String).label("rejection_reason"),
            Mention.reply_at,
            Mention.reply_text.is_not(None).label("has_reply"),
            Mention.reply_due_at,
            Mention.product,
            Mention.location,
            Classification.sentiment,
            Classification.model_name,
            Classification.model_version,
        )
        .outerjoin(Classification, Classification.id == latest_classification())
        .where(Mention.source_id.in_(list(source_ids)), when >= start, when < end)
    )


def trend_buckets(start: datetime, end: datetime) -> Trend:
    days = (end - start).days or 1
    size = 1 if days <= 62 else 7
    count = -(-days // size)
    starts = [start + timedelta(days=size * i) for i in range(count)]
    return Trend(size, starts, [0] * count, [0] * count, [0.0] * count, [0] * count)


def count(tally: Tally, row: Any, as_of: datetime) -> None:
    tally.mentions += 1
    if row.sentiment:
        tally.sentiment[row.sentiment] += 1
    if row.rating_normalised is not None:
        tally.rated += 1
        tally.rating_sum += 1 + 4 * row.rating_normalised
        tally.stars[stars(row.rating_normalised) - 1] += 1
    if row.kind != MentionKind.REVIEW.value:
        return
    tally.reviews += 1
    answered = row.reply_at is not None or bool(row.has_reply)
    if answered:
        tally.answered += 1
    if row.reply_at is not None and row.reply_at >= row.when:
        tally.reply_hours.append((row.reply_at - row.when).total_seconds() / 3600)
    if row.reply_due_at is not None:
        tally.with_deadline += 1
        if row.reply_at is not None:
            late = row.reply_at > row.reply_due_at
        else:  # a reply whose date the source does not give cannot be judged late
            late = not answered and row.reply_due_at < as_of
        tally.sla_breaches += late


class Collector:
    def __init__(self, sources: list[Source], start: datetime, end: datetime, as_of: datetime) -> None:
        self.start, self.end, self.as_of = start, end, as_of
        self.previous_start = start - (end - start)
        self.total = Group("all sources")
        self.sources = {s.id: Group(s.name, s.kind, s.healthy, s.health_reason) for s in sources}
        self.products: dict[str, Group] = {}
        self.locations: dict[str, Group] = {}
        self.trend = trend_buckets(start, end)
        self.moderation = Moderation()
        self.models: set[str] = set()

    def add(self, row: Any) -> None:
        current = row.when >= self.start
        groups = [self.total, self.sources[row.source_id]]
        if row.product:
            groups.append(self.products.setdefault(row.product, Group(row.product, "product")))
        if row.location:
            groups.append(self.locations.setdefault(row.location, Group(row.location, "location")))
        for group in groups:
            count(group.current if current else group.previous, row, self.as_of)
        if row.model_name:
            self.models.add(f"{row.model_name}@{row.model_version}")
        if current:
            self._current(row)

    def _current(self, row: Any) -> None:
        self.moderation.statuses[row.status] += 1
        if row.rejection_reason is not None:
            self.moderation.rejected_by_reason[row.rejection_reason] += 1
        index = (row.when - self.start).days // self.trend.bucket_days
        self.trend.mentions[index] += 1
        if row.sentiment == "negative":
            self.trend.negative[index] += 1
        if row.rating_normalised is not None:
            self.trend.rated[index] += 1
            self.trend.rating_sum[index] += 1 + 4 * row.rating_normalised

    def run(self, session: Session) -> None:
        query = mentions_query(self.sources, self.previous_start, self.end)
        for row in session.execute(query.execution_options(yield_per=BATCH)):
            self.add(row)

    @staticmethod
    def top(groups: dict[str, Group]) -> list[Group]:
        return sorted(groups.values(), key=lambda g: (-g.current.mentions, g.name))[:TOP_GROUPS]
