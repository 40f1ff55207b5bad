"""Deliver due alerts from the outbox through a transport (alerts/transports.py), with fatigue control."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts import outbox
from alerts.blocks import build_group_message, build_message
from alerts.fatigue import NEVER_HELD, Fatigue, hold_reason
from alerts.mention_actions import subjects
from alerts.transports import PermanentFailure, RetryLater, Transport
from alerts.wording import Setting
from config.people import People
from models import Alert, AlertKind, Brand
from models.alert_payloads import RedactionPayload
from models.identity import outbox_instance
from models.outbox import Retry


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0


# Slack down (5xx, the network) or a 429: 30 s, then doubling to 30 minutes, for at least two days (and the
# `max_attempts` setting's number of attempts); then the alert fails and `veilleur alerts retry` sends it again.
FIRST_RETRY = timedelta(seconds=30)
RETRY_CEILING = timedelta(minutes=30)
RETRY_WINDOW = timedelta(hours=48)


def send_due(
    sessions: sessionmaker[Session],
    transport: Transport,
    worker: str,
    min_interval: float = 1.0,
    max_attempts: int = 5,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    fatigue: Fatigue | None = None,
    retry: Retry | None = None,
    people: People | None = None,
) -> SendResult:
    """Send every due alert once, about one message per second per channel (Slack's posting limit).

    Alerts of one brand and kind due together go as one message; in quiet hours or within the cooldown of
    the last message of that brand and kind, they are held for the next digest (alerts/digest.py). A message
    whose sender died while sending it goes again as it was (the same alerts together) after its lease, unless
    the channel shows it arrived. `people`: whose Slack user an assignee is, to show as a mention."""
    fatigue = fatigue or Fatigue(cooldown=timedelta(0))
    retry = retry or Retry(FIRST_RETRY, RETRY_CEILING, RETRY_WINDOW, max_attempts)
    result = SendResult()
    pace = _Pace(min_interval)
    with sessions.begin() as session:
        groups: dict[tuple[int, AlertKind], list[int]] = {}
        # Still claimed although due: the holder's lease ran out, it died mid-send. The alerts it claimed
        # together (one claim time, one worker) were one message: they stay one, with the same idempotency key.
        retaken: dict[tuple[str | None, datetime], list[int]] = {}
        for alert_id, brand_id, kind, claimed_at, claimed_by in session.execute(
            select(Alert.id, Alert.brand_id, Alert.kind, Alert.claimed_at, Alert.claimed_by)
            .where(Alert.id.in_(outbox.ALERTS.due_ids(session, clock())))
            .order_by(Alert.id)
        ):
            if claimed_at is not None:
                retaken.setdefault((claimed_by, claimed_at), []).append(alert_id)
            else:
                groups.setdefault((brand_id, kind), []).append(alert_id)
    reader = Setting(timezone=fatigue.timezone, people=people or People())
    send = _Sender(sessions, transport, worker, pace, clock, retry, result, reader)
    for members in retaken.values():
        send(members)
    for (brand_id, kind), members in groups.items():
        if kind in NEVER_HELD:
            for alert_id in members:
                send([alert_id])
            continue
        chunks = [members[i : i + fatigue.group_max] for i in range(0, len(members), fatigue.group_max)]
        with sessions.begin() as session:
            reason = hold_reason(kind, clock(), fatigue, outbox.last_sent(session, brand_id, kind))
            # One message now; with a cooldown, what does not fit in it waits for the digest.
            held = members if reason else [i for chunk in chunks[1:] for i in chunk] if fatigue.cooldown else []
            outbox.hold(session, held, reason or "cooldown")
            result.held += len(held)
        if not reason:
            for chunk in chunks if not fatigue.cooldown else chunks[:1]:
                send(chunk)
    return result


class _Pace:
    def __init__(self, min_interval: float) -> None:
        self.min_interval = min_interval
        self.last: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        wait = self.min_interval - (time.monotonic() - self.last.get(channel, float("-inf")))
        if wait > 0:
            time.sleep(wait)
        self.last[channel] = time.monotonic()


@dataclass
class _Sender:
    sessions: sessionmaker[Session]
    transport: Transport
    worker: str
    pace: _Pace
    clock: Callable[[], datetime]
    retry: Retry
    result: SendResult
    reader: Setting  # `[slack] timezone` (where the deadlines are read) and who the assignees are in Slack

    def __call__(self, ids: list[int]) -> None:
        _send(self, ids)


def _send(sender: _Sender, ids: list[int]) -> None:
    """Claim the alerts, send them as one message (a group when several), record the outcome on each."""
    sessions, transport, worker, pace = sender.sessions, sender.transport, sender.worker, sender.pace
    clock, retry, result = sender.clock, sender.retry, sender.result
    now = clock()  # one claim time for the whole message: how a sender taking it over finds its alerts together
    with sessions.begin() as session:
        claimed = [alert for alert in (outbox.ALERTS.claim(session, i, now, worker) for i in ids) if alert is not None]
        if not claimed:
            return
        instance = outbox_instance(session)
        channel, won = claimed[0].channel, [alert.id for alert in claimed]
        since = min(alert.created_at for alert in claimed)
        # Tried before: the last sender died mid-send, or gave up waiting for an answer Slack may have sent.
        retaken = any(alert.attempts > 1 for alert in claimed)
        if claimed[0].kind == AlertKind.REDACTION:
            retaken = False  # an edit of a message already there: doing it twice is harmless
    if retaken:
        # Only what the channel does not show yet is sent again; what it shows is recorded under its message.
        found = transport.posted(channel, instance, won, since)
        if found:
            with sessions.begin() as session:
                for alert_id, ref in found.items():
                    outbox.mark_sent(session, session.get_one(Alert, alert_id), clock(), ref)
            result.sent += len(found)
            won = [alert_id for alert_id in won if alert_id not in found]
            if not won:
                return
    with sessions.begin() as session:
        alerts = [session.get_one(Alert, alert_id) for alert_id in won]
        brand = session.get_one(Brand, alerts[0].brand_id)
        replaces = None
        setting = _setting(session, alerts, brand, sender.reader, clock())
        if alerts[0].kind == AlertKind.REDACTION:
            replaces = RedactionPayload.from_json(alerts[0].payload).delivery_ref
            message = _posted_again(session, replaces, brand, sender.reader, clock())
        elif len(alerts) == 1:
            built = build_message(alerts[0].kind, brand.name, alerts[0].payload, alerts[0].id, setting)
            message = _stamped(built, instance, won)
        else:
            built = build_group_message(alerts[0].kind, brand.name, [(a.id, a.payload) for a in alerts], setting)
            message = _stamped(built, instance, won)
    pace.wait(channel)
    outcome = _deliver(transport, channel, message, won[0], retaken, replaces)
    with sessions.begin() as session:
        for alert_id in won:
            _record(session, session.get_one(Alert, alert_id), outcome, clock(), retry, result)
        if replaces is not None and isinstance(outcome, str) and outcome != replaces:
            # Posted again under a new reference (a report's files uploaded again): a later erasure must find it.
            session.execute(
                update(Alert)
                .where(Alert.delivery_ref == replaces, Alert.kind != AlertKind.REDACTION)
                .values(delivery_ref=outcome)
            )


def _stamped(message: dict[str, Any], instance: str, ids: list[int]) -> dict[str, Any]:
    """The message with, in its metadata, this database's outbox name and the exact alert ids it carries: what
    `Transport.posted` reads back after a crash, and the webhook's idempotency key."""
    metadata = message.setdefault("metadata", {"event_type": "veilleur_alert", "event_payload": {}})
    metadata["event_payload"] = {**metadata["event_payload"], "outbox": instance, "alert_ids": list(ids)}
    return message


def _setting(session: Session, alerts: list[Alert], brand: Brand, reader: Setting, now: datetime) -> Setting:
    """Where the message is read (its deadlines in local time, a late mark) and what each mention is now (its
    buttons): read when the message is built, so a message sent late or built again is right then."""
    mention_ids = [alert.mention_id for alert in alerts if alert.mention_id is not None]
    return replace(reader, now=now, subjects=subjects(session, mention_ids), brand_slug=brand.slug)


def _posted_again(session: Session, delivery_ref: str, brand: Brand, reader: Setting, now: datetime) -> dict[str, Any]:
    """The message delivered as `delivery_ref`, built again from its alerts' payloads as they are now (scrubbed
    by an erasure): the same builder as the first time, one alert or a group of them."""
    same = select(Alert).where(Alert.delivery_ref == delivery_ref, Alert.kind != AlertKind.REDACTION)
    alerts = list(session.scalars(same.order_by(Alert.id)))
    setting = _setting(session, alerts, brand, reader, now)
    if len(alerts) > 1:
        return build_group_message(alerts[0].kind, brand.name, [(a.id, a.payload) for a in alerts], setting)
    if alerts:
        return build_message(alerts[0].kind, brand.name, alerts[0].payload, alerts[0].id, setting)
    gone = RedactionPayload(delivery_ref=delivery_ref, erased=True)  # its alerts are gone: say it was removed
    return build_message(AlertKind.REDACTION, brand.name, gone.to_json(), 0)


def _deliver(
    transport: Transport, channel: str, message: dict[str, Any], alert_id: int, retaken: bool, replaces: str | None
) -> str | RetryLater | PermanentFailure:
    try:
        if replaces is not None:
            return transport.replace(replaces, message)
        return transport.deliver(channel, message, alert_id, retaken)
    except (RetryLater, PermanentFailure) as error:
        return error


def _record(
    session: Session,
    alert: Alert,
    outcome: str | RetryLater | PermanentFailure,
    now: datetime,
    retry: Retry,
    result: SendResult,
) -> None:
    if isinstance(outcome, str):
        outbox.mark_sent(session, alert, now, outcome)
        result.sent += 1
    elif isinstance(outcome, PermanentFailure):
        outbox.ALERTS.mark_failed(alert, now, str(outcome))
        result.failed += 1
    elif "429" in outcome.reason:
        # A 429 says itself how long to wait, and costs no attempt.
        alert.attempts -= 1
        outbox.ALERTS.mark_retry(alert, now, outcome.delay, str(outcome))
        result.retrying += 1
    elif not retry.gives_up(alert.attempts, alert.created_at, now):
        outbox.ALERTS.mark_retry(alert, now, retry.delay(alert.attempts), str(outcome))
        result.retrying += 1
    else:
        hours = (now - alert.created_at) / timedelta(hours=1)
        error = f"gave up after {alert.attempts} attempts over {hours:.0f} h: {outcome}"
        outbox.ALERTS.mark_failed(alert, now, error)
        result.failed += 1
