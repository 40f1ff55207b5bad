"""A small hand-made dataset whose report figures are computed by hand in test_figures.py.

Periods: current 2026-03-01 to 2026-03-08 (end excluded), previous 2026-02-22 to 2026-03-01. Ratings on 5 stars
unless said; #6 is 9/10 (normalised 8/9, 41/9 on 5, rounds to 5 stars)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Alert,
    AlertKind,
    Brand,
    Classification,
    Mention,
    MentionKind,
    MentionStatus,
    MentionTopic,
    RejectionReason,
    Source,
)

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 8, tzinfo=UTC)
VERSION = "test-v1"


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def stars(value: float) -> dict[str, float]:
    return {"rating": value, "rating_best": 5, "rating_worst": 1, "rating_normalised": (value - 1) / 4}


# number: (source, kind, fields, sentiment, topics)
MENTIONS: dict[int, tuple[str, MentionKind, dict[str, Any], str, list[tuple[str, float]]]] = {
    1: (
        "shop",
        MentionKind.REVIEW,
        {
            **stars(5),
            "published_at": at(1, 0),
            "reply_at": at(1, 2),
            "reply_due_at": at(2, 0),
            "product": "P1",
            "location": "Paris",
            "status": MentionStatus.PUBLISHED,
            "text": "Livraison rapide, le livreur a été adorable.",
        },
        "positive",
        [("delivery", 0.95)],
    ),
    2: (
        "shop",
        MentionKind.REVIEW,
        {
            **stars(4),
            "published_at": at(2, 9),
            "product": "P1",
            "location": "Paris",
            "status": MentionStatus.PUBLISHED,
            "text": "Colis reçu vite. Site clair.",
        },
        "positive",
        [("delivery", 0.90), ("website", 0.88)],
    ),
    3: (
        "shop",
        MentionKind.REVIEW,
        {
            **stars(2),
            "published_at": at(3, 8),
            "reply_at": at(4, 14),
            "reply_due_at": at(4, 8),
            "product": "P2",
            "location": "Lyon",
            "status": MentionStatus.REPLIED,
            "text": "Three weeks waiting for my parcel.",
        },
        "negative",
        [("delivery", 0.93)],
    ),
    4: (
        "shop",
        MentionKind.REVIEW,
        {
            **stars(1),
            "published_at": at(5, 12),
            "reply_due_at": at(6, 12),
            "product": "P2",
            "assignee": "alice",
            "status": MentionStatus.TO_REPLY,
            "text": "Le service client ne répond jamais.",
        },
        "negative",
        [("customer_service", 0.91)],
    ),
    5: (
        "trust",
        MentionKind.REVIEW,
        {
            **stars(3),
            "published_at": at(6, 0),
            "reply_text": "Merci.",
            "status": MentionStatus.PUBLISHED,
            "text": "Correct sans plus.",
        },
        "neutral",
        [("other", 0.5)],
    ),
    6: (
        "trust",
        MentionKind.REVIEW,
        {
            "rating": 9,
            "rating_best": 10,
            "rating_worst": 1,
            "rating_normalised": 8 / 9,
            "published_at": None,
            "collected_at": at(7, 23),
            "status": MentionStatus.PUBLISHED,
            "text": "The installer even vacuumed after assembling the wardrobe!",
        },
        "positive",
        [("other", 0.6)],
    ),
    7: (
        "trust",
        MentionKind.POST,
        {"published_at": at(4, 10), "status": MentionStatus.WATCH, "text": "Still no parcel from acme, a week late."},
        "negative",
        [("delivery", 0.89)],
    ),
    8: (
        "trust",
        MentionKind.REVIEW,
        {
            **stars(1),
            "published_at": at(2, 15),
            "status": MentionStatus.REJECTED,
            "rejection_reason": RejectionReason.ABUSIVE,
            "text": "The shop staff are idiots.",
        },
        "negative",
        [("store_staff", 0.97)],
    ),
    # The period's end is excluded.
    90: (
        "shop",
        MentionKind.REVIEW,
        {**stars(1), "published_at": END, "status": MentionStatus.PUBLISHED, "text": "Next period."},
        "negative",
        [("delivery", 0.99)],
    ),
    # Previous period.
    9: (
        "shop",
        MentionKind.REVIEW,
        {
            **stars(4),
            "published_at": at(25, 10, 2),
            "reply_at": at(25, 14, 2),
            "product": "P1",
            "status": MentionStatus.PUBLISHED,
            "text": "Bonne livraison.",
        },
        "positive",
        [("delivery", 0.9)],
    ),
    10: (
        "shop",
        MentionKind.REVIEW,
        {
            **stars(2),
            "published_at": at(26, 10, 2),
            "reply_due_at": at(27, 10, 2),
            "product": "P2",
            "status": MentionStatus.TO_REPLY,
            "text": "Colis abîmé.",
        },
        "negative",
        [("delivery", 0.92)],
    ),
    11: (
        "trust",
        MentionKind.POST,
        {"published_at": at(28, 10, 2), "status": MentionStatus.WATCH, "text": "Vu une pub acme."},
        "neutral",
        [("other", 0.4)],
    ),
    # Older reviews of P3: bad then good; in neither period but counted in "last N reviews".
    20: (
        "shop",
        MentionKind.REVIEW,
        {
            **stars(1),
            "published_at": at(5, 10, 1),
            "product": "P3",
            "status": MentionStatus.PUBLISHED,
            "text": "Mauvais.",
        },
        "negative",
        [],
    ),
    21: (
        "shop",
        MentionKind.REVIEW,
        {
            **stars(1),
            "published_at": at(6, 10, 1),
            "product": "P3",
            "status": MentionStatus.PUBLISHED,
            "text": "Mauvais.",
        },
        "negative",
        [],
    ),
    22: (
        "shop",
        MentionKind.REVIEW,
        {**stars(5), "published_at": at(7, 10, 1), "product": "P3", "status": MentionStatus.PUBLISHED, "text": "Bien."},
        "positive",
        [],
    ),
    23: (
        "shop",
        MentionKind.REVIEW,
        {**stars(5), "published_at": at(8, 10, 1), "product": "P3", "status": MentionStatus.PUBLISHED, "text": "Bien."},
        "positive",
        [],
    ),
}


def load(session: Session) -> dict[int, int]:
    """Store the dataset; returns fixture number -> mention id."""
    # The worker's Context may have stored the brand from settings already.
    acme = session.scalars(select(Brand).where(Brand.slug == "acme")).first() or Brand(slug="acme", name="Acme")
    other = Brand(slug="other", name="Other")
    session.add_all([acme, other])
    session.flush()
    sources = {
        "shop": Source(brand_id=acme.id, name="shop", kind="survey", own=True),
        "trust": Source(brand_id=acme.id, name="trust", kind="trustpilot"),
        "elsewhere": Source(brand_id=other.id, name="elsewhere", kind="trustpilot"),
    }
    session.add_all(sources.values())
    session.flush()
    ids = {}
    for number, (source, kind, fields, sentiment, topics) in MENTIONS.items():
        ids[number] = _mention(session, sources[source], kind, f"m{number}", fields, sentiment, topics)
    # Another brand's mention in the period: never counted.
    _mention(
        session,
        sources["elsewhere"],
        MentionKind.REVIEW,
        "x1",
        {**stars(1), "published_at": at(3), "text": "Other brand."},
        "negative",
        [("delivery", 0.99)],
    )
    # #3 was first classified positive by an older model: only its latest classification counts.
    session.add(
        Classification(
            mention_id=ids[3],
            model_name="fake",
            model_version="0",
            sentiment="positive",
            stars=4.0,
            toxic=0.0,
            spam=0.0,
            created_at=at(3, 9),
        )
    )
    session.flush()
    latest = Classification(
        mention_id=ids[3], model_name="fake", model_version="1", sentiment="negative", stars=2.0, toxic=0.0, spam=0.0
    )
    session.add(latest)
    # An older tagger version covering one mention: the report uses the version covering most mentions.
    session.add(MentionTopic(mention_id=ids[1], topic="website", score=0.99, method="old", version="old-v0"))
    for created, brand in ((at(3), acme), (at(25, 12, 2), acme), (at(3), other)):
        session.add(
            Alert(
                brand_id=brand.id,
                kind=AlertKind.CRISIS,
                dedupe_key=f"crisis:{brand.slug}:{created}",
                channel="#alerts",
                created_at=created,
                payload={"source": "trust", "text": "Mentions x4 in 30 min"},
            )
        )
    session.flush()
    return ids


def _mention(
    session: Session,
    source: Source,
    kind: MentionKind,
    external_id: str,
    fields: dict[str, Any],
    sentiment: str,
    topics: list[tuple[str, float]],
) -> int:
    fields = dict(fields)
    fields.setdefault("collected_at", at(9, 0, 3))
    mention = Mention(source_id=source.id, external_id=external_id, kind=kind, **fields)
    session.add(mention)
    session.flush()
    if sentiment != "skip":
        # The later classification (fake@1) is added after #3's older one in load(); ids keep the order.
        if external_id != "m3":
            session.add(
                Classification(
                    mention_id=mention.id,
                    model_name="fake",
                    model_version="1",
                    sentiment=sentiment,
                    stars=3.0,
                    toxic=0.0,
                    spam=0.0,
                )
            )
    # The tags' sentences say what the whole mention says (aspect-level sentiment has its own tests).
    said = None if sentiment == "skip" else sentiment
    for topic, score in topics:
        session.add(
            MentionTopic(
                mention_id=mention.id, topic=topic, score=score, method="test", version=VERSION, sentiment=said
            )
        )
    return mention.id
