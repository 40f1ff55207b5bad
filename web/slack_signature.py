"""Slack request signatures: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret, a timestamp
within five minutes, a constant-time comparison, and each signature accepted once (replays are refused)."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import SlackSignature

MAX_AGE = 5 * 60


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class ReplayGuard:
    """Signatures already accepted, in the database (table `slack_signature`): a replay is refused even after a
    restart or when it reaches another `veilleur serve` process on the same database. A row is kept until its
    request's timestamp is too old to pass the age check; the same timestamp comes with every replay."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def first_time(self, signature: str, timestamp: int, now: float) -> bool:
        expires = datetime.fromtimestamp(timestamp + MAX_AGE, UTC)
        try:
            with self.sessions.begin() as session:
                session.execute(
                    delete(SlackSignature).where(SlackSignature.expires_at < datetime.fromtimestamp(now, UTC))
                )
                session.add(SlackSignature(signature=signature, expires_at=expires))
        except IntegrityError:  # the primary key: this signature was accepted before
            return False
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
        sent_at = int(timestamp)
    except ValueError:
        return f"timestamp {timestamp!r} is not a number"
    age = abs(now - sent_at)
    if age > MAX_AGE:
        return f"stale request: timestamp {age:.0f}s away from now"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        return "bad signature"
    if not guard.first_time(signature, sent_at, now):
        return "replayed request"
    return None
