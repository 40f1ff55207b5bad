"""Push feed changes to the brand's site: one signed POST per `webhook_delivery` row, retried until a 2xx.

The delivery row holds no copy of the review: the body is the feed entry as it is when sent (so an erased or
withdrawn review is sent as withdrawn, and a retry after a reply carries the reply). A sender claims a row with
a conditional UPDATE that pushes `next_attempt_at` past its lease (the outbox helper, models/outbox.py), so two
senders never post the same row at once; a sender that dies after the POST but before recording it posts again
after the lease (at least once: the site dedupes on `X-Veilleur-Delivery`). A site that is down loses nothing: the
rows wait.

Signature: `X-Veilleur-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>` with the shared secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from models import Brand, WebhookDelivery, outbox, utcnow
from moderation.publishing.feed import feed_entry

# No `failed`: a delivery is retried until the site acknowledges it (its back-off stops at a ceiling instead).
DELIVERIES = outbox.Outbox(
    WebhookDelivery,
    sent=WebhookDelivery.delivered_at,
    lease=timedelta(minutes=5),  # longer than any POST can take (timeout_seconds)
    batch=500,
)
USER_AGENT = "Veilleur-webhook/1"
# (url, body, headers, timeout) -> HTTP status; raises OSError (or httpx.TransportError) when the site cannot be
# reached.
Post = Callable[[str, bytes, dict[str, str], float], int]


@dataclass
class WebhookResult:
    sent: int = 0
    failed: int = 0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: float = 300) -> bool:
    """What the receiving site does: recompute the HMAC, compare in constant time, refuse old timestamps."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def body_of(session: Session, delivery: WebhookDelivery) -> dict[str, Any]:
    """The message for one delivery, from the feed as it is now."""
    brand = session.get_one(Brand, delivery.brand_id).slug
    current = feed_entry(session, delivery.mention_id)
    if current is None:  # withdrawn, erased, or un-published since: the site must drop it
        return {"event": "withdrawn", "brand": brand, "id": delivery.mention_id}
    # A "withdrawn" row sent after the review came back (undo) carries the review again.
    event = "published" if delivery.event == "withdrawn" else delivery.event
    return {"event": event, "brand": brand, **current}


# The system's certificate authorities, as urllib used: a site signed by a company CA installed on this machine
# stays reachable (httpx alone would trust only certifi's list).
_TLS = ssl.create_default_context()


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    # A redirected POST would lose its body (or become a GET): a 3xx is a failure to fix in settings.
    response = httpx.post(url, content=body, headers=headers, timeout=timeout, follow_redirects=False, verify=_TLS)
    return response.status_code


def backoff(attempts: int, ceiling: timedelta) -> timedelta:
    """1, 2, 4, 8... minutes after the 1st, 2nd, 3rd... failure, never more than `ceiling`."""
    return outbox.backoff(attempts, timedelta(minutes=1), ceiling)


def send_due(
    sessions: sessionmaker[Session],
    url: str,
    secret: str,
    *,
    timeout: float = 10.0,
    retry_max: timedelta = timedelta(minutes=60),
    now: datetime | None = None,
    post: Post = http_post,
) -> WebhookResult:
    """Post every due delivery, once each this round. Without a URL nothing is sent and the rows wait."""
    result = WebhookResult()
    if not url:
        return result
    now = now or utcnow()
    while True:
        # Each row is delivered or pushed past `now` below, so this ends when the backlog is done.
        with sessions() as session:
            ids = DELIVERIES.due_ids(session, now)
        if not ids:
            return result
        for delivery_id in ids:
            _send_one(sessions, delivery_id, url, secret, timeout, retry_max, now, post, result)


def _send_one(
    sessions: sessionmaker[Session],
    delivery_id: int,
    url: str,
    secret: str,
    timeout: float,
    retry_max: timedelta,
    now: datetime,
    post: Post,
    result: WebhookResult,
) -> None:
    with sessions.begin() as session:
        # Lost to a concurrent sender that got here first: it pushed next_attempt_at past its lease.
        delivery = DELIVERIES.claim(session, delivery_id, now)
        if delivery is None:
            return
        message = body_of(session, delivery)
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Veilleur-Event": str(message["event"]),
        "X-Veilleur-Delivery": str(delivery_id),
        "X-Veilleur-Signature": sign(secret, int(utcnow().timestamp()), body),
    }
    try:
        status = post(url, body, headers, timeout)
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except (OSError, httpx.TransportError) as problem:  # refused, DNS, timeout: the site or the network is down
        error = f"{type(problem).__name__}: {problem}"
    with sessions.begin() as session:
        delivery = session.get_one(WebhookDelivery, delivery_id, populate_existing=True)
        if error is None:
            DELIVERIES.mark_sent(delivery, utcnow())
            result.sent += 1
        else:
            DELIVERIES.mark_retry(delivery, now, backoff(delivery.attempts, retry_max), error)
            result.failed += 1
