"""Topic figures from the stored tags (mention_topic): volume and sentiment per topic for both periods, quoted
examples of praise and irritants, and weak signals. Counting happens in SQL: tags are never recomputed here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from models import Classification, Mention, MentionStatus, MentionTopic, Source
from models.relevance import on_topic
from reports.collect import PREVIOUS, latest_classification, when_column
from reports.figures import Quote, TopicFigures
from reports.topics import OTHER, Topic

QUOTE_CHARS = 280
NOT_QUOTED = (MentionStatus.REJECTED, MentionStatus.WITHDRAWN)
# Weak signals: strongly felt (1 or 5 stars, given or estimated) and about something the known topics miss.
EXTREME_LOW, EXTREME_HIGH = 1.5, 4.5
WEAK_SIGNALS_MAX = 8


def _in_period(source_ids: Sequence[int], start: datetime, end: datetime) -> Any:
    when = when_column()
    return and_(Mention.source_id.in_(list(source_ids)), on_topic(), when >= start, when < end)


def tagger_version(session: Session, source_ids: Sequence[int], start: datetime, end: datetime) -> str | None:
    """The tagger version that covers most of the period's mentions (a changed topic list re-tags gradually)."""
    versions = session.scalars(select(MentionTopic.version).distinct().limit(2)).all()
    if len(versions) < 2:  # the usual case, one tagger ever: no need to count the period's mentions per version
        tagged = select(MentionTopic.id).join(Mention, Mention.id == MentionTopic.mention_id)
        any_tagged = session.scalar(tagged.where(_in_period(source_ids, start, end)).limit(1))
        return versions[0] if versions and any_tagged is not None else None
    row = session.execute(
        select(MentionTopic.version, func.count(func.distinct(MentionTopic.mention_id)).label("n"))
        .join(Mention, Mention.id == MentionTopic.mention_id)
        .where(_in_period(source_ids, start, end))
        .group_by(MentionTopic.version)
        .order_by(func.count(func.distinct(MentionTopic.mention_id)).desc(), MentionTopic.version)
        .limit(1)
    ).first()
    return row.version if row else None


def untagged_count(session: Session, version: str | None, rows: Any) -> int:
    """The period's mentions (`rows`: reports/collect.materialised) this tagger version has not seen."""
    tagged = select(MentionTopic.id).where(
        MentionTopic.mention_id == rows.c.mention_id, MentionTopic.version == version
    )
    query = select(func.count()).select_from(rows).where(_current(rows), ~tagged.exists())
    return int(session.scalar(query) or 0)


def _current(rows: Any) -> Any:
    return rows.c.bucket != literal_column(str(PREVIOUS))


def _tagged(rows: Any, version: str) -> Any:
    """The period's rows joined to their topics of this tagger version."""
    return (
        select()
        .select_from(MentionTopic)
        .join(rows, rows.c.mention_id == MentionTopic.mention_id)
        .where(MentionTopic.version == version)
    )


def topic_figures(session: Session, topics: Sequence[Topic], version: str, rows: Any) -> list[TopicFigures]:
    """Mentions per topic, period and sentiment, counted over the period's rows (both periods)."""
    figures = {t.name: TopicFigures(t.name, t.label) for t in topics}
    current = case((_current(rows), 1), else_=0).label("current")
    counted = _tagged(rows, version).add_columns(MentionTopic.topic, current, rows.c.sentiment, func.count())
    for topic, is_current, sentiment, n in session.execute(
        counted.group_by(MentionTopic.topic, current, rows.c.sentiment)
    ):
        if topic not in figures:  # "other", or a topic since removed from settings
            continue
        counts = figures[topic].current if is_current else figures[topic].previous
        counts[sentiment or "unclassified"] += n
    return list(figures.values())


