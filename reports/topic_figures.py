"""Topic figures from the stored tags (mention_topic): volume and sentiment per topic for both periods (the
sentiment of the sentences about each topic), and quoted examples of praise and irritants. Counting happens in
SQL: tags are never recomputed here."""

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
from reports.topics import Topic

QUOTE_CHARS = 280
NOT_QUOTED = (MentionStatus.REJECTED, MentionStatus.WITHDRAWN)
# Ratings (1-5) from which a review counts as five stars, or one star (stars() rounds half up).
FIVE_STARS, ONE_STAR = 4.5, 1.5


def _in_period(source_ids: Sequence[int], start: datetime, end: datetime) -> Any:
    when = when_column()
    return and_(Mention.source_id.in_(list(source_ids)), on_topic(), when >= start, when < end)


def tagger_version(
    session: Session, source_ids: Sequence[int], start: datetime, end: datetime, preferred: str | None = None
) -> str | None:
    """The tagger version that covers most of the period's mentions (a changed topic list re-tags gradually);
    `preferred` (the brand's current list) wins a tie, else the first by name."""
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
        .order_by(
            func.count(func.distinct(MentionTopic.mention_id)).desc(),
            case((MentionTopic.version == preferred, 0), else_=1),
            MentionTopic.version,
        )
        .limit(1)
    ).first()
    return row.version if row else None


def untagged_count(session: Session, version: str | None, rows: Any) -> int:
    """The period's mentions (`rows`: reports/collect.materialised) this tagger version has not seen."""
    tagged = select(MentionTopic.id).where(
        MentionTopic.mention_id == rows.c.mention_id, MentionTopic.version == version
    )
    query = select(func.count()).select_from(rows).where(current(rows), ~tagged.exists())
    return int(session.scalar(query) or 0)


def current(rows: Any) -> Any:
    return rows.c.bucket != literal_column(str(PREVIOUS))


def _tagged(rows: Any, version: str) -> Any:
    """The period's rows joined to their topics of this tagger version."""
    return (
        select()
        .select_from(MentionTopic)
        .join(rows, rows.c.mention_id == MentionTopic.mention_id)
        .where(MentionTopic.version == version)
    )


def _sentiment(rows: Any) -> Any:
    """A tag's own sentiment (its sentences'); the whole mention's for tags made before aspect-level sentiment."""
    return func.coalesce(MentionTopic.sentiment, rows.c.sentiment)


def topic_figures(session: Session, topics: Sequence[Topic], version: str, rows: Any) -> list[TopicFigures]:
    """Mentions per topic, period and sentiment (of the sentences about the topic), over both periods' rows."""
    figures = {t.name: TopicFigures(t.name, t.label) for t in topics}
    now = case((current(rows), 1), else_=0).label("current")
    sentiment = _sentiment(rows).label("sentiment")
    counted = _tagged(rows, version).add_columns(MentionTopic.topic, now, sentiment, func.count())
    for topic, is_current, label, n in session.execute(counted.group_by(MentionTopic.topic, now, sentiment)):
        if topic not in figures:  # "other", or a topic since removed from settings
            continue
        counts = figures[topic].current if is_current else figures[topic].previous
        counts[label or "unclassified"] += n
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


def quote_query(version: str, ids: Any) -> Any:
    """The quotes of the few mentions chosen, one per topic tag: the sentences that speak of the topic and their
    sentiment (the whole text and the mention's sentiment for tags made before aspect-level sentiment)."""
    return (
        select(
            Mention.id,
            func.coalesce(MentionTopic.sentence, Mention.text).label("text"),
            Mention.url,
            Mention.rating_normalised,
            when_column().label("when"),
            Source.name.label("source"),
            func.coalesce(MentionTopic.sentiment, Classification.sentiment).label("sentiment"),
            MentionTopic.topic,
            MentionTopic.score,
        )
        .join(Mention, Mention.id == MentionTopic.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .outerjoin(Classification, Classification.id == latest_classification())
        .where(MentionTopic.version == version, Mention.id.in_(ids))
    )


def shown(rows: Any) -> Any:
    # Rejected and withdrawn mentions (abuse, personal data, an erasure...) are never quoted in a report meant
    # to be forwarded.
    return rows.c.status.not_in([status.value for status in NOT_QUOTED])


def quotable(rows: Any) -> Any:
    return and_(current(rows), shown(rows))


def _illustrates(rows: Any) -> Any:
    """A tag can illustrate its own sentences' polarity only, and never against the author's own stars: a
    five-star review is no irritant, a one-star review no praise, whatever the sentence model says."""
    negative = and_(MentionTopic.sentiment == "negative", or_(rows.c.rating.is_(None), rows.c.rating < FIVE_STARS))
    positive = and_(MentionTopic.sentiment == "positive", or_(rows.c.rating.is_(None), rows.c.rating > ONE_STAR))
    return or_(negative, positive)


def add_examples(
    session: Session, figures: Sequence[TopicFigures], version: str, rows: Any, per_topic: int = 2
) -> None:
    """Up to two quotes per topic and polarity: the sentences the tagger found most clearly about the topic,
    whose own sentiment is that polarity. A mention is quoted once in the whole section (one quote, one topic).

    Each topic and polarity's tags are read in score order (index ix_mention_topic_examples) until enough: a
    handful of rows per topic however long the period, then the few candidates are read with their sentences."""
    names = [t.name for t in figures]
    if not names:
        return
    chosen = []
    for name in names:
        for polarity in ("negative", "positive"):
            # More candidates than shown: a mention already quoted under another topic gives its place to the next.
            query = (
                _tagged(rows, version)
                .add_columns(rows.c.mention_id.label("id"), MentionTopic.topic)
                .where(MentionTopic.topic == name, MentionTopic.sentiment == polarity, _illustrates(rows))
                .where(quotable(rows))
                .order_by(MentionTopic.score.desc(), rows.c.mention_id)
                .limit(3 * per_topic)
            )
            chosen += session.execute(query).all()
    if not chosen:
        return
    query = quote_query(version, {row.id for row in chosen}).where(MentionTopic.topic.in_(names))
    wanted = {(row.id, row.topic) for row in chosen}
    quotes = sorted(
        (q for q in _quotes(session, query) if (q.mention_id, q.topic) in wanted),
        key=lambda q: (-(q.score or 0.0), q.mention_id),
    )
    # The clearest tags first, whatever their topic: a review stands under the topic it speaks of most clearly.
    by_name = {t.name: t for t in figures}
    used: set[int] = set()
    for q in quotes:
        topic = by_name[q.topic] if q.topic in by_name else None
        if topic is None or q.mention_id in used:
            continue
        target = topic.irritant_examples if q.sentiment == "negative" else topic.praise_examples
        if len(target) < per_topic:
            target.append(q)
            used.add(q.mention_id)
