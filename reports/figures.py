"""Report figures, recomputed from stored mentions and their stored classifications (so a report can be
regenerated identically, and says which model versions its sentiment comes from)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Brand, Classification, Mention, Source


@dataclass
class SourceFigures:
    name: str
    kind: str
    healthy: bool
    health_reason: str | None
    mentions: int = 0
    reviews_rated: int = 0
    rating_sum: float = 0.0  # on a 1-5 scale
    sentiment: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.reviews_rated if self.reviews_rated else None

    def share(self, label: str) -> float | None:
        total = sum(self.sentiment.values())
        return self.sentiment[label] / total if total else None


@dataclass
class BrandFigures:
    brand: str
    start: datetime
    end: datetime
    sources: list[SourceFigures]
    models: list[str]

    @property
    def total(self) -> SourceFigures:
        total = SourceFigures("all sources", "", all(s.healthy for s in self.sources), None)
        for source in self.sources:
            total.mentions += source.mentions
            total.reviews_rated += source.reviews_rated
            total.rating_sum += source.rating_sum
            total.sentiment.update(source.sentiment)
            total.statuses.update(source.statuses)
        return total


def brand_figures(session: Session, brand_slug: str, start: datetime, end: datetime) -> BrandFigures:
    """Mentions published in [start, end) (collected then, when the source gives no date)."""
    brand = session.scalars(select(Brand).where(Brand.slug == brand_slug)).one()
    sources = {
        source.id: SourceFigures(source.name, source.kind, source.healthy, source.health_reason)
        for source in session.scalars(select(Source).where(Source.brand_id == brand.id).order_by(Source.name))
    }
    latest = (
        select(Classification.mention_id, func.max(Classification.id).label("id"))
        .group_by(Classification.mention_id)
        .subquery()
    )
    when = func.coalesce(Mention.published_at, Mention.collected_at)
    rows = session.execute(
        select(Mention, Classification)
        .outerjoin(latest, latest.c.mention_id == Mention.id)
        .outerjoin(Classification, Classification.id == latest.c.id)
        .where(Mention.source_id.in_(sources), when >= start, when < end)
    )
    models: set[str] = set()
    for mention, classification in rows:
        figures = sources[mention.source_id]
        figures.mentions += 1
        figures.statuses[mention.status.value] += 1
        if mention.rating_normalised is not None:
            figures.reviews_rated += 1
            figures.rating_sum += 1 + 4 * mention.rating_normalised
        if classification is not None:
            figures.sentiment[classification.sentiment] += 1
            models.add(f"{classification.model_name}@{classification.model_version}")
    return BrandFigures(brand.name, start, end, list(sources.values()), sorted(models))


def by_kind(figures: BrandFigures) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for source in figures.sources:
        counts[source.kind] += source.mentions
    return dict(counts)
