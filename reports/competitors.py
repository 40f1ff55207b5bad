"""Competitors side by side (benchmarking): each competitor's public sources, counted over the same periods as
the brand's own with the same code (reports/collect.py), and its topics from the same tagger."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Mention, MentionTopic, Source
from reports.collect import period_tally
from reports.figures import Competitor
from reports.topic_figures import _in_period
from reports.topics import Topic

OTHER = "other"


def competitors(
    session: Session,
    sources: list[Source],
    start: datetime,
    end: datetime,
    previous_start: datetime,
    as_of: datetime,
    version: str | None,
    topics: list[Topic],
) -> list[Competitor]:
    """One entry per competitor named by the brand's sources (`[[brands.sources]] competitor = "Name"`)."""
    names: dict[str, list[Source]] = {}
    for source in sources:
        if source.competitor:
            names.setdefault(source.competitor, []).append(source)
    labels = {topic.name: topic.label for topic in topics}
    found = []
    for name, group in sorted(names.items()):
        ids = [source.id for source in group]
        competitor = Competitor(
            name,
            [source.name for source in group],
            period_tally(session, ids, start, end, as_of),
            period_tally(session, ids, previous_start, start, as_of),
        )
        if version is not None:
            query = (
                select(MentionTopic.topic, MentionTopic.sentiment, func.count(func.distinct(MentionTopic.mention_id)))
                .join(Mention, Mention.id == MentionTopic.mention_id)
                .where(_in_period(ids, start, end), MentionTopic.version == version, MentionTopic.topic != OTHER)
                .group_by(MentionTopic.topic, MentionTopic.sentiment)
            )
            for topic, sentiment, n in session.execute(query):
                label = labels.get(topic, topic)
                competitor.topics[label] += n
                if sentiment == "negative":
                    competitor.negative_topics[label] += n
        found.append(competitor)
    return found


def top_topics(counts: Counter[str], negative: Counter[str], shown: int = 3) -> list[str]:
    """ "Delivery (5, 2 negative)": the most talked-about topics."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:shown]
    return [f"{label} ({n}, {negative[label]} negative)" for label, n in ranked]
