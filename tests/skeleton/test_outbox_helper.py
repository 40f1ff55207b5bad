"""The outbox helper (models/outbox.py) on a real database, with each table's own policy: the alert (claims
recorded in claimed_at/claimed_by), the notification and the webhook delivery (the lease held in
next_attempt_at)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts.outbox import ALERTS
from alerts.send import send_due as send_alerts
from alerts.transports import RetryLater
from models import Alert, AlertKind, Brand, Notification, Source, WebhookDelivery
from models.db import make_engine, make_session_factory, upgrade
from models.outbox import backoff
from moderation.notify import NOTIFICATIONS
from moderation.notify import send_due as send_notifications
from moderation.publishing.webhook import DELIVERIES
from tests.publishing.conftest import add_review

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add_all([brand, Source(brand=brand, name="survey", kind="survey", own=True)])
    yield factory
    engine.dispose()


def add_alert(session):
    brand = session.scalars(select(Brand)).one()
    payload = {"source": "shop", "text": "Colis perdu"}
    alert = Alert(brand_id=brand.id, kind=AlertKind.NEGATIVE_MENTION, dedupe_key="k", channel="#a", payload=payload)
    session.add(alert)
    return alert


def add_notification(session):
    notification = Notification(dedupe_key="n", recipient="jean@example.org", subject="s", body="b")
    session.add(notification)
    return notification


def add_delivery(session):
    mention = add_review(session, "Très bien.")
    delivery = WebhookDelivery(brand_id=mention.source.brand_id, mention_id=mention.id, event="published")
    session.add(delivery)
    return delivery


OUTBOXES = {"alert": (ALERTS, add_alert), "notification": (NOTIFICATIONS, add_notification)}
OUTBOXES["webhook_delivery"] = (DELIVERIES, add_delivery)


@pytest.fixture(params=list(OUTBOXES))
def table(request, sessions):
    """(outbox, the id of one row waiting in it, sessions)."""
    outbox, add = OUTBOXES[request.param]
    with sessions.begin() as session:
        row = add(session)
        session.flush()
        row_id = row.id
    return outbox, row_id, sessions


def claim(sessions, outbox, row_id, now, worker="w1"):
    with sessions.begin() as session:
        row = outbox.claim(session, row_id, now, worker)
        return None if row is None else row.attempts


def due(sessions, outbox, now):
    with sessions() as session:
        return outbox.due_ids(session, now)


def test_of_two_claims_the_second_loses(table):
    outbox, row_id, sessions = table
    assert due(sessions, outbox, NOW) == [row_id]
    assert claim(sessions, outbox, row_id, NOW, "w1") == 1
    assert claim(sessions, outbox, row_id, NOW, "w2") is None
    assert due(sessions, outbox, NOW) == []  # held: no other sender lists it


def test_an_expired_lease_is_taken_over(table):
    outbox, row_id, sessions = table
    assert claim(sessions, outbox, row_id, NOW, "w1") == 1
    # The first sender died without recording anything.
    assert claim(sessions, outbox, row_id, NOW + outbox.lease - timedelta(seconds=1), "w2") is None
    later = NOW + outbox.lease + timedelta(seconds=1)
    assert due(sessions, outbox, later) == [row_id]
    assert claim(sessions, outbox, row_id, later, "w2") == 2
    if outbox is ALERTS:
        with sessions() as session:
            assert session.get_one(Alert, row_id).claimed_by == "w2"


def test_a_retry_waits_for_its_delay_then_is_claimed_again(table):
    outbox, row_id, sessions = table
    claim(sessions, outbox, row_id, NOW)
    with sessions.begin() as session:
        row = session.get_one(outbox.table, row_id)
        outbox.mark_retry(row, NOW, timedelta(minutes=2), "HTTP 503 " + "x" * 5000)
    with sessions() as session:
        assert len(session.get_one(outbox.table, row_id).last_error) == 2000
    assert due(sessions, outbox, NOW + timedelta(seconds=119)) == []
    assert due(sessions, outbox, NOW + timedelta(minutes=2)) == [row_id]
    assert claim(sessions, outbox, row_id, NOW + timedelta(minutes=2)) == 2


def test_a_sent_row_is_never_claimed_again(table):
    outbox, row_id, sessions = table
    claim(sessions, outbox, row_id, NOW)
    with sessions.begin() as session:
        row = session.get_one(outbox.table, row_id)
        outbox.mark_retry(row, NOW, timedelta(0), "HTTP 500")
        outbox.mark_sent(row, NOW)
    with sessions() as session:
        assert session.get_one(outbox.table, row_id).last_error is None
    much_later = NOW + timedelta(days=30)
    assert due(sessions, outbox, much_later) == []
    assert claim(sessions, outbox, row_id, much_later) is None


def test_a_failed_row_is_never_due_again(table):
    outbox, row_id, sessions = table
    claim(sessions, outbox, row_id, NOW)
    with sessions.begin() as session:
        row = session.get_one(outbox.table, row_id)
        if outbox.failed is None:  # a webhook delivery is retried until the site acknowledges it
            with pytest.raises(TypeError):
                outbox.mark_failed(row, NOW, "gone")
            return
        outbox.mark_failed(row, NOW, "channel_not_found")
    much_later = NOW + timedelta(days=30)
    assert due(sessions, outbox, much_later) == []
    assert claim(sessions, outbox, row_id, much_later) is None


def test_a_held_alert_is_not_due(sessions):
    with sessions.begin() as session:
        alert = add_alert(session)
        alert.held_reason = "quiet_hours"
    assert due(sessions, ALERTS, NOW) == []


def test_backoff_doubles_up_to_its_ceiling():
    minutes = [backoff(n, timedelta(minutes=1), timedelta(minutes=60)) / timedelta(minutes=1) for n in range(1, 9)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]
    assert [backoff(n, timedelta(seconds=30)).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]  # no ceiling
    assert backoff(10_000, timedelta(minutes=1)) == timedelta(minutes=2**20)  # a date cannot overflow


def test_a_notification_fails_for_good_after_its_last_attempt(sessions):
    class Down:
        def send(self, recipient, subject, body):
            raise ConnectionRefusedError("SMTP down")

    with sessions.begin() as session:
        add_notification(session)
    assert send_notifications(sessions, Down(), max_attempts=2, now=NOW) == (0, 1)
    with sessions() as session:
        row = session.scalars(select(Notification)).one()
        assert (row.failed_at, row.next_attempt_at) == (None, NOW + timedelta(minutes=2))  # 2^1 minutes
    assert send_notifications(sessions, Down(), max_attempts=2, now=NOW + timedelta(minutes=2)) == (0, 1)
    with sessions() as session:
        row = session.scalars(select(Notification)).one()
        assert (row.attempts, row.failed_at) == (2, NOW + timedelta(minutes=2))
    assert send_notifications(sessions, Down(), max_attempts=2, now=NOW + timedelta(days=30)) == (0, 0)


def test_an_alert_fails_for_good_after_its_last_attempt(sessions):
    class Down:
        def deliver(self, channel, message, alert_id, retaken=False):
            raise RetryLater(timedelta(seconds=30), "Slack error HTTP 500")

    with sessions.begin() as session:
        add_alert(session)

    def send(now):
        result = send_alerts(sessions, Down(), "w1", min_interval=0, max_attempts=2, clock=lambda: now)
        return result.retrying, result.failed

    assert send(NOW) == (1, 0)
    assert send(NOW + timedelta(seconds=29)) == (0, 0)  # 30 s after the 1st failure
    assert send(NOW + timedelta(seconds=30)) == (0, 1)
    with sessions() as session:
        row = session.scalars(select(Alert)).one()
        assert row.attempts == 2 and row.last_error == "gave up after 2 attempts: Slack error HTTP 500"
    assert send(NOW + timedelta(days=30)) == (0, 0)
