"""Daily rollups of mentions, so a report over ten million mentions reads thousands of counts, not the rows.

`mention_day` counts the mentions of one source and one day (published, else collected; a UTC day, as report
periods are) per kind, status, sentiment of the latest classification, rating and the like: once for the brand
(axis ""), once per product and once per location. `topic_day` counts the topic tags of the same days.

How they stay right: a database trigger (migration 0018) appends the (source, day) of every mention, classification
or topic tag inserted, changed or deleted to `rollup_change`, in the transaction that makes the change, whoever
makes it (a crawl, the classifier, a moderator, an erasure, a bulk UPDATE). `refresh` recomputes those days from
the rows, then deletes the marks it read. A rollup row is thus always the very aggregate `rebuild` computes, never
a running sum: nothing can drift, and a crash before a refresh only leaves marks for the next one. A mark committed
while a refresh runs is not among the ones it deletes, so the next refresh sees it (PostgreSQL: refreshes take an
advisory lock, so two never recompute the same day at once).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Index,
    String,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from models.schema import Base, Classification, Mention, MentionKind, MentionStatus, MentionTopic, UTCDateTime

ROLLUP_LOCK = 0x526F6C6C75707321  # "Rollups!": the PostgreSQL advisory lock held by a refresh
# Past this many distinct days to recompute (an upgraded install, a re-classification of everything), one pass over
# every mention is cheaper than a few scoped queries per day.
FULL_REBUILD_DAYS = 300
SOURCES_PER_QUERY = 500
PRODUCT, LOCATION = "product", "location"
# Closed mentions wait for no reply: never past their deadline (reports/deadlines.py says the same).
CLOSED = (MentionStatus.REJECTED, MentionStatus.WITHDRAWN, MentionStatus.DISMISSED)


class MentionDay(Base):
    """Mentions of one source and day with the same figures' keys. No unique key: a day is always replaced whole."""

    __tablename__ = "mention_day"
    __table_args__ = (
        Index("ix_mention_day_source_day", "source_id", "day"),
        # A report's products and locations: every name's volume (PostgreSQL reads them from the index alone),
        # then the rows of the few names shown.
        Index("ix_mention_day_axis", "axis", "name", "source_id", "day", postgresql_include=["mentions"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    axis: Mapped[str] = mapped_column(String(10))  # "" (the brand), "product" or "location"
    name: Mapped[str] = mapped_column(String(200))  # the product or location; "" on the brand's axis
    kind: Mapped[str] = mapped_column(String(10))
    # On the product and location axes only "rejected" or "": their figures need no more.
    status: Mapped[str] = mapped_column(String(40))
    backlog: Mapped[bool]
    rejection_reason: Mapped[str | None] = mapped_column(String(40))
    off_topic: Mapped[bool]  # counted apart (the brand's axis only; the others hold on-topic mentions)
    sentiment: Mapped[str | None] = mapped_column(String(10))  # of the latest classification
    model_name: Mapped[str | None] = mapped_column(String(100))
    model_version: Mapped[str | None] = mapped_column(String(100))
    rating: Mapped[float | None] = mapped_column(Float)  # rating_normalised, as stored
    mentions: Mapped[int]
    answered: Mapped[int]  # reviews with a reply (a date or a text)
    with_deadline: Mapped[int]  # reviews with a reply deadline
    # The deadline figures at the end of time; a report at a date corrects them from the few rows whose reply or
    # deadline comes after that date (reports/rollup_figures.py).
    late_ever: Mapped[int]  # answered after the deadline
    open_ever: Mapped[int]  # no reply at all, a deadline, not closed


class TopicDay(Base):
    """Topic tags of one source and day, per tagger version, topic and sentiment (of the tag's sentences, else of
    the mention). Topic "" counts the tagged mentions themselves (for the untagged count). On-topic mentions only."""

    __tablename__ = "topic_day"
    __table_args__ = (Index("ix_topic_day_source_day", "source_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    version: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(60))
    sentiment: Mapped[str | None] = mapped_column(String(10))
    mentions: Mapped[int]


class RollupChange(Base):
    """A day of a source to recompute, appended by the triggers of migration 0018 (never by Python code)."""

    __tablename__ = "rollup_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)


class day_of(FunctionElement[date]):
    """The UTC day of a stored (naive UTC) timestamp, as the triggers compute it."""

    type = Date()
    inherit_cache = True


@compiles(day_of)
def _day_of_sqlite(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(day_of, "postgresql")
def _day_of_postgresql(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


def when_column() -> Any:
    """A mention's date: published, else collected (the report's, and the index ix_mention_source_when's)."""
    return func.coalesce(Mention.published_at, Mention.collected_at)


def midnight_of(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _ones(condition: Any) -> Any:
    return func.sum(case((condition, literal_column("1")), else_=literal_column("0")))


def _latest() -> Any:
    newer = aliased(Classification)
    return select(func.max(newer.id)).where(newer.mention_id == Mention.id).scalar_subquery()


def _counts() -> list[Any]:
    review = Mention.kind == MentionKind.REVIEW
    due = Mention.reply_due_at.is_not(None)
    return [
        func.count().label("mentions"),
        _ones(and_(review, or_(Mention.reply_at.is_not(None), Mention.reply_text.is_not(None)))).label("answered"),
        _ones(and_(review, due)).label("with_deadline"),
        _ones(and_(review, due, Mention.reply_at > Mention.reply_due_at)).label("late_ever"),
        _ones(
            and_(
                review,
                due,
                Mention.reply_at.is_(None),
                Mention.reply_text.is_(None),
                Mention.status.not_in(CLOSED),
            )
        ).label("open_ever"),
    ]


def _as_string(column: Any) -> Any:
    return type_coerce(column, String)


def _mention_rows(scope: Sequence[Any]) -> list[Any]:
    """The INSERT ... SELECTs of mention_day for the mentions in `scope` (conditions on Mention)."""
    day = day_of(when_column()).label("day")
    common = [Mention.source_id, day, _as_string(Mention.kind).label("kind")]
    brand_keys = [
        _as_string(Mention.status).label("status"),
        Mention.backlog,
        _as_string(Mention.rejection_reason).label("rejection_reason"),
        Mention.off_topic,
        Classification.sentiment,
        Classification.model_name,
        Classification.model_version,
        Mention.rating_normalised.label("rating"),
    ]
    brand = (
        select(literal("").label("axis"), literal("").label("name"), *common, *brand_keys, *_counts())
        .outerjoin(Classification, Classification.id == _latest())
        .where(*scope)
        .group_by(
            Mention.source_id,
            day,
            Mention.kind,
            Mention.status,
            Mention.backlog,
            Mention.rejection_reason,
            Mention.off_topic,
            Classification.sentiment,
            Classification.model_name,
            Classification.model_version,
            Mention.rating_normalised,
        )
    )
    statements = [_insert_from(brand)]
    rejected = case((Mention.status == MentionStatus.REJECTED, literal("rejected")), else_=literal(""))
    for axis, column in ((PRODUCT, Mention.product), (LOCATION, Mention.location)):
        named = (
            select(
                literal(axis).label("axis"),
                column.label("name"),
                *common,
                rejected.label("status"),
                false().label("backlog"),
                null().label("rejection_reason"),
                false().label("off_topic"),
                Classification.sentiment,
                null().label("model_name"),
                null().label("model_version"),
                Mention.rating_normalised.label("rating"),
                *_counts(),
            )
            .outerjoin(Classification, Classification.id == _latest())
            .where(*scope, column.is_not(None), column != "", Mention.off_topic.is_(False))
            .group_by(Mention.source_id, day, Mention.kind, column, rejected, Classification.sentiment)
            .group_by(Mention.rating_normalised)
        )
        statements.append(_insert_from(named))
    return statements


def _insert_from(query: Any) -> Any:
    names = [c.name for c in query.selected_columns]
    return insert(MentionDay).from_select(names, query)


def _topic_rows(scope: Sequence[Any]) -> list[Any]:
    day = day_of(when_column()).label("day")
    sentiment = func.coalesce(MentionTopic.sentiment, Classification.sentiment).label("sentiment")
    tags = (
        select(
            Mention.source_id, day, MentionTopic.version, MentionTopic.topic, sentiment, func.count().label("mentions")
        )
        .select_from(MentionTopic)
        .join(Mention, Mention.id == MentionTopic.mention_id)
        .outerjoin(Classification, Classification.id == _latest())
        .where(*scope, Mention.off_topic.is_(False))
        .group_by(Mention.source_id, day, MentionTopic.version, MentionTopic.topic, sentiment)
    )
    tagged = (
        select(
            Mention.source_id,
            day,
            MentionTopic.version,
            literal("").label("topic"),
            null().label("sentiment"),
            func.count(func.distinct(Mention.id)).label("mentions"),
        )
        .select_from(MentionTopic)
        .join(Mention, Mention.id == MentionTopic.mention_id)
        .where(*scope, Mention.off_topic.is_(False))
        .group_by(Mention.source_id, day, MentionTopic.version)
    )
    columns = ["source_id", "day", "version", "topic", "sentiment", "mentions"]
    return [insert(TopicDay).from_select(columns, tags), insert(TopicDay).from_select(columns, tagged)]


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ROLLUP_LOCK)))


def rebuild(session: Session) -> None:
    """Every rollup row recomputed from the rows (`veilleur rollups --rebuild`); pending marks are dropped."""
    _lock(session)
    session.execute(delete(RollupChange))
    session.execute(delete(MentionDay))
    session.execute(delete(TopicDay))
    for statement in [*_mention_rows([]), *_topic_rows([])]:
        session.execute(statement)


def _day_scope(day: date, source_ids: Sequence[int]) -> list[Any]:
    when = when_column()
    return [
        Mention.source_id.in_(list(source_ids)),
        when >= literal(midnight_of(day), UTCDateTime()),
        when < literal(midnight_of(day + timedelta(days=1)), UTCDateTime()),
    ]


def refresh(session: Session) -> int:
    """Recompute the days the triggers marked; the number of (source, day) recomputed. Cheap when nothing changed
    (one indexed read). Runs in the caller's transaction: the report that calls it reads what it wrote."""
    if session.scalar(select(RollupChange.id).limit(1)) is None:
        return 0
    _lock(session)
    marks = session.execute(delete(RollupChange).returning(RollupChange.source_id, RollupChange.day)).all()
    # By day: a crawl of thousands of sources marks today and yesterday of each, a few statements in all.
    sources: dict[date, set[int]] = {}
    for source_id, day in marks:
        sources.setdefault(day, set()).add(source_id)
    count = sum(len(s) for s in sources.values())
    if len(sources) > FULL_REBUILD_DAYS:
        rebuild(session)
        return count
    for day, wanted in sorted(sources.items()):
        ordered = sorted(wanted)
        for i in range(0, len(ordered), SOURCES_PER_QUERY):
            chunk = ordered[i : i + SOURCES_PER_QUERY]
            for table in (MentionDay, TopicDay):
                session.execute(delete(table).where(table.day == day, table.source_id.in_(chunk)))
            scope = _day_scope(day, chunk)
            for statement in [*_mention_rows(scope), *_topic_rows(scope)]:
                session.execute(statement)
    return count


MENTION_KEYS = [c.name for c in MentionDay.__table__.columns if c.name != "id"]
TOPIC_KEYS = [c.name for c in TopicDay.__table__.columns if c.name != "id"]


def _stored(session: Session, table: Any, keys: list[str]) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(row) for row in session.execute(select(*(table.c[k] for k in keys))))


def _expected(session: Session, statements: list[Any], keys: list[str]) -> Counter[tuple[Any, ...]]:
    found: Counter[tuple[Any, ...]] = Counter()
    for statement in statements:
        for row in session.execute(statement.select).mappings():
            found[tuple(row[k] for k in keys)] += 1
    return found


def check(session: Session, shown: int = 10) -> list[str]:
    """The rollup rows that differ from the rows' aggregate (after a refresh), as readable lines; [] when they
    agree. Reads only, besides the refresh."""
    refresh(session)
    problems = []
    for table, keys, statements in (
        (MentionDay.__table__, MENTION_KEYS, _mention_rows([])),
        (TopicDay.__table__, TOPIC_KEYS, _topic_rows([])),
    ):
        have, want = _stored(session, table, keys), _expected(session, statements, keys)
        for row in sorted(set(have) | set(want), key=repr):
            if have[row] != want[row]:
                said = dict(zip(keys, row, strict=True))
                problems.append(f"{table.name} {said}: stored {have[row]} time(s), the rows say {want[row]}")
    return problems[:shown] if shown else problems


def counted(session: Session, source_ids: Iterable[int]) -> int:
    """Mentions the rollups count for these sources (the brand's axis): a quick look for `veilleur rollups`."""
    query = select(func.coalesce(func.sum(MentionDay.mentions), 0)).where(
        MentionDay.axis == "", MentionDay.source_id.in_(list(source_ids))
    )
    return int(session.scalar(query) or 0)
