"""The worker's crisis check on stored mentions (SQLite and PostgreSQL): a burst raises one crisis alert
that says what rose and shows the mentions; the next check does not repeat it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from alerts.crisis_watch import watch_crises
from config.settings import SignalsSettings
from models import Alert, AlertKind, Brand, Mention, MentionKind, MentionStatus, Source
from models.db import make_engine, make_session_factory, upgrade

NOW = datetime(2026, 11, 25, 12, 2, tzinfo=UTC)


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def add_sources(session, kind, *names):
    """The brand "acme" and its sources of this kind, stored."""
    brand = Brand(slug="acme", name="Acme")
    session.add(brand)
    session.flush()
    sources = [Source(brand_id=brand.id, name=name, kind=kind) for name in names]
    session.add_all(sources)
    session.flush()
    return sources


def test_a_burst_of_mentions_raises_one_crisis_alert(sessions):
    rng = random.Random(0)
    with sessions.begin() as session:
        [source] = add_sources(session, "mastodon", "mastodon")
        number = 0
        start = NOW - timedelta(days=8)
        # Background: about 2 mentions an hour for eight days.
        for hour in range(8 * 24):
            for _ in range(rng.randint(1, 3)):
                number += 1
                at = start + timedelta(hours=hour, minutes=rng.randint(0, 59))
                session.add(
                    Mention(
                        source_id=source.id,
                        external_id=str(number),
                        kind=MentionKind.POST,
                        text=f"mention {number}",
                        published_at=at,
                        status=MentionStatus.WATCH,
                    )
                )
        # The wave: 40 mentions in the last 20 minutes.
        for minute in range(40):
            number += 1
            at = NOW - timedelta(minutes=20) + timedelta(seconds=30 * minute)
            session.add(
                Mention(
                    source_id=source.id,
                    external_id=str(number),
                    kind=MentionKind.POST,
                    text=f"Acme a encore perdu mon colis {number}",
                    published_at=at,
                    url=f"https://social.example/{number}",
                    status=MentionStatus.WATCH,
                )
            )
    settings = SignalsSettings()
    with sessions.begin() as session:
        alerts = watch_crises(session, settings, "#alerts", now=NOW)
    with sessions.begin() as session:
        again = watch_crises(session, settings, "#alerts", now=NOW + timedelta(minutes=5))
        stored = session.query(Alert).all()
    # Twenty minutes of burst: a spike, held for the daily digest (no message alone), not yet a crisis.
    assert len(alerts) == 1 and again == []
    assert len(stored) == 1 and stored[0].kind == AlertKind.SPIKE and stored[0].held_reason == "digest_only"
    payload = stored[0].payload
    assert payload["what"] == "mention volume" and payload["count"] >= settings.min_count  # alerts on the rise
    assert "expected" in payload["text"] and payload["since"].startswith("2026-11-25T11:")
    assert len(payload["top_mentions"]) == 3 and "colis" in payload["top_mentions"][0]["text"]
    # The wave goes on for half an hour more, with one post seen by many: now it is a crisis, sent at once.
    with sessions.begin() as session:
        for minute in range(60):
            number += 1
            session.add(
                Mention(
                    source_id=source.id,
                    external_id=str(number),
                    kind=MentionKind.POST,
                    text=f"Acme colis perdu {number}",
                    published_at=NOW + timedelta(seconds=30 * minute),
                    url=f"https://social.example/{number}",
                    status=MentionStatus.WATCH,
                    reach=90_000 if minute == 7 else 10,
                )
            )
    with sessions.begin() as session:
        crisis = watch_crises(session, settings, "#alerts", now=NOW + timedelta(minutes=35))
        kinds = [alert.kind for alert in crisis]
        payload = crisis[0].payload if crisis else {}
        held = crisis[0].held_reason if crisis else "none"
    assert kinds == [AlertKind.CRISIS] and held is None
    assert payload["ratio"] >= settings.min_ratio and payload["usual_for"].startswith("Wednesday 11:")
    assert payload["top_mentions"][0]["reach"] == 90_000  # the mention that reached most people first
    assert "then" in payload["text"]


def test_quiet_history_raises_nothing(sessions):
    with sessions.begin() as session:
        [source] = add_sources(session, "feed", "feed")
        for hour in range(8 * 24):
            session.add(
                Mention(
                    source_id=source.id,
                    external_id=str(hour),
                    kind=MentionKind.POST,
                    text="calme",
                    published_at=NOW - timedelta(hours=hour),
                    status=MentionStatus.WATCH,
                )
            )
    with sessions.begin() as session:
        assert watch_crises(session, SignalsSettings(), "#alerts", now=NOW) == []


def test_a_topic_rising_across_sources_raises_a_topic_crisis_when_no_source_alone_does(sessions):
    from models import MentionTopic

    rng = random.Random(1)
    with sessions.begin() as session:
        sources = add_sources(session, "mastodon", "mastodon", "reddit")
        brand_id = sources[0].brand_id
        rows: list[tuple[Source, datetime, str, str]] = []
        start = NOW - timedelta(days=8)
        for hour in range(8 * 24):  # background: one mention an hour per source, on varied topics
            for source in sources:
                at = start + timedelta(hours=hour, minutes=rng.randint(0, 59))
                rows.append((source, at, rng.choice(["delivery", "website", "price"]), "RAS"))
        for number in range(8):  # the wave: 8 delivery complaints per source in 20 minutes (under min_count)
            for source in sources:
                at = NOW - timedelta(minutes=20) + timedelta(seconds=150 * number)
                rows.append((source, at, "delivery", f"livraison en retard encore {number}"))
        for number, (source, at, topic, text) in enumerate(rows):
            mention = Mention(
                source_id=source.id,
                external_id=str(number),
                kind=MentionKind.POST,
                text=text,
                published_at=at,
                status=MentionStatus.WATCH,
            )
            session.add(mention)
            session.flush()
            session.add(MentionTopic(mention_id=mention.id, topic=topic, score=0.9, method="lexical", version="t1"))
    with sessions.begin() as session:
        alerts = watch_crises(session, SignalsSettings(), "#alerts", now=NOW)
        keys = [alert.dedupe_key for alert in alerts]
        payloads = [alert.payload for alert in alerts]
    # Twenty minutes of burst: the spike tier (a crisis needs the next half-hour too, tested above).
    assert [key.rsplit(":", 1)[0] for key in keys] == [f"spike:topic:{brand_id}:delivery"]
    assert payloads[0]["topic"] == "delivery" and payloads[0]["source"] == "all sources"
    assert payloads[0]["count"] >= SignalsSettings().min_count and "livraison" in payloads[0]["top_mentions"][0]["text"]


def test_negative_posts_with_a_wide_reach_raise_a_reach_weighted_share_alert(sessions):
    """Two posts an hour for a week, one in ten negative; in the last six hours the volume stays usual but three
    negative posts come from accounts followed by a hundred thousand people: the share, weighted by reach,
    alerts (unweighted, 3 of 12 is not enough)."""
    from models import Classification

    rng = random.Random(2)
    with sessions.begin() as session:
        [source] = add_sources(session, "mastodon", "mastodon")
        rows = []
        for half_hour in range(1, 8 * 48):
            at = NOW - timedelta(minutes=30 * half_hour)
            recent = half_hour <= 12
            negative = half_hour in (2, 5, 9) if recent else rng.random() < 0.1
            rows.append(
                (at, "negative" if negative else "positive", 100_000 if recent and negative else rng.randint(0, 20))
            )
        for number, (at, sentiment, reach) in enumerate(rows):
            mention = Mention(
                source_id=source.id,
                external_id=str(number),
                kind=MentionKind.POST,
                text=f"{sentiment} {number}",
                published_at=at,
                status=MentionStatus.WATCH,
                reach=reach,
            )
            session.add(mention)
            session.flush()
            session.add(
                Classification(
                    mention_id=mention.id, model_name="fake", model_version="1", sentiment=sentiment, stars=3.0,
                    toxic=0.0, spam=0.0,
                )
            )  # fmt: skip
    with sessions.begin() as session:
        alerts = watch_crises(session, SignalsSettings(), "#alerts", now=NOW)
        payloads = [alert.payload for alert in alerts]
    assert [p["what"] for p in payloads] == ["negative share"]
    assert "of 12 recent mentions, weighted by reach" in payloads[0]["text"]
