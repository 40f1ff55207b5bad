"""The one item schema every spider yields. Pipelines clean, normalise and store it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class MentionItem:
    """A review (kind="review", usually rated) or a social/web post (kind="post").

    Spiders fill what the page gives, as found (dates may be text, ratings may be strings); the pipelines
    turn it into clean values. `external_id` is the site's own id when there is one; otherwise the
    dedupe pipeline derives a content hash, so a re-crawl stores nothing twice.
    """

    url: str | None  # None when the page gave no http(s) link (the normalise pipeline drops any other)
    text: str
    kind: str = "review"
    external_id: str | None = None
    author: str | None = None
    author_id: str | None = None  # a stable per-site author key (profile URL, account id) when there is one
    title: str | None = None
    rating: float | str | None = None
    rating_best: float | str | None = None
    rating_worst: float | str | None = None
    language: str | None = None
    published_at: datetime | str | None = None
    experienced_at: datetime | str | None = None
    updated_at: datetime | str | None = None
    reply_text: str | None = None
    reply_at: datetime | str | None = None
    verified_purchase: bool = False
    order_ref: str | None = None
    consent: bool = False
    contact: str | None = None  # the author's e-mail, from the brand's own survey only (personal data)
    product: str | None = None
    location: str | None = None
    # How many people the source says the post reached: the author's followers (Mastodon), its points (Hacker
    # News), score (Reddit) or likes (YouTube). It weighs the mention in the crisis detector's negative share.
    reach: int | str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
