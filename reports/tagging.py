"""Tag the topics of mentions that have none for the current tagger version, in batches, once per mention: each
batch claims its mentions (models/claims.py), so on PostgreSQL any number of workers can tag at once. Each tag
keeps the sentence(s) that speak of its topic and their sentiment (aspect-level sentiment, reports/topics.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Mention, MentionTopic
from models.claims import claim, insert_once
from models.relevance import on_topic
from reports.topics import Tagger, Topic, make_tagger


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


@lru_cache(maxsize=2)
def _tagger(topics: tuple[Topic, ...], cache_dir: Path, method: str) -> Tagger:
    return make_tagger(topics, cache_dir, method)


def cached_tagger(topics: Sequence[Topic], cache_dir: Path, method: str = "embeddings") -> Tagger:
    """One tagger per topic list and process: loading the encoder takes seconds, tagging a batch less."""
    return _tagger(tuple(topics), cache_dir, method)


def forget_taggers() -> None:
    """Drop the cached taggers (the worker releases an idle encoder); the next `cached_tagger` loads again."""
    _tagger.cache_clear()
