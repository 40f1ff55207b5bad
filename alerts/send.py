"""Deliver due alerts from the outbox: to Slack with slack-sdk, or to a local JSONL sink when no token is set."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from alerts import outbox
from alerts.blocks import build_message
from models import Alert, Brand

# Slack answers these for a deleted channel, a bad token, a missing invite: retrying will never work.
PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "invalid_blocks",
    "msg_too_long",
    "restricted_action",
    "team_access_not_granted",
}


class RetryLater(Exception):
    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay
        self.reason = reason


class PermanentFailure(Exception):
    pass


class Transport(Protocol):
    def deliver(self, channel: str, message: dict[str, Any], alert_id: int) -> str: ...


class SinkTransport:
    """Appends one JSON line per message, so the demo and the tests run offline."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def delivered(self, alert_id: int) -> bool:
        if not self.path.exists():
            return False
        with self.path.open(encoding="utf-8") as handle:
            return any(json.loads(line).get("alert_id") == alert_id for line in handle if line.strip())

    def deliver(self, channel: str, message: dict[str, Any], alert_id: int) -> str:
        # A sender that crashed after writing but before recording it must not write the line twice.
        if self.delivered(alert_id):
            return f"sink:{alert_id}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"alert_id": alert_id, "channel": channel, **message}, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return f"sink:{alert_id}"


class SlackTransport:
    def __init__(self, token: str, base_url: str, timeout: int = 10) -> None:
        from slack_sdk import WebClient

        self.client = WebClient(token=token, base_url=base_url, timeout=timeout)

    def deliver(self, channel: str, message: dict[str, Any], alert_id: int) -> str:
        from slack_sdk.errors import SlackApiError

        try:
            response = self.client.chat_postMessage(channel=channel, **message)
        except SlackApiError as error:
            status = error.response.status_code
            code = str(error.response.get("error", "")) if isinstance(error.response.data, dict) else ""
            if status == 429:
                retry_after = int(
                    error.response.headers.get("Retry-After", error.response.headers.get("retry-after", 30))
                )
                raise RetryLater(
                    timedelta(seconds=retry_after), f"Slack rate limit (429), retry after {retry_after}s"
                ) from None
            if code in PERMANENT_ERRORS:
                raise PermanentFailure(f"Slack refused the message to {channel}: {code}") from None
            raise RetryLater(timedelta(seconds=30), f"Slack error HTTP {status} {code or ''}".strip()) from None
        except OSError as error:  # connection refused, DNS, timeout: Slack or the network is down
            raise RetryLater(timedelta(seconds=30), f"Slack unreachable: {error}") from None
        return f"slack:{response.get('channel')}:{response.get('ts')}"


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_due(
    sessions: sessionmaker[Session],
    transport: Transport,
    worker: str,
    min_interval: float = 1.0,
    max_attempts: int = 5,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SendResult:
    """Send every due alert once. About one message per second per channel (Slack's posting limit)."""
    result = SendResult()
    last_sent: dict[str, float] = {}
    with sessions.begin() as session:
        ids = outbox.due_ids(session, clock())
    for alert_id in ids:
        with sessions.begin() as session:
            alert = outbox.claim(session, alert_id, worker, clock())
            if alert is None:
                continue
            brand = session.get_one(Brand, alert.brand_id)
            message = build_message(alert.kind, brand.name, alert.payload, alert.id)
            channel = alert.channel
        wait = min_interval - (time.monotonic() - last_sent.get(channel, float("-inf")))
        if wait > 0:
            time.sleep(wait)
        outcome = _deliver(transport, channel, message, alert_id)
        last_sent[channel] = time.monotonic()
        with sessions.begin() as session:
            alert = session.get_one(Alert, alert_id)
            _record(session, alert, outcome, clock(), max_attempts, result)
    return result


def _deliver(transport: Transport, channel: str, message: dict[str, Any], alert_id: int) -> str | Exception:
    try:
        return transport.deliver(channel, message, alert_id)
    except (RetryLater, PermanentFailure) as error:
        return error


def _record(
    session: Session, alert: Alert, outcome: str | Exception, now: datetime, max_attempts: int, result: SendResult
) -> None:
    if isinstance(outcome, str):
        outbox.mark_sent(session, alert, now, outcome)
        result.sent += 1
    elif isinstance(outcome, PermanentFailure):
        outbox.mark_failed(session, alert, now, str(outcome))
        result.failed += 1
    elif isinstance(outcome, RetryLater) and (alert.attempts < max_attempts or "429" in outcome.reason):
        # Back-off doubles with each attempt; a 429 says itself how long to wait and costs no attempt.
        delay = outcome.delay if "429" in outcome.reason else outcome.delay * (2 ** (alert.attempts - 1))
        if "429" in outcome.reason:
            alert.attempts -= 1
        outbox.mark_retry(session, alert, now, delay, str(outcome))
        result.retrying += 1
    else:
        outbox.mark_failed(session, alert, now, f"gave up after {alert.attempts} attempts: {outcome}")
        result.failed += 1


def make_transport(bot_token: str, base_url: str, sink_path: Path) -> Transport:
    return SlackTransport(bot_token, base_url) if bot_token else SinkTransport(sink_path)
