"""Author signals for troll detection: bursts of posts, the same or near-same text across sources, and a
history of rejected posts. A community manager facing a hate message first asks "who is speaking?":
`author_activity` answers with the author's recent posts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Mention, MentionStatus, Source

_WORDS = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = 3) -> set[str]:
    words = _WORDS.findall(text.casefold())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[index : index + size]) for index in range(len(words) - size + 1)}


def similarity(first: set[str], second: set[str]) -> float:
    """Jaccard similarity of two texts' shingles. An author's last 200 posts at most are compared, so the exact
    value is cheap; an estimate (MinHash, e.g. `datasketch`) pays off only over far more texts."""
    if not first and not second:
        return 1.0  # two posts without a word (emoji only, say) count as the same text
    return len(first & second) / len(first | second)


@dataclass(frozen=True)
class AuthorSignals:
    posts_last_hour: int = 0
    near_duplicates: int = 0  # other recent posts of this author with (nearly) the same text
    duplicate_sources: int = 0  # on how many sources the text appeared, this mention's included
    rejected: int = 0  # this author's mentions rejected before
    recent: list[dict[str, Any]] = field(default_factory=list)

    def reasons(self, burst: int = 5) -> list[str]:
        found = []
        if self.posts_last_hour >= burst:
            found.append(f"{self.posts_last_hour} posts in the last hour")
        if self.near_duplicates >= 2:
            found.append(f"same text posted {self.near_duplicates + 1} times on {self.duplicate_sources} source(s)")
        if self.rejected >= 2:
            found.append(f"{self.rejected} earlier posts rejected")
        return found


def author_activity(session: Session, mention: Mention, now: datetime, days: int = 7) -> AuthorSignals:
    if mention.author_id is None:
        return AuthorSignals()
    since = now - timedelta(days=days)
    rows = session.execute(
        select(Mention, Source.name)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.author_id == mention.author_id, Mention.id != mention.id)
        .order_by(Mention.collected_at.desc())
        .limit(200)
    ).all()
    when = mention.published_at or mention.collected_at
    recent = [(other, source) for other, source in rows if (other.published_at or other.collected_at) >= since]
    grams = shingles(mention.text)
    duplicates = [(o, s) for o, s in recent if similarity(grams, shingles(o.text)) >= 0.7]
    burst = [o for o, _ in recent if abs((o.published_at or o.collected_at) - when) <= timedelta(hours=1)]
    return AuthorSignals(
        posts_last_hour=len(burst) + 1,
        near_duplicates=len(duplicates),
        duplicate_sources=len({source for _, source in duplicates} | {_source_name(session, mention)}),
        rejected=sum(1 for other, _ in rows if other.status == MentionStatus.REJECTED),
        recent=[
            {
                "source": source,
                "at": (other.published_at or other.collected_at).isoformat(),
                "status": other.status.value,
                "text": other.text[:200],
                "url": other.url,
            }
            for other, source in recent[:5]
        ],
    )


def _source_name(session: Session, mention: Mention) -> str:
    return session.get_one(Source, mention.source_id).name
