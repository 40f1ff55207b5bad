"""The alert outbox against a local fake Slack Web API (slack-sdk pointed at it with base_url)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from alerts.blocks import build_message
from alerts.fatigue import Fatigue
from alerts.send import send_due
from alerts.transports import SinkTransport, SlackTransport
from models import Alert, AlertKind, Base, Brand
from models.db import make_engine, make_session_factory, upgrade

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# These tests are about delivery: one message per alert, no cooldown (fatigue control has its own tests).
ONE_BY_ONE = Fatigue(cooldown=timedelta(0), group_max=1)


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        for number in range(3):
            session.add(
                Alert(
                    brand_id=brand.id,
                    kind=AlertKind.NEGATIVE_MENTION,
                    dedupe_key=f"k{number}",
                    channel="#alerts",
                    payload={"source": "shop", "text": f"review {number} <!channel>"},
                )
            )
    yield factory
    engine.dispose()
    assert Base  # the schema came from the Alembic migration, not create_all


def alerts(sessions):
    with sessions.begin() as session:
        return {a.dedupe_key: a for a in session.query(Alert).order_by(Alert.id)}


def test_sends_each_alert_once_with_escaped_text(sessions, fake_slack):
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    first = send_due(sessions, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE)
    again = send_due(sessions, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE)
    assert (first.sent, again.sent) == (3, 0)
    bodies = fake_slack.posted()
    assert len(bodies) == 3
    assert "&lt;!channel&gt;" in json.dumps(bodies[0]["blocks"])  # a review cannot ping the channel
    assert all(a.sent_at and a.delivery_ref.startswith("slack:C0FAKE:") for a in alerts(sessions).values())


def test_429_waits_for_retry_after_then_sends(sessions, fake_slack):
    fake_slack.script.append((429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}))
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    result = send_due(sessions, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE)
    assert (result.sent, result.retrying) == (2, 1)
    waiting = next(a for a in alerts(sessions).values() if a.sent_at is None)
    assert waiting.next_attempt_at == NOW + timedelta(seconds=7)
    assert (
        send_due(sessions, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE).sent == 0
    )  # too early
    later = send_due(
        sessions, transport, "w1", min_interval=0, clock=lambda: NOW + timedelta(seconds=8), fatigue=ONE_BY_ONE
    )
    assert later.sent == 1 and len(fake_slack.posted()) == 3


def test_5xx_is_retried_with_back_off_and_permanent_errors_are_recorded(sessions, fake_slack):
    fake_slack.script.append((500, {"ok": False, "error": "internal_error"}, {}))
    fake_slack.script.append((200, {"ok": False, "error": "channel_not_found"}, {}))
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    result = send_due(sessions, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE)
    assert (result.sent, result.retrying, result.failed) == (1, 1, 1)
    rows = alerts(sessions)
    assert "HTTP 500" in rows["k0"].last_error and rows["k0"].next_attempt_at == NOW + timedelta(seconds=30)
    assert rows["k1"].failed_at is not None and "channel_not_found" in rows["k1"].last_error


def test_slack_down_loses_nothing(sessions):
    transport = SlackTransport("xoxb-test", "http://127.0.0.1:9/api/")  # nothing listens on port 9
    result = send_due(sessions, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE)
    assert (result.sent, result.retrying) == (0, 3)
    assert all("unreachable" in a.last_error for a in alerts(sessions).values())


def test_a_sender_killed_mid_send_is_taken_over_without_a_duplicate(sessions, tmp_path):
    sink = SinkTransport(tmp_path / "sink.jsonl")

    class DiesAfterWriting:
        def deliver(self, channel, message, alert_id, retaken=False):
            sink.deliver(channel, message, alert_id)
            raise KeyboardInterrupt  # the process dies before recording the delivery

    with pytest.raises(KeyboardInterrupt):
        send_due(sessions, DiesAfterWriting(), "w1", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE)
    # The claim is still held: another worker must not send it now...
    assert send_due(sessions, sink, "w2", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE).sent == 2
    # ...but takes it over once the claim has expired, and the sink sees it was already delivered.
    assert (
        send_due(
            sessions, sink, "w2", min_interval=0, clock=lambda: NOW + timedelta(minutes=6), fatigue=ONE_BY_ONE
        ).sent
        == 1
    )
    lines = [json.loads(line) for line in (tmp_path / "sink.jsonl").read_text().splitlines()]
    assert sorted(line["alert_id"] for line in lines) == [1, 2, 3]


def test_block_kit_message_is_built_without_io():
    message = build_message(
        AlertKind.REVIEW_TO_ANSWER,
        "Acme",
        {
            "source": "shop",
            "rating": 1.0,
            "rating_best": 5.0,
            "text": "Colis jamais arrivé",
            "url": "https://x.example/r/1",
            "why": {"rule": "negative_review", "reason": "rating 0.00", "model": "m@1"},
        },
        42,
    )
    assert message["blocks"][0]["type"] == "header"
    assert "*Rating:* 1/5" in json.dumps(message["blocks"])
    assert "Reach" not in json.dumps(message["blocks"])  # a review site gives none
    assert message["metadata"]["event_payload"] == {"alert_id": 42}
    post = build_message(
        AlertKind.NEGATIVE_MENTION,
        "Acme",
        {"source": "toots", "source_kind": "mastodon", "reach": 12300, "text": "Acme m'a encore arnaqué", "why": {}},
        43,
    )
    assert "*Reach:* 12,300 followers" in json.dumps(post["blocks"])


def test_a_slack_sender_killed_after_slack_answered_does_not_post_twice(sessions, fake_slack):
    slack = SlackTransport("xoxb-test", fake_slack.base_url)

    class DiesAfterPosting:
        def deliver(self, channel, message, alert_id, retaken=False):
            slack.deliver(channel, message, alert_id, retaken)
            raise KeyboardInterrupt  # Slack has the message; we die before recording it

    with pytest.raises(KeyboardInterrupt):
        send_due(sessions, DiesAfterPosting(), "w1", min_interval=0, clock=lambda: NOW, fatigue=ONE_BY_ONE)
    later = NOW + timedelta(minutes=6)  # the dead sender's claim has expired
    result = send_due(sessions, slack, "w2", min_interval=0, clock=lambda: later, fatigue=ONE_BY_ONE)
    assert result.sent == 3
    alert_ids = [body["metadata"]["event_payload"]["alert_id"] for body in fake_slack.posted()]
    assert sorted(alert_ids) == [1, 2, 3]  # the first alert was found in the channel's history, not re-posted
    assert any(r["path"].endswith("/conversations.history") for r in fake_slack.requests)


def test_a_failed_attempt_is_retried_until_the_policy_gives_up_or_the_other_side_refuses(sessions):
    """`Outbox.mark_failure`, which the e-mail outboxes share: a refusal fails at once; a transient failure is retried
    after its back-off until both the attempts and the window are spent."""
    from models import Notification
    from models.outbox import Retry
    from moderation.notify import NOTIFICATIONS as outbox

    retry = Retry(first=timedelta(seconds=30), ceiling=timedelta(minutes=10), window=timedelta(hours=1), attempts=3)
    queued = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    with sessions.begin() as session:
        rows = [Notification(dedupe_key=f"k{n}", recipient="a@example.org", subject="s", body="b") for n in range(3)]
        session.add_all(rows)
        session.flush()
        transient, late, refused = rows
        transient.attempts = late.attempts = refused.attempts = 3
        outbox.mark_failure(transient, queued, queued + timedelta(minutes=5), "timeout", retry, final=False)
        assert transient.failed_at is None and transient.next_attempt_at is not None  # the window runs
        outbox.mark_failure(late, queued, queued + timedelta(hours=2), "timeout", retry, final=False)
        assert late.failed_at is not None and late.last_error == "timeout"
        outbox.mark_failure(refused, queued, queued + timedelta(seconds=1), "550 no such user", retry, final=True)
        assert refused.failed_at is not None
