"""The published feed of a brand: every review with a publication that was not withdrawn.

One entry per review, built from what is stored now (DESIGN.md rule 3): the minimised name, the review and
experience dates, the rating with its scale, the title and the text whole, "verified purchase" only when an
order reference backs it, any update date, and the brand's reply (rule 4). Rendered as JSON here, and as the
widget (an HTML fragment with schema.org JSON-LD, or a script) by widget.py.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Brand, Mention, MentionStatus, Publication, Source
from models.ratings import rating_share

Entry = dict[str, Any]
_TEMPLATES = Path(__file__).parent / "templates"
environment = Environment(
    loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _rating(mention: Mention) -> tuple[float | None, float | None, float | None]:
    """The rating with its scale, or nothing when the stored numbers are not a rating (an infinite scale kept
    before numbers from outside were checked): JSON has no Infinity, and the feed must answer all the same."""
    if mention.rating is None:
        return None, mention.rating_best, mention.rating_worst
    try:
        rating_share(mention.rating, mention.rating_best, mention.rating_worst)
    except ValueError:
        return None, None, None
    return mention.rating, mention.rating_best, mention.rating_worst


def entry(mention: Mention, publication: Publication) -> Entry:
    """One published review as the site shows it. Nothing here is shortened or rewritten."""
    reply = {"text": mention.reply_text, "at": _iso(mention.reply_at)} if mention.reply_text else None
    rating, best, worst = _rating(mention)
    return {
        "id": mention.id,
        "author": publication.display_name,
        "review_date": _iso(mention.published_at or mention.collected_at),
        "published_at": _iso(publication.published_at),
        "experience_date": _iso(mention.experienced_at),
        "updated_at": _iso(mention.updated_at),
        "rating": rating,
        "rating_best": best,
        "rating_worst": worst,
        "title": mention.title,
        "text": mention.text,
        "language": mention.language,
        # Only a purchase we can tie to an order is called verified (D111-17; DESIGN.md rule 3).
        "verified_purchase": bool(mention.verified_purchase and mention.order_ref),
        "product": mention.product,
        "reply": reply,
    }


def _published(brand: str | None = None):  # type: ignore[no-untyped-def]
    query = (
        select(Mention, Publication)
        .join(Publication, Publication.mention_id == Mention.id)
        .where(Publication.withdrawn_at.is_(None), Mention.status == MentionStatus.PUBLISHED)
    )
    if brand is not None:
        query = query.join(Source, Source.id == Mention.source_id).join(Brand).where(Brand.slug == brand)
    return query


def feed_entries(session: Session, brand: str) -> list[Entry]:
    """The brand's published reviews, newest review first. Sentiment plays no part in the order (rule 1)."""
    rows = session.execute(_published(brand)).all()
    rows = sorted(rows, key=lambda row: (row[0].published_at or row[0].collected_at, row[0].id), reverse=True)
    return [entry(mention, publication) for mention, publication in rows]


def feed_entry(session: Session, mention_id: int) -> Entry | None:
    """The review's entry as the feed shows it now, or None when it is not (or no longer) published."""
    row = session.execute(_published().where(Mention.id == mention_id)).first()
    return entry(row[0], row[1]) if row else None


def feed_json(entries: list[Entry]) -> str:
    return json.dumps(entries, ensure_ascii=False, indent=2) + "\n"
