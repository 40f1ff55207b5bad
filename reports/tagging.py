"""Tag the topics of mentions that have none for the current tagger version, in batches, once per mention: each
batch claims its mentions (models/claims.py), so on PostgreSQL any number of workers can tag at once. Each tag
keeps the sentence(s) that speak of its topic and their sentiment (aspect-level sentiment, reports/topics.py).
Each brand's mentions (its competitors' sources too) are tagged with its own topic list (`topic_lists`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Brand, Mention, MentionTopic, Source
from models.claims import claim, insert_once
from models.relevance import on_topic
from reports.topics import Tagger, Topic, brand_topics, make_tagger, topics_from


@dataclass(frozen=True)
class TopicList:
    """One topic list and the mentions it tags (`scope`: conditions on Mention)."""

    topics: tuple[Topic, ...]
    slugs: tuple[str, ...]  # the brands on this list; the default list also tags brands not in settings
    scope: tuple[Any, ...]


def _of_brands(slugs: Sequence[str]) -> Any:
    return Mention.source_id.in_(select(Source.id).join(Brand).where(Brand.slug.in_(list(slugs))))


def topic_lists(settings: Any) -> list[TopicList]:
    """The deployment's topic lists, each with the brands on it: brands with the same list share it (and its
    tags). The default list (`[reports]`) comes first and covers every brand not on another one, so with no
    `[[brands]] industry` it is the one list, over every mention, as before lists per brand."""
    default = tuple(topics_from(settings.reports.topics, settings.reports.industry))
    brands: dict[tuple[Topic, ...], list[str]] = {default: []}
    for brand in settings.brands:
        brands.setdefault(tuple(brand_topics(settings.reports, brand)), []).append(brand.slug)
    elsewhere = [slug for topics, slugs in brands.items() if topics != default for slug in slugs]
    lists = [TopicList(default, tuple(brands[default]), (~_of_brands(elsewhere),) if elsewhere else ())]
    for topics, slugs in brands.items():
        if topics != default:
            lists.append(TopicList(topics, tuple(slugs), (_of_brands(slugs),)))
    return lists


def untagged(
    session: Session, version: str, limit: int, scope: Sequence[Any] = (), claimed: bool = False
) -> list[tuple[int, str]]:
    """Up to `limit` mentions with no topic for `version`, with the text to tag. `claimed`: locked for this
    transaction, skipping the ones another worker is tagging (models/claims.py)."""
    tagged = exists().where(MentionTopic.mention_id == Mention.id, MentionTopic.version == version)
    # Off-topic mentions never enter topics (models/relevance.py).
    query = (
        select(Mention.id, Mention.text, Mention.title)
        .where(~tagged, on_topic(), *scope)
        .order_by(Mention.id)
        .limit(limit)
    )
    while True:
        rows = cast(Sequence[tuple[int, str, str | None]], session.execute(claim(query) if claimed else query).all())
        found = [(mention_id, f"{title}. {text}" if title else text) for mention_id, text, title in rows]
        if not claimed or not found:
            return found
        # The lock covers the mention, not its topics: a worker that tagged one of these between our read and
        # our lock has committed by now, and this second read sees it. Those are dropped (and, should all be,
        # the next ones claimed).
        done = set(
            session.scalars(
                select(MentionTopic.mention_id).where(
                    MentionTopic.version == version, MentionTopic.mention_id.in_([row[0] for row in found])
                )
            )
        )
        if len(done) < len(found):
            return [row for row in found if row[0] not in done]


def untagged_count(session: Session, version: str, scope: Sequence[Any] = ()) -> int:
    tagged = exists().where(MentionTopic.mention_id == Mention.id, MentionTopic.version == version)
    return int(session.scalar(select(func.count(Mention.id)).where(~tagged, on_topic(), *scope)) or 0)


def tag_pending(
    sessions: sessionmaker[Session],
    tagger: Tagger,
    batch_size: int = 256,
    limit: int | None = None,
    scope: Sequence[Any] = (),
    progress: Callable[[int], None] | None = None,
) -> int:
    """Tag up to `limit` mentions (all when None); each batch is committed on its own, so a crash keeps the done
    ones and a restart carries on where it stopped."""
    done = 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        with sessions.begin() as session:
            batch = untagged(session, tagger.version, size, scope, claimed=True)
            if not batch:
                break
            rows = [
                {
                    "mention_id": mention_id,
                    "topic": aspect.topic,
                    "score": round(aspect.score, 4),
                    "method": tagger.method,
                    "version": tagger.version,
                    "sentiment": aspect.sentiment,
                    "sentiment_score": aspect.sentiment_score,
                    "sentence": aspect.sentence or None,
                }
                for (mention_id, _), aspects in zip(batch, tagger.aspects([text for _, text in batch]), strict=True)
                for aspect in aspects
            ]
            # The last guard (SQLite ignores the claim): topics another worker stored stay, these are skipped.
            insert_once(session, MentionTopic, rows)
        done += len(batch)
        if progress:
            progress(len(batch))
    return done


# Taggers kept: one per topic list in use (the encoder itself is loaded once per process and shared; a tagger
# adds its list's example embeddings, a few hundred vectors).
@lru_cache(maxsize=16)
def _tagger(topics: tuple[Topic, ...], cache_dir: Path, method: str) -> Tagger:
    return make_tagger(topics, cache_dir, method)


def cached_tagger(topics: Sequence[Topic], cache_dir: Path, method: str = "embeddings") -> Tagger:
    """One tagger per topic list and process: loading the encoder takes seconds, embedding a list's examples a
    fraction of one, tagging a batch less."""
    return _tagger(tuple(topics), cache_dir, method)


def forget_taggers() -> None:
    """Drop the cached taggers (the worker releases an idle encoder); the next `cached_tagger` loads again."""
    _tagger.cache_clear()
