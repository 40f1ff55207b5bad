"""Judge the relevance of a batch of mentions to their brand, in the classify stage (before routing, so an
off-topic mention never alerts): the brand query first, then the encoder's score when the brand has an `about`.

Which mentions are judged: posts (searches, alerts, social timelines) by the brand's query; everything a
source collects when that source has a query of its own. Reviews from the brand's own review pages need none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.brand_query import BrandQuery
from models import Brand, Correction, Mention, MentionKind, Source
from models.relevance import MARK_TASK, OFF_TOPIC, RELEVANT
from moderation.relevance.score import Anchors, Embed, Scorer, anchors


@dataclass(frozen=True)
class BrandRules:
    query: BrandQuery | None = None
    source_queries: dict[str, BrandQuery] = field(default_factory=dict)
    anchors: Anchors | None = None  # None: no `about`, the query alone decides

    def query_for(self, source: str, kind: MentionKind) -> BrandQuery | None:
        if source in self.source_queries:
            return self.source_queries[source]
        return self.query if kind == MentionKind.POST else None


def mention_text(mention: Mention) -> str:
    return f"{mention.title}. {mention.text}" if mention.title else mention.text


class Relevance:
    """`embed` is called only when a brand with an `about` has a post to score (the encoder loads lazily)."""

    def __init__(
        self, brands: dict[str, BrandRules], threshold: float, embed: Callable[[], Embed] | None, marks: int = 200
    ) -> None:
        self.brands = brands
        self.threshold = threshold
        self._embed_factory = embed
        self._embed: Embed | None = None
        self.marks = marks
        self._scorers: dict[str, Scorer] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> Relevance:
        brands = {
            brand.slug: BrandRules(
                brand.query.compiled() if brand.query else None,
                {source.name: source.query.compiled() for source in brand.sources if source.query},
                Anchors(tuple(anchors(brand.about)), tuple(brand.not_about)) if anchors(brand.about) else None,
            )
            for brand in settings.brands
        }
        cache_dir = settings.path(settings.classifier.cache_dir)
        return cls(brands, settings.relevance.threshold, lambda: _encoder_embed(cache_dir), settings.relevance.marks)

    @property
    def active(self) -> bool:
        return any(rules.query or rules.source_queries or rules.anchors for rules in self.brands.values())

    def judge(self, session: Session, mentions: Sequence[Mention]) -> None:
        """Set `off_topic`, `relevance` and `relevance_reason` on each judged mention (the caller commits)."""
        to_score: dict[str, list[Mention]] = {}
        for mention in mentions:
            source = session.get_one(Source, mention.source_id)
            slug = session.get_one(Brand, source.brand_id).slug
            rules = self.brands.get(slug)
            query = rules.query_for(source.name, mention.kind) if rules else None
            if rules is None or (query is None and not (rules.anchors and mention.kind == MentionKind.POST)):
                continue
            why = query.explain(mention_text(mention)) if query else None
            if why:
                mention.off_topic, mention.relevance_reason = True, why
            elif rules.anchors and self._embed_factory is not None:
                to_score.setdefault(slug, []).append(mention)
            else:
                mention.off_topic, mention.relevance_reason = False, "query: matched"
        for slug, batch in to_score.items():
            scorer = self._scorer(slug)  # loads the encoder on first use
            relevant, off = self._marked(session, slug)
            scores = scorer.scores([mention_text(m) for m in batch], relevant, off)
            for mention, score in zip(batch, scores, strict=True):
                mention.relevance = score
                mention.off_topic = score < self.threshold
                sign = "<" if mention.off_topic else ">="
                mention.relevance_reason = f"relevance {score:.2f} {sign} {self.threshold:g}"

    def _scorer(self, slug: str) -> Scorer:
        if slug not in self._scorers:
            anchors = self.brands[slug].anchors
            assert anchors is not None and self._embed_factory is not None
            if self._embed is None:
                self._embed = self._embed_factory()
            self._scorers[slug] = Scorer(self._embed, anchors)
        return self._scorers[slug]

    def _marked(self, session: Session, slug: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Vectors of the brand's posts moderators marked relevant and off-topic (the newest `marks`)."""
        if not self.marks:
            return None, None
        rows = session.execute(
            select(Correction.label, Mention)
            .join(Mention, Mention.id == Correction.mention_id)
            .join(Source, Source.id == Mention.source_id)
            .join(Brand, Brand.id == Source.brand_id)
            .where(Brand.slug == slug, Correction.task == MARK_TASK)
            .order_by(Correction.id.desc())
            .limit(self.marks)
        ).all()
        latest: dict[int, tuple[str, Mention]] = {}
        for label, mention in rows:
            latest.setdefault(mention.id, (label, mention))  # a later mark wins over an earlier one
        embed = self._embed
        assert embed is not None
        out = []
        for wanted in (RELEVANT, OFF_TOPIC):
            texts = [mention_text(m) for label, m in latest.values() if label == wanted]
            out.append(embed(texts) if texts else None)
        return out[0], out[1]


def _encoder_embed(cache_dir: Path) -> Embed:
    from moderation.relevance.encoder import shared_encoder

    return shared_encoder(cache_dir).embed
