"""Troll signals on stored mentions: the same text from one author across sources raises an abuse alert
that shows who is speaking and what else they posted (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.blocks import build_message
from models import Alert, AlertKind, Author, Brand, Classification, Mention, MentionKind, MentionStatus, Source
from models.db import make_engine, make_session_factory, upgrade
from moderation.jobs import route_classified
from moderation.policy import Thresholds
from moderation.trolls import shingles, similarity

NOW = datetime.now(UTC)
TEXT = "Acme vend des produits dangereux, ce sont des escrocs, boycott total de cette boîte"


def test_near_duplicates_are_similar_and_other_texts_are_not():
    assert similarity(shingles(TEXT), shingles(TEXT + " !!!")) > 0.7
    assert similarity(shingles(TEXT), shingles("Livraison rapide, produit conforme, merci")) < 0.2


def test_a_campaign_by_one_author_raises_an_abuse_alert_with_the_authors_activity(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        sources = [Source(brand_id=brand.id, name=name, kind="mastodon") for name in ("mastodon", "reddit")]
        session.add_all(sources)
        author = Author(source_kind="mastodon", handle="h" * 32, name="Jean Dupont", display_name="Jean D.")
        session.add(author)
        session.flush()
        for number in range(4):
            mention = Mention(
                source_id=sources[number % 2].id,
                external_id=f"p{number}",
                kind=MentionKind.POST,
                author_id=author.id,
                text=TEXT + "!" * number,
                url=f"https://social.example/{number}",
                published_at=NOW - timedelta(minutes=10 * number),
                status=MentionStatus.CLASSIFIED if number == 0 else MentionStatus.WATCH,
            )
            session.add(mention)
            session.flush()
            session.add(
                Classification(
                    mention_id=mention.id,
                    model_name="fake",
                    model_version="1",
                    sentiment="negative",
                    stars=1.5,
                    toxic=0.3,
                    spam=0.0,
                    scores={"sentiment": {"negative": 0.8, "neutral": 0.1, "positive": 0.1}},
                )
            )
    assert route_classified(sessions, Thresholds(0.5, 0.5, 0.5), "#alerts") == 1
    with sessions.begin() as session:
        alert = session.query(Alert).one()
        assert alert.kind == AlertKind.ABUSE
        assert alert.payload["why"]["rule"] == "troll_signals"
        author_view = alert.payload["author"]
        assert author_view["display_name"] == "Jean D." and "Jean Dupont" not in str(alert.payload)
        assert any("same text posted 4 times on 2 source(s)" in s for s in author_view["signals"])
        assert len(author_view["recent"]) == 3
        message = build_message(alert.kind, "Acme", alert.payload, alert.id)
    engine.dispose()
    text = str(message["blocks"])
    assert "Jean D." in text and "same text posted" in text and "reddit" in text
