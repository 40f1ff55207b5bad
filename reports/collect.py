"""The main pass: the brand's mentions of the current and previous periods, each joined to its latest stored
classification, written once to a temporary table, then counted in SQL (GROUP BY) per source, product and
location; only the answered reviews are streamed, for exact median reply times.

The latest classification is found once for all mentions (a join to `MAX(id) GROUP BY mention_id`), not per
mention: the database hash-joins it. The SQL is the same on SQLite and PostgreSQL (bench/report.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    case,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ClauseElement, Executable

from models import Classification, Mention, MentionKind, MentionStatus, Source
from models.relevance import on_topic
from models.schema import UTCDateTime
from reports.deadlines import answered_late, past_deadline
from reports.figures import Group, Moderation, Monthly, Tally, Trend

BATCH = 5000
TOP_GROUPS = 15  # products and locations shown, by volume
PREVIOUS = -1  # the trend bucket of the previous period's mentions


def when_column() -> Any:
    """A mention's date: published, else collected (the expression ix_mention_source_when indexes)."""
    return func.coalesce(Mention.published_at, Mention.collected_at)


def latest_classification() -> Any:
    """The id of a mention's latest classification, correlated (for a LEFT JOIN of a few rows: quotes)."""
    newer = aliased(Classification)
    return select(func.max(newer.id)).where(newer.mention_id == Mention.id).scalar_subquery()


def latest_classifications() -> Any:
    """Each classified mention's latest classification id (its latest model run): one aggregate, joined once."""
    return (
        select(Classification.mention_id, func.max(Classification.id).label("id"))
        .group_by(Classification.mention_id)
        .subquery("latest")
    )


def join_latest_classification(query: Select[Any]) -> Select[Any]:
    """`query` (over Mention) LEFT JOINed to each mention's latest Classification."""
    latest = latest_classifications()
    return query.outerjoin(latest, latest.c.mention_id == Mention.id).outerjoin(
        Classification, Classification.id == latest.c.id
    )


