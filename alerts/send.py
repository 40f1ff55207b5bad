"""Deliver due alerts from the outbox through a transport (alerts/transports.py), with fatigue control."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts import outbox
from alerts.blocks import build_group_message, build_message
from alerts.fatigue import NEVER_HELD, Fatigue, hold_reason
from alerts.transports import PermanentFailure, RetryLater, Transport
from models import Alert, AlertKind, Brand
from models.alert_payloads import RedactionPayload
from models.outbox import backoff


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0


def send_due(
    sessions: sessionmaker[Session],
    transport: Transport,
    worker: str,
    min_interval: float = 1.0,
    max_attempts: int = 5,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    fatigue: Fatigue | None = None,
) -> SendResult:
    """Send every due alert once, about one message per second per channel (Slack's posting limit).

    Alerts of one brand and kind due together go as one message; in quiet hours or within the cooldown of
    the last message of that brand and kind, they are held for the next digest (alerts/digest.py)."""
    fatigue = fatigue or Fatigue(cooldown=timedelta(0))
    result = SendResult()
    pace = _Pace(min_interval)
    with sessions.begin() as session:
        groups: dict[tuple[int, AlertKind], list[int]] = {}
        for alert_id, brand_id, kind in session.execute(
            select(Alert.id, Alert.brand_id, Alert.kind)
            .where(Alert.id.in_(outbox.ALERTS.due_ids(session, clock())))
            .order_by(Alert.id)
        ):
            groups.setdefault((brand_id, kind), []).append(alert_id)
    for (brand_id, kind), members in groups.items():
        if kind in NEVER_HELD:
            for alert_id in members:
                _send(sessions, transport, worker, [alert_id], pace, clock, max_attempts, result)
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
                _send(sessions, transport, worker, chunk, pace, clock, max_attempts, result)
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


def _send(
    sessions: sessionmaker[Session],
    transport: Transport,
    worker: str,
    ids: list[int],
    pace: _Pace,
    clock: Callable[[], datetime],
    max_attempts: int,
    result: SendResult,
) -> None:
    """Claim the alerts, send them as one message (a group when several), record the outcome on each."""
    with sessions.begin() as session:
        claimed = [
            alert for alert in (outbox.ALERTS.claim(session, i, clock(), worker) for i in ids) if alert is not None
        ]
        if not claimed:
            return
        brand = session.get_one(Brand, claimed[0].brand_id)
        replaces = None
        if claimed[0].kind == AlertKind.REDACTION:
            replaces = RedactionPayload.from_json(claimed[0].payload).delivery_ref
            message = _posted_again(session, replaces, brand.name)
        elif len(claimed) == 1:
            message = build_message(claimed[0].kind, brand.name, claimed[0].payload, claimed[0].id)
        else:
            message = build_group_message(claimed[0].kind, brand.name, [(a.id, a.payload) for a in claimed])
        channel, lead, won = claimed[0].channel, claimed[0].id, [alert.id for alert in claimed]
        # Claimed before, and no error recorded: the last sender died mid-send. Slack may have the message.
        retaken = any(alert.attempts > 1 and alert.last_error is None for alert in claimed)
    pace.wait(channel)
    outcome = _deliver(transport, channel, message, lead, retaken, replaces)
    with sessions.begin() as session:
        for alert_id in won:
            _record(session, session.get_one(Alert, alert_id), outcome, clock(), max_attempts, result)
        if replaces is not None and isinstance(outcome, str) and outcome != replaces:
            # Posted again under a new reference (a report's files uploaded again): a later erasure must find it.
            session.execute(
                update(Alert)
                .where(Alert.delivery_ref == replaces, Alert.kind != AlertKind.REDACTION)
                .values(delivery_ref=outcome)
            )


def _posted_again(session: Session, delivery_ref: str, brand: str) -> dict[str, Any]:
    """The message delivered as `delivery_ref`, built again from its alerts' payloads as they are now (scrubbed
    by an erasure): the same builder as the first time, one alert or a group of them."""
    same = select(Alert).where(Alert.delivery_ref == delivery_ref, Alert.kind != AlertKind.REDACTION)
    alerts = list(session.scalars(same.order_by(Alert.id)))
    if len(alerts) > 1:
        return build_group_message(alerts[0].kind, brand, [(a.id, a.payload) for a in alerts])
    if alerts:
        return build_message(alerts[0].kind, brand, alerts[0].payload, alerts[0].id)
    gone = RedactionPayload(delivery_ref=delivery_ref, erased=True)  # its alerts are gone: say it was removed
    return build_message(AlertKind.REDACTION, brand, gone.to_json(), 0)


def _deliver(
    transport: Transport, channel: str, message: dict[str, Any], alert_id: int, retaken: bool, replaces: str | None
) -> str | Exception:
    try:
        if replaces is not None:
            return transport.replace(replaces, message)
        return transport.deliver(channel, message, alert_id, retaken)
    except (RetryLater, PermanentFailure) as error:
        return error


def _record(
    session: Session, alert: Alert, outcome: str | Exception, now: datetime, max_attempts: int, result: SendResult
) -> None:
    if isinstance(outcome, str):
        outbox.mark_sent(session, alert, now, outcome)
        result.sent += 1
    elif isinstance(outcome, PermanentFailure):
        outbox.ALERTS.mark_failed(alert, now, str(outcome))
        result.failed += 1
    elif isinstance(outcome, RetryLater) and (alert.attempts < max_attempts or "429" in outcome.reason):
        # Back-off doubles with each attempt; a 429 says itself how long to wait and costs no attempt.
        delay = outcome.delay if "429" in outcome.reason else backoff(alert.attempts, outcome.delay)
        if "429" in outcome.reason:
            alert.attempts -= 1
        outbox.ALERTS.mark_retry(alert, now, delay, str(outcome))
        result.retrying += 1
    else:
        outbox.ALERTS.mark_failed(alert, now, f"gave up after {alert.attempts} attempts: {outcome}")
        result.failed += 1
