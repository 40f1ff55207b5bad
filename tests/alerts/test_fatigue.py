"""Alert fatigue control on a real database: grouping, cooldown per brand and kind, quiet hours with a digest,
and the incoming-webhook mode. Nothing held is lost: it arrives in a digest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.digest import make_digests
from alerts.fatigue import Fatigue, parse_quiet_hours
from alerts.send import send_due
from alerts.transports import SinkTransport, WebhookTransport
from models import Alert, AlertKind, Brand
from models.db import make_engine, make_session_factory, upgrade

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # 12:00 in Paris
NIGHT = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # midnight in Paris
FATIGUE = Fatigue(cooldown=timedelta(minutes=10), quiet_start=time(22), quiet_end=time(7), timezone=PARIS, group_max=3)


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def add_alerts(sessions, kind: AlertKind, count: int, start: int = 0) -> None:
    with sessions.begin() as session:
        brand = session.query(Brand).first()
        if brand is None:
            brand = Brand(slug="acme", name="Acme")
            session.add(brand)
            session.flush()
        for number in range(start, start + count):
            session.add(
                Alert(
                    brand_id=brand.id,
                    kind=kind,
                    dedupe_key=f"{kind.value}:{number}",
                    channel="#alerts",
                    payload={"source": "shop", "text": f"avis numéro {number}", "rating": 1.0},
                )
            )


def sink_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_alerts_due_together_go_as_one_message_and_the_rest_wait_for_the_digest(sessions, tmp_path):
    sink = SinkTransport(tmp_path / "sink.jsonl")
    add_alerts(sessions, AlertKind.REVIEW_TO_ANSWER, 5)
    result = send_due(sessions, sink, "w", min_interval=0, clock=lambda: NOON, fatigue=FATIGUE)
    assert (result.sent, result.held) == (3, 2)
    lines = sink_lines(tmp_path / "sink.jsonl")
    assert len(lines) == 1 and lines[0]["text"] == "3 negative reviews to answer (Acme)"
    # Within the cooldown, a new alert of the same kind is held too; a crisis is not.
    add_alerts(sessions, AlertKind.REVIEW_TO_ANSWER, 1, start=5)
    add_alerts(sessions, AlertKind.CRISIS, 1)
    later = send_due(sessions, sink, "w", min_interval=0, clock=lambda: NOON + timedelta(minutes=5), fatigue=FATIGUE)
    assert (later.sent, later.held) == (1, 1)
    # After the cooldown the held ones go out together in a digest, and count as delivered with it.
    with sessions.begin() as session:
        assert make_digests(session, NOON + timedelta(minutes=5), FATIGUE, "#alerts", daily_hour=24) == []
        digests = make_digests(session, NOON + timedelta(minutes=11), FATIGUE, "#alerts", daily_hour=24)
        assert len(digests) == 1 and digests[0].payload["counts"] == {"review_to_answer": 3}
    send_due(sessions, sink, "w", min_interval=0, clock=lambda: NOON + timedelta(minutes=11), fatigue=FATIGUE)
    with sessions.begin() as session:
        assert session.query(Alert).filter(Alert.sent_at.is_(None)).count() == 0
    assert sink_lines(tmp_path / "sink.jsonl")[-1]["text"].startswith("Digest (Acme): 3 alerts held back")


def test_quiet_hours_hold_everything_but_crises_until_morning(sessions, tmp_path):
    sink = SinkTransport(tmp_path / "sink.jsonl")
    add_alerts(sessions, AlertKind.NEGATIVE_MENTION, 2)
    add_alerts(sessions, AlertKind.CRISIS, 1)
    result = send_due(sessions, sink, "w", min_interval=0, clock=lambda: NIGHT, fatigue=FATIGUE)
    assert (result.sent, result.held) == (1, 2)
    with sessions.begin() as session:
        assert make_digests(session, NIGHT + timedelta(hours=2), FATIGUE, "#alerts", daily_hour=24) == []
        morning = NIGHT + timedelta(hours=8)  # 08:00 in Paris
        digests = make_digests(session, morning, FATIGUE, "#alerts", daily_hour=8)
        assert len(digests) == 1 and "last 24 h" in digests[0].payload["text"]
        assert digests[0].dedupe_key.startswith("digest:daily:")


def test_parse_quiet_hours():
    assert parse_quiet_hours("22:00-07:00") == (time(22), time(7))
    assert parse_quiet_hours("") == (None, None)
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_quiet_hours("10pm")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_webhook_mode_posts_blocks_and_handles_errors(sessions, fake_slack):
    add_alerts(sessions, AlertKind.ABUSE, 2)
    fake_slack.script.append((404, {"ok": False, "error": "no_service"}, {}))
    webhook = WebhookTransport(fake_slack.base_url + "services/T0/B0/secret")
    one_by_one = Fatigue(cooldown=timedelta(0), group_max=1)
    result = send_due(sessions, webhook, "w", min_interval=0, clock=lambda: NOON, fatigue=one_by_one)
    assert (result.sent, result.failed) == (1, 1)
    assert fake_slack.requests[-1]["path"].endswith("/services/T0/B0/secret")
    assert fake_slack.requests[-1]["body"]["blocks"][0]["type"] == "header"
    with sessions.begin() as session:
        failed = session.query(Alert).filter(Alert.failed_at.is_not(None)).one()
        assert "HTTP 404" in failed.last_error
