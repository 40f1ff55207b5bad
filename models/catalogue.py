"""Brands and sources declared in settings, mirrored into the database (idempotent)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.claims import serialise
from models.schema import Brand, Source


def sync_brands(session: Session, brands: Iterable[Any]) -> None:
    """`brands` are settings objects with slug, name and sources (name, kind, own). Nothing is deleted:
    a source removed from settings keeps its mentions and history."""
    # Two processes starting at once would both insert a new brand or source: the second waits for the first.
    serialise(session, "sync_brands")
    for declared in brands:
        brand = session.scalar(select(Brand).where(Brand.slug == declared.slug))
        if brand is None:
            brand = Brand(slug=declared.slug, name=declared.name)
            session.add(brand)
            session.flush()
        brand.name = declared.name
        for declared_source in declared.sources:
            source = session.scalar(
                select(Source).where(Source.brand_id == brand.id, Source.name == declared_source.name)
            )
            if source is None:
                source = Source(brand_id=brand.id, name=declared_source.name, kind=declared_source.kind)
                session.add(source)
            source.kind = declared_source.kind
            source.own = declared_source.own
            source.consent = declared_source.consent
            source.competitor = getattr(declared_source, "competitor", "") or None


def find_source(session: Session, brand_slug: str, source_name: str) -> Source | None:
    return session.scalar(select(Source).join(Brand).where(Brand.slug == brand_slug, Source.name == source_name))
