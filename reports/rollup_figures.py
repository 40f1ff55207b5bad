"""The report's counts read from the daily rollups (models/rollups.py) instead of the rows, when the report's days
are whole UTC days (every scheduled report, every `veilleur report --from --to`): volumes, shares, ratings, stars,
statuses, trends per day, week and month, per source, product, location and topic, the year-earlier comparison,
the off-topic and untagged counts. The figures are the row-level path's (reports/collect.py), the same code adds
them up (`count`, `Collector._main`), and tests/reports/test_rollups.py compares both on random data.

What still reads rows, each bounded: the deadline figures at the report's date (the rollups hold them "at the end
of time"; the few mentions replied or due after that date correct them, found by index), the exact median reply
times (a median needs every value), the quotes (ranked in score order and read until enough), the weak signals'
newest texts (per source, newest first, by index), the watchlist and the competitors.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import Session

from models import Mention, MentionKind, MentionStatus
from models.relevance import on_topic
from models.rollups import CLOSED, LOCATION, PRODUCT, MentionDay, TopicDay
from models.schema import UTCDateTime
from reports.collect import PREVIOUS, TOP_GROUPS, Collector, count, when_column
from reports.figures import Group, Monthly, Tally, TopicFigures
from reports.periods import midnight
from reports.topics import Topic

SUMS = ("mentions", "answered", "with_deadline", "late_ever", "open_ever")


def aligned(*moments: datetime) -> bool:
    """Whole UTC days: the rollups can serve a report over them."""
    return all(moment == midnight(moment) for moment in moments)


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


@dataclass
class Counts:
    """One rollup group in the shape `count()` and `Collector._main` read (the row-level path's SQL row)."""

    source_id: int
    bucket: int
    status: str
    history: int
    rejection_reason: str | None
    sentiment: str | None
    model_name: str | None
    model_version: str | None
    mentions: int = 0
    reviews: int = 0
    rated: int = 0
    rating_sum: float = 0.0
    stars1: int = 0
    stars2: int = 0
    stars3: int = 0
    stars4: int = 0
    stars5: int = 0
    answered: int = 0
    with_deadline: int = 0
    rejected: int = 0
    answered_late: int = 0
    past_deadline: int = 0


def _stars(rating: float) -> int:
    """reports/collect.mentions_rows' CASE: rounded half up, clamped to 1-5, with the same float arithmetic."""
    rounded = 1 + 4 * rating + 0.5
    return next((n for n in (5, 4, 3, 2) if rounded >= n), 1)


def _counts(row: Any, bucket: int) -> Counts:
    found = Counts(
        getattr(row, "source_id", 0),
        bucket,
        row.status,
        int(bool(getattr(row, "backlog", False))),
        getattr(row, "rejection_reason", None),
        row.sentiment,
        getattr(row, "model_name", None),
        getattr(row, "model_version", None),
        mentions=row.mentions,
        answered=row.answered,
        with_deadline=row.with_deadline,
        answered_late=row.late_ever,
        past_deadline=row.open_ever,
    )
    rejected = row.status == MentionStatus.REJECTED.value
    if row.kind == MentionKind.REVIEW.value:
        found.reviews = row.mentions
        found.rejected = row.mentions if rejected else 0
    if row.rating is not None and not rejected:  # a rejected review is out of the ratings
        found.rated = row.mentions
        found.rating_sum = row.mentions * (1 + 4 * row.rating)
        setattr(found, f"stars{_stars(row.rating)}", row.mentions)
    return found


def _sums() -> list[Any]:
    return [func.sum(MentionDay.__table__.c[name]).label(name) for name in SUMS]


def _day_bucket(starts: Sequence[date], low: int, high: int) -> Any:
    """The bucket of a rollup day among starts[low..high] (PREVIOUS before starts[0]), by bisection: the database
    adds up the days of a bucket (reports/collect._bucket does the same with the rows' dates)."""
    if low == high:
        if low == 0:
            return case((MentionDay.day < starts[0], literal_column(str(PREVIOUS))), else_=literal_column("0"))
        return literal_column(str(low))
    middle = (low + high + 1) // 2
    return case(
        (MentionDay.day < starts[middle], _day_bucket(starts, low, middle - 1)),
        else_=_day_bucket(starts, middle, high),
    )


def _brand_rows(
    session: Session, source_ids: Sequence[int], start: datetime, end: datetime, starts: Sequence[datetime]
) -> Any:
    """The brand's on-topic counts in [start, end) per source and bucket (`starts`: each bucket's first day)."""
    bucket = _day_bucket([_day(s) for s in starts], 0, len(starts) - 1).label("bucket")
    keys = [
        MentionDay.source_id,
        bucket,
        MentionDay.kind,
        MentionDay.status,
        MentionDay.backlog,
        MentionDay.rejection_reason,
        MentionDay.sentiment,
        MentionDay.model_name,
        MentionDay.model_version,
        MentionDay.rating,
    ]
    query = (
        select(*keys, *_sums())
        .where(
            MentionDay.axis == "",
            MentionDay.off_topic.is_(False),
            MentionDay.source_id.in_(list(source_ids)),
            MentionDay.day >= _day(start),
            MentionDay.day < _day(end),
        )
        .group_by(*keys)
    )
    return session.execute(query)


@dataclass(frozen=True)
class Correction:
    """A mention whose deadline figures at `as_of` differ from the rolled-up ones (at the end of time)."""

    source_id: int
    when: datetime
    product: str | None
    location: str | None
    late: int  # to add to answered_late
    past: int  # to add to past_deadline


def corrections(
    session: Session, source_ids: Sequence[int], start: datetime, end: datetime, as_of: datetime
) -> list[Correction]:
    """The period's reviews with a deadline whose reply or deadline comes after `as_of`: only those are counted
    otherwise at `as_of` than at the end of time (reports/deadlines.py's definitions, evaluated here per row)."""
    at = literal(as_of, UTCDateTime())
    when = when_column()
    query = select(
        Mention.source_id,
        when.label("when"),
        Mention.product,
        Mention.location,
        Mention.status,
        Mention.reply_at,
        Mention.reply_due_at,
        Mention.reply_text.is_not(None).label("has_text"),
    ).where(
        Mention.source_id.in_(list(source_ids)),
        on_topic(),
        when >= literal(start, UTCDateTime()),
        when < literal(end, UTCDateTime()),
        Mention.kind == MentionKind.REVIEW,
        Mention.reply_due_at.is_not(None),
        or_(Mention.reply_due_at >= at, Mention.reply_at > at),
    )
    found = []
    for row in session.execute(query):
        closed = row.status in CLOSED
        late_ever = row.reply_at is not None and row.reply_at > row.reply_due_at
        open_ever = row.reply_at is None and not row.has_text and not closed
        late = late_ever and row.reply_at <= as_of
        waiting = (row.reply_at is None or row.reply_at > as_of) and (row.reply_at is not None or not row.has_text)
        past = row.reply_due_at < as_of and waiting and not closed
        if late != late_ever or past != open_ever:
            found.append(
                Correction(
                    row.source_id, row.when, row.product, row.location, int(late) - late_ever, int(past) - open_ever
                )
            )
    return found


def _correct(tally: Tally, correction: Correction) -> None:
    tally.answered_late += correction.late
    tally.past_deadline += correction.past


def collect(collector: Collector, session: Session) -> None:
    """The collector's counts from the rollups, then what needs rows (`Collector.finish`)."""
    ids, start = list(collector.sources), collector.start
    for row in _brand_rows(session, ids, collector.previous_start, collector.end, collector.trend.starts):
        collector._main(_counts(row, row.bucket))
    for axis, groups in ((PRODUCT, collector.products), (LOCATION, collector.locations)):
        _named(session, collector, axis, groups)
    for fix in corrections(session, ids, collector.previous_start, collector.end, collector.as_of):
        current = fix.when >= start
        targets = [collector.total, collector.sources[fix.source_id]]
        for name, groups, kind in (
            (fix.product, collector.products, PRODUCT),
            (fix.location, collector.locations, LOCATION),
        ):
            if name:
                targets.append(groups.setdefault(name, Group(name, kind)))
        for group in targets:
            _correct(group.current if current else group.previous, fix)
    if session.get_bind().dialect.name == "postgresql":
        reply_medians(collector, session)
    else:
        collector.finish(session)


# Just above one half: percentile_disc then gives the upper of the two middle values (for fewer than 10^12 values).
UPPER_HALF = 0.5 + 1e-12
# Memory for the sorts of the medians (PostgreSQL's default, 4 MB, sends a million delays to disk), this query only.
MEDIANS_WORK_MEM = "64MB"


def shown_names(groups: dict[str, Group]) -> list[str] | None:
    """The products (or locations) whose medians the report shows: its top groups by volume (Collector.top), once
    the counts are in. None (all of them) when the last shown has no mention this period: a group known only from
    its reply times (the row path makes one) could then be shown too."""
    top = Collector.top(groups)
    if len(top) < TOP_GROUPS or top[-1].current.mentions == 0:
        return None
    return [group.name for group in top]


def reply_medians(collector: Collector, session: Session) -> None:
    """Collector.finish on PostgreSQL: the exact median reply times computed by the database, which sends only the
    two middle delays of each group (the same value twice for an odd count), in microseconds, converted here as
    timedelta.total_seconds() does: the median Python takes of them is the one of every value. The same reviews
    as Collector._reply_times (answered, replied after their date, on-topic or not), read from
    ix_mention_replied_when alone. Only the products and locations the report shows are sorted (15 of hundreds)."""
    when = when_column()
    micros = cast(func.extract("epoch", Mention.reply_at - when) * 1_000_000, BigInteger)
    answered = [
        Mention.source_id.in_(list(collector.sources)),
        when >= literal(collector.previous_start, UTCDateTime()),
        when < literal(collector.end, UTCDateTime()),
        Mention.kind == MentionKind.REVIEW,
        Mention.reply_at.is_not(None),
        Mention.reply_at >= when,
    ]
    current = (when >= literal(collector.start, UTCDateTime())).label("current")
    middle = (
        func.percentile_disc(0.5).within_group(micros).label("low"),
        func.percentile_disc(UPPER_HALF).within_group(micros).label("high"),
    )
    queries = [
        (
            "source",
            select(Mention.source_id, current, func.grouping(Mention.source_id).label("level"), *middle)
            .where(*answered)
            .group_by(func.grouping_sets(tuple_(current), tuple_(current, Mention.source_id))),
        )
    ]
    for kind, column, groups in (
        (PRODUCT, Mention.product, collector.products),
        (LOCATION, Mention.location, collector.locations),
    ):
        names = shown_names(groups)
        wanted = [*answered, column.is_not(None) if names is None else column.in_(names)]
        query = select(column, current, literal_column("0").label("level"), *middle).where(*wanted)
        queries.append((kind, query.group_by(column, current)))
    previous = session.scalar(select(func.current_setting("work_mem")))
    session.execute(select(func.set_config("work_mem", MEDIANS_WORK_MEM, True)))
    try:
        for kind, query in queries:
            for name, is_current, level, low, high in session.execute(query):
                if kind == "source":
                    group = collector.total if level == 1 else collector.sources[name]
                elif not name:
                    continue
                else:
                    group = (collector.products if kind == PRODUCT else collector.locations).setdefault(
                        name, Group(name, kind)
                    )
                tally = group.current if is_current else group.previous
                tally.reply_hours = [int(low) / 10**6 / 3600, int(high) / 10**6 / 3600]
    finally:
        session.execute(select(func.set_config("work_mem", previous, True)))


def _named(session: Session, collector: Collector, axis: str, groups: dict[str, Group]) -> None:
    """The products' (or locations') counts. Their rollup rows are nearly as many as the reviews (a product, a
    day, a rating...): the volumes of every name first (ix_mention_day_axis alone), then the other figures of the
    ones the report shows only (Collector.top: the TOP_GROUPS largest this period)."""
    current = case((MentionDay.day >= _day(collector.start), literal_column("1")), else_=literal_column("0"))
    rows = [
        MentionDay.axis == axis,
        MentionDay.source_id.in_(list(collector.sources)),
        MentionDay.day >= _day(collector.previous_start),
        MentionDay.day < _day(collector.end),
    ]
    volumes = session.execute(
        select(MentionDay.name, func.sum(case((current == 1, MentionDay.mentions), else_=0)))
        .where(*rows)
        .group_by(MentionDay.name)
    ).all()
    ranked = sorted(volumes, key=lambda v: (-v[1], v[0]))
    # A name known only from the medians or the deadline corrections has no mention: it cannot outrank the last
    # shown when that one has mentions this period; else every name is read, as the row path does.
    if len(ranked) > TOP_GROUPS and ranked[TOP_GROUPS - 1][1] > 0:
        rows.append(MentionDay.name.in_([name for name, _ in ranked[:TOP_GROUPS]]))
    keys = [MentionDay.name, current.label("current"), MentionDay.kind, MentionDay.status, MentionDay.sentiment]
    query = select(*keys, MentionDay.rating, *_sums()).where(*rows).group_by(*keys, MentionDay.rating)
    for row in session.execute(query):
        group = groups.setdefault(row.name, Group(row.name, axis))
        count(group.current if row.current else group.previous, _counts(row, 0))


def product_names(session: Session, source_ids: Sequence[int], end: datetime) -> list[str]:
    """Every product with an on-topic mention before `end` (the day of `end` included), and "" (a name the
    rollups leave out): candidates for watchlist.low_products, which reads each one's last reviews. From
    ix_mention_day_axis alone."""
    names = session.scalars(
        select(MentionDay.name)
        .where(
            MentionDay.axis == PRODUCT,
            MentionDay.source_id.in_(list(source_ids)),
            MentionDay.day <= _day(end),
        )
        .group_by(MentionDay.name)
    )
    return ["", *names]


def period_tally(session: Session, source_ids: Sequence[int], start: datetime, end: datetime, as_of: datetime) -> Tally:
    """reports/collect.period_tally from the rollups."""
    tally = Tally()
    for row in _brand_rows(session, source_ids, start, end, [start]):
        count(tally, _counts(row, 0))
    for fix in corrections(session, source_ids, start, end, as_of):
        _correct(tally, fix)
    return tally


def monthly(
    session: Session, sources: dict[int, str], months: list[datetime], end: datetime, as_of: datetime
) -> Monthly:
    """reports/collect.monthly from the rollups."""
    found = Monthly(months, [Tally() for _ in months], {name: [Tally() for _ in months] for name in sources.values()})
    for row in _brand_rows(session, list(sources), months[0], end, months):
        counts = _counts(row, row.bucket)
        count(found.total[row.bucket], counts)
        count(found.by_source[sources[row.source_id]][row.bucket], counts)
    for fix in corrections(session, list(sources), months[0], end, as_of):
        index = bisect_right(months, fix.when) - 1
        _correct(found.total[index], fix)
        _correct(found.by_source[sources[fix.source_id]][index], fix)
    return found


def off_topic_count(session: Session, source_ids: Sequence[int], start: datetime, end: datetime) -> int:
    query = select(func.coalesce(func.sum(MentionDay.mentions), 0)).where(
        MentionDay.axis == "",
        MentionDay.off_topic.is_(True),
        MentionDay.source_id.in_(list(source_ids)),
        MentionDay.day >= _day(start),
        MentionDay.day < _day(end),
    )
    return int(session.scalar(query) or 0)


def _topic_days(source_ids: Sequence[int], start: datetime, end: datetime) -> list[Any]:
    return [TopicDay.source_id.in_(list(source_ids)), TopicDay.day >= _day(start), TopicDay.day < _day(end)]


def tagger_version(
    session: Session, source_ids: Sequence[int], start: datetime, end: datetime, preferred: str | None = None
) -> str | None:
    """reports/topic_figures.tagger_version from the rollups: the version that tagged most of the period's mentions,
    `preferred` first in a tie."""
    tagged = func.sum(TopicDay.mentions)
    row = session.execute(
        select(TopicDay.version, tagged.label("n"))
        .where(TopicDay.topic == "", *_topic_days(source_ids, start, end))
        .group_by(TopicDay.version)
        .order_by(tagged.desc(), case((TopicDay.version == preferred, 0), else_=1), TopicDay.version)
        .limit(1)
    ).first()
    return row.version if row else None


def untagged_count(
    session: Session, version: str | None, source_ids: Sequence[int], start: datetime, end: datetime
) -> int:
    mentions = select(func.coalesce(func.sum(MentionDay.mentions), 0)).where(
        MentionDay.axis == "",
        MentionDay.off_topic.is_(False),
        MentionDay.source_id.in_(list(source_ids)),
        MentionDay.day >= _day(start),
        MentionDay.day < _day(end),
    )
    tagged = select(func.coalesce(func.sum(TopicDay.mentions), 0)).where(
        TopicDay.topic == "", TopicDay.version == version, *_topic_days(source_ids, start, end)
    )
    return int(session.scalar(mentions) or 0) - int(session.scalar(tagged) or 0)


def topic_figures(
    session: Session,
    topics: Sequence[Topic],
    version: str,
    source_ids: Sequence[int],
    previous_start: datetime,
    start: datetime,
    end: datetime,
) -> list[TopicFigures]:
    """reports/topic_figures.topic_figures from the rollups."""
    figures = {t.name: TopicFigures(t.name, t.label) for t in topics}
    current = case((TopicDay.day >= _day(start), literal_column("1")), else_=literal_column("0")).label("current")
    keys = [TopicDay.topic, current, TopicDay.sentiment]
    query = (
        select(*keys, func.sum(TopicDay.mentions))
        .where(TopicDay.version == version, TopicDay.topic != "", *_topic_days(source_ids, previous_start, end))
        .group_by(*keys)
    )
    for topic, is_current, label, n in session.execute(query):
        if topic not in figures:  # "other", or a topic since removed from settings
            continue
        counts = figures[topic].current if is_current else figures[topic].previous
        counts[label or "unclassified"] += n
    return list(figures.values())


def light_rows(source_ids: Sequence[int], previous_start: datetime, start: datetime, end: datetime) -> Any:
    """The period's rows as the quote steps read them (reports/collect.materialised's columns they use), not
    written anywhere: those steps read a few of them, by index, in score or date order."""
    when = when_column()
    rejected = Mention.status == MentionStatus.REJECTED
    rating = case((rejected, None), else_=Mention.rating_normalised)
    bucket = case((when < literal(start, UTCDateTime()), literal_column(str(PREVIOUS))), else_=literal_column("0"))
    return (
        select(
            Mention.id.label("mention_id"),
            Mention.source_id,
            when.label("when"),
            bucket.label("bucket"),
            type_coerce(Mention.status, String).label("status"),
            (1 + 4 * rating).label("rating"),
        )
        .where(
            Mention.source_id.in_(list(source_ids)),
            on_topic(),
            and_(when >= literal(previous_start, UTCDateTime()), when < literal(end, UTCDateTime())),
        )
        .subquery("m")
    )
