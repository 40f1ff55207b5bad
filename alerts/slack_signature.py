"""Slack request signatures: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret, a timestamp
within five minutes, a constant-time comparison, and each signature accepted once (replays are refused)."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

MAX_AGE = 5 * 60


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class ReplayGuard:
    """Signatures seen in the last five minutes (older ones are refused by their timestamp anyway)."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()

    def first_time(self, signature: str, now: float) -> bool:
        with self.lock:
            for old in [s for s, at in self.seen.items() if now - at > MAX_AGE]:
                del self.seen[old]
            if signature in self.seen:
                return False
            self.seen[signature] = now
            return True


def check(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, guard: ReplayGuard, now: float | None = None
) -> str | None:
    """None when the request is Slack's; otherwise why it is refused."""
    now = time.time() if now is None else now
    if not secret:
        return "no signing secret configured ([slack] signing_secret)"
    if not timestamp or not signature:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return f"timestamp {timestamp!r} is not a number"
    if age > MAX_AGE:
        return f"stale request: timestamp {age:.0f}s away from now"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        return "bad signature"
    if not guard.first_time(signature, now):
        return "replayed request"
    return None