def trend_buckets(start: datetime, end: datetime) -> Trend:
    days = (end - start).days or 1
    size = 1 if days <= 62 else 7
    count = -(-days // size)
    starts = [start + timedelta(days=size * i) for i in range(count)]
    return Trend(size, starts, [0] * count, [0] * count, [0.0] * count, [0] * count)


def _at(value: datetime) -> Any:
    return literal(value, UTCDateTime())


def _bucket(when: Any, start: datetime, starts: Sequence[datetime], low: int, high: int) -> Any:
    """The trend bucket of `when` among starts[low..high] (PREVIOUS before `start`), by bisection: a handful of
    comparisons per row instead of one per bucket."""
    if low == high:
        if low == 0:
            return case((when < _at(start), literal_column(str(PREVIOUS))), else_=literal_column("0"))
        return literal_column(str(low))
    middle = (low + high + 1) // 2
    return case(
        (when < _at(starts[middle]), _bucket(when, start, starts, low, middle - 1)),
        else_=_bucket(when, start, starts, middle, high),
    )


def mentions_rows(
    source_ids: Iterable[int], previous_start: datetime, start: datetime, end: datetime, trend: Trend, as_of: datetime
) -> Any:
    """One row per mention of both periods, with what the counts need (a subquery)."""
    when = when_column()
    review = Mention.kind == MentionKind.REVIEW
    rejected = Mention.status == MentionStatus.REJECTED
    # A rejected review (spam, abuse, off-policy) says nothing of the brand: out of the ratings, counted apart.
    rating = case((rejected, None), else_=Mention.rating_normalised)
    replied = or_(Mention.reply_at.is_not(None), Mention.reply_text.is_not(None))
    one: Any = literal_column("1")
    zero: Any = literal_column("0")  # integers: SUM() stays an integer on PostgreSQL
    rounded = 1 + 4 * rating + 0.5  # stars(): rounded half up, clamped to 1-5
    bucket = _bucket(when, start, trend.starts, 0, len(trend.starts) - 1)
    query = select(
        Mention.id.label("mention_id"),
        Mention.source_id,
        Mention.product,
        Mention.location,
        when.label("when"),
        bucket.label("bucket"),
        type_coerce(Mention.status, String).label("status"),
        case((Mention.backlog, one), else_=zero).label("history"),
        type_coerce(Mention.rejection_reason, String).label("rejection_reason"),
        Classification.sentiment,
        Classification.stars.label("estimated_stars"),
        Classification.model_name,
        Classification.model_version,
        case((review, one), else_=zero).label("review"),
        (1 + 4 * rating).label("rating"),
        case(
            (rating.is_(None), None),
            *((rounded >= n, literal_column(str(n))) for n in (5, 4, 3, 2)),
            else_=one,
        ).label("stars"),
        case((and_(review, replied), one), else_=zero).label("answered"),
        case((and_(review, Mention.reply_due_at.is_not(None)), one), else_=zero).label("with_deadline"),
        case((and_(review, rejected), one), else_=zero).label("rejected"),
        case((and_(review, answered_late(as_of)), one), else_=zero).label("answered_late"),
        case((and_(review, past_deadline(as_of)), one), else_=zero).label("past_deadline"),
    ).where(Mention.source_id.in_(list(source_ids)), on_topic(), when >= _at(previous_start), when < _at(end))
    return join_latest_classification(query).subquery("m")


def tally_columns(rows: Any) -> list[Any]:
    return [
        func.count().label("mentions"),
        func.sum(rows.c.review).label("reviews"),
        func.count(rows.c.rating).label("rated"),
        func.sum(rows.c.rating).label("rating_sum"),
        *(
            func.sum(
                case((rows.c.stars == literal_column(str(n)), literal_column("1")), else_=literal_column("0"))
            ).label(f"stars{n}")
            for n in range(1, 6)
        ),
        func.sum(rows.c.answered).label("answered"),
        func.sum(rows.c.with_deadline).label("with_deadline"),
        func.sum(rows.c.rejected).label("rejected"),
        func.sum(rows.c.answered_late).label("answered_late"),
        func.sum(rows.c.past_deadline).label("past_deadline"),
    ]


class _CreateTempTableAs(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, name: str, query: Select[Any]) -> None:
        self.name, self.query = name, query


@compiles(_CreateTempTableAs)
def _create_temp_table_as(element: _CreateTempTableAs, compiler: Any, **kw: Any) -> str:
    # Compiled by the same compiler: the query's parameters are bound and typed as in any other statement.
    return f"CREATE TEMPORARY TABLE {element.name} AS {compiler.process(element.query, **kw)}"


@contextmanager
def materialised(session: Session, rows: Any) -> Iterator[Any]:
    """The period's rows written once to a temporary table that every count then reads: SQLite would otherwise
    evaluate the subquery, its join to the latest classifications included, once per count. Dropped after."""
    name = f"report_rows_{uuid.uuid4().hex[:12]}"
    session.execute(_CreateTempTableAs(name, rows.element))
    try:
        yield table(name, *(column(c.name, c.type) for c in rows.c))
    finally:
        session.execute(text(f"DROP TABLE {name}"))


def mentions_query(
    source_ids: Iterable[int], previous_start: datetime, start: datetime, end: datetime, as_of: datetime
) -> Select[Any]:
    """The main count over the period's rows (bench/report.py prints its plan)."""
    return main_counts(mentions_rows(source_ids, previous_start, start, end, trend_buckets(start, end), as_of))


def main_counts(rows: Any) -> Select[Any]:
    """The main count: per source, trend bucket (PREVIOUS for the previous period), sentiment, status and model."""
    keys = [
        rows.c.source_id,
        rows.c.bucket,
        rows.c.sentiment,
        rows.c.status,
        rows.c.history,
        rows.c.rejection_reason,
        rows.c.model_name,
        rows.c.model_version,
    ]
    return select(*keys, *tally_columns(rows)).group_by(*keys)


def count(tally: Tally, row: Any) -> None:
    """Add one group's SQL counts to a tally."""
    tally.mentions += row.mentions
    if row.sentiment:
        tally.sentiment[row.sentiment] += row.mentions
    tally.rated += row.rated
    if row.rated:
        tally.rating_sum += row.rating_sum
    for n in range(5):
        tally.stars[n] += getattr(row, f"stars{n + 1}")
    tally.reviews += row.reviews
    tally.answered += row.answered
    tally.with_deadline += row.with_deadline
    tally.rejected += row.rejected
    tally.answered_late += row.answered_late
    tally.past_deadline += row.past_deadline


def off_topic_count(session: Session, source_ids: Sequence[int], start: datetime, end: datetime) -> int:
    """The period's mentions that are not about the brand: shown apart, in none of the figures (issue 18)."""
    when = when_column()
    query = select(func.count(Mention.id)).where(
        Mention.source_id.in_(list(source_ids)), ~on_topic(), when >= _at(start), when < _at(end)
    )
    return int(session.scalar(query) or 0)


def period_tally(session: Session, source_ids: Sequence[int], start: datetime, end: datetime, as_of: datetime) -> Tally:
    """One period's counts for a set of sources (the same period a year earlier, a competitor's)."""
    rows = mentions_rows(source_ids, start, start, end, Trend(1, [start], [0], [0], [0.0], [0]), as_of)
    tally = Tally()
    for row in session.execute(select(rows.c.sentiment, *tally_columns(rows)).group_by(rows.c.sentiment)):
        count(tally, row)
    return tally


def monthly(
    session: Session, sources: dict[int, str], months: list[datetime], end: datetime, as_of: datetime
) -> Monthly:
    """A tally per month from months[0] to `end`, for the brand and per source (the trend lines)."""
    trend = Trend(30, months, [0] * len(months), [0] * len(months), [0.0] * len(months), [0] * len(months))
    rows = mentions_rows(sources, months[0], months[0], end, trend, as_of)
    keys = [rows.c.source_id, rows.c.bucket, rows.c.sentiment]
    found = Monthly(months, [Tally() for _ in months], {name: [Tally() for _ in months] for name in sources.values()})
    for row in session.execute(select(*keys, *tally_columns(rows)).group_by(*keys)):
        if row.bucket == PREVIOUS:
            continue
        count(found.total[row.bucket], row)
        count(found.by_source[sources[row.source_id]][row.bucket], row)
    return found


class Collector:
    def __init__(
        self,
        sources: list[Source],
        start: datetime,
        end: datetime,
        as_of: datetime,
        previous_start: datetime | None = None,
    ) -> None:
        self.start, self.end, self.as_of = start, end, as_of
        self.previous_start = previous_start or start - (end - start)
        self.total = Group("all sources")
        self.sources = {s.id: Group(s.name, s.kind, s.healthy, s.health_reason) for s in sources}
        self.products: dict[str, Group] = {}
        self.locations: dict[str, Group] = {}
        self.trend = trend_buckets(start, end)
        self.moderation = Moderation()
        self.models: set[str] = set()

    def _main(self, row: Any) -> None:
        current = row.bucket != PREVIOUS
        for group in (self.total, self.sources[row.source_id]):
            count(group.current if current else group.previous, row)
        if row.model_name:
            self.models.add(f"{row.model_name}@{row.model_version}")
        if not current:
            return
        self.moderation.statuses[row.status] += row.mentions
        if row.history and row.status in Moderation.PENDING:
            self.moderation.pending_history += row.mentions
        if row.rejection_reason is not None:
            self.moderation.rejected_by_reason[row.rejection_reason] += row.mentions
        self.trend.mentions[row.bucket] += row.mentions
        if row.sentiment == "negative":
            self.trend.negative[row.bucket] += row.mentions
        if row.rated:
            self.trend.rated[row.bucket] += row.rated
            self.trend.rating_sum[row.bucket] += row.rating_sum

    def _named(self, session: Session, rows: Any, column: str, groups: dict[str, Group], kind: str) -> None:
        """Per product or location: the same counts, by period and sentiment."""
        name = rows.c[column]
        current: Any = case(
            (rows.c.bucket == literal_column(str(PREVIOUS)), literal_column("0")), else_=literal_column("1")
        )
        current = current.label("current")
        keys = [name, current, rows.c.sentiment]
        query = select(*keys, *tally_columns(rows)).where(name != "").group_by(*keys)
        for row in session.execute(query):
            group = groups.setdefault(row[0], Group(row[0], kind))
            count(group.current if row.current else group.previous, row)

    def _reply_times(self, session: Session) -> None:
        """Exact reply times (for medians): the answered reviews' dates, streamed."""
        when = when_column()
        query = select(
            Mention.source_id, Mention.product, Mention.location, when.label("when"), Mention.reply_at
        ).where(
            Mention.source_id.in_(list(self.sources)),
            when >= _at(self.previous_start),
            when < _at(self.end),
            Mention.kind == MentionKind.REVIEW,
            Mention.reply_at.is_not(None),
        )
        for source_id, product, location, at, reply_at in session.execute(query.execution_options(yield_per=BATCH)):
            if reply_at < at:
                continue
            hours = (reply_at - at).total_seconds() / 3600
            current = at >= self.start
            groups = [self.total, self.sources[source_id]]
            if product:
                groups.append(self.products.setdefault(product, Group(product, "product")))
            if location:
                groups.append(self.locations.setdefault(location, Group(location, "location")))
            for group in groups:
                (group.current if current else group.previous).reply_hours.append(hours)

    def period_rows(self, session: Session) -> Any:
        """A context: the rows of both periods, materialised (the topic steps read them too)."""
        rows = mentions_rows(self.sources, self.previous_start, self.start, self.end, self.trend, self.as_of)
        return materialised(session, rows)

    def run(self, session: Session, rows: Any) -> None:
        for row in session.execute(main_counts(rows)):
            self._main(row)
        self._named(session, rows, "product", self.products, "product")
        self._named(session, rows, "location", self.locations, "location")
        self.finish(session)

    def finish(self, session: Session) -> None:
        """What needs every row whichever way the counts came (reports/rollup_figures.py): exact medians."""
        self._reply_times(session)
        for group in [self.total, *self.sources.values(), *self.products.values(), *self.locations.values()]:
            group.current.reply_hours.sort()
            group.previous.reply_hours.sort()

    @staticmethod
    def top(groups: dict[str, Group]) -> list[Group]:
        return sorted(groups.values(), key=lambda g: (-g.current.mentions, g.name))[:TOP_GROUPS]