def _quote_text(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= QUOTE_CHARS:
        return text
    cut = text[:QUOTE_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def _quotes(session: Session, query: Any) -> list[Quote]:
    return [
        Quote(
            mention_id=row.id,
            text=_quote_text(row.text),
            source=row.source,
            when=row.when,
            url=row.url,
            rating=None if row.rating_normalised is None else 1 + 4 * row.rating_normalised,
            sentiment=row.sentiment,
            topic=row.topic,
            score=row.score,
        )
        for row in session.execute(query)
    ]


def _quote_query(version: str, ids: Any) -> Any:
    """The quotes' texts, for the few mentions chosen."""
    return (
        select(
            Mention.id,
            Mention.text,
            Mention.url,
            Mention.rating_normalised,
            when_column().label("when"),
            Source.name.label("source"),
            Classification.sentiment,
            MentionTopic.topic,
            MentionTopic.score,
        )
        .join(Mention, Mention.id == MentionTopic.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .outerjoin(Classification, Classification.id == latest_classification())
        .where(MentionTopic.version == version, Mention.id.in_(ids))
    )


def _quotable(rows: Any) -> Any:
    # Rejected and withdrawn mentions (abuse, personal data, an erasure...) are never quoted in a report meant
    # to be forwarded.
    return and_(_current(rows), rows.c.status.not_in([status.value for status in NOT_QUOTED]))


def add_examples(
    session: Session, figures: Sequence[TopicFigures], version: str, rows: Any, per_topic: int = 2
) -> None:
    """Two quotes per topic and polarity: the mentions the tagger found most clearly about the topic.

    One pass ranks every shown topic's mentions (ROW_NUMBER per topic and sentiment) over the period's rows,
    then the few chosen are read with their text."""
    names = [t.name for t in figures]
    if not names:
        return
    rank = func.row_number().over(
        partition_by=(MentionTopic.topic, rows.c.sentiment),
        order_by=(MentionTopic.score.desc(), rows.c.mention_id),
    )
    ranked = (
        _tagged(rows, version)
        .add_columns(rows.c.mention_id.label("id"), MentionTopic.topic, rank.label("n"))
        .where(MentionTopic.topic.in_(names), rows.c.sentiment.in_(("positive", "negative")), _quotable(rows))
        .subquery()
    )
    chosen = session.execute(select(ranked.c.id, ranked.c.topic).where(ranked.c.n <= per_topic)).all()
    if not chosen:
        return
    query = _quote_query(version, {row.id for row in chosen}).where(MentionTopic.topic.in_(names))
    wanted = {(row.id, row.topic) for row in chosen}
    quotes = sorted(
        (q for q in _quotes(session, query) if (q.mention_id, q.topic) in wanted),
        key=lambda q: (-(q.score or 0.0), q.mention_id),
    )
    for topic in figures:
        for sentiment, target in (("positive", topic.praise_examples), ("negative", topic.irritant_examples)):
            target.extend(q for q in quotes if q.topic == topic.name and q.sentiment == sentiment)


def weak_signals(
    session: Session, figures: Sequence[TopicFigures], version: str, rows: Any, rare_share: float
) -> list[Quote]:
    """Strongly felt mentions (1 or 5 stars, given or estimated) that no known topic covers, or whose topic is
    rare this period: listed whatever their volume, the least like the known topics first."""
    tagged = sum(t.volume for t in figures)
    rare = [t.name for t in figures if 0 < t.volume <= rare_share * tagged]
    strength = func.coalesce(rows.c.rating, rows.c.estimated_stars)
    chosen = session.execute(
        _tagged(rows, version)
        .add_columns(rows.c.mention_id, MentionTopic.topic)
        .where(
            _quotable(rows),
            or_(MentionTopic.topic == OTHER, MentionTopic.topic.in_(rare)),
            or_(strength <= EXTREME_LOW, strength >= EXTREME_HIGH),
        )
        .order_by(MentionTopic.score, rows.c.mention_id)
        .limit(WEAK_SIGNALS_MAX)
    ).all()
    order = {(row.mention_id, row.topic): n for n, row in enumerate(chosen)}
    query = _quote_query(version, [row.mention_id for row in chosen])
    return sorted((q for q in _quotes(session, query) if (q.mention_id, q.topic) in order),
                  key=lambda q: order[(q.mention_id, q.topic)])  # fmt: skip
