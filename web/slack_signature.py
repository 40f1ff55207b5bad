"""Slack request signatures, verified by slack-sdk's `SignatureVerifier` (HMAC-SHA256 of `v0:{timestamp}:{body}`
with the signing secret, a timestamp within five minutes, a constant-time comparison); on top of it, each
signature is accepted once (replays are refused)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from slack_sdk.signature import Clock, SignatureVerifier
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import SlackSignature

# slack-sdk's window (it is not a parameter there); the replay guard keeps a signature exactly this long.
MAX_AGE = 5 * 60


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
    if not secret.strip():  # slack-sdk refuses a blank secret with ValueError
        return "no signing secret configured ([slack] signing_secret)"
    if not timestamp or not signature:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return f"timestamp {timestamp!r} is not a number"
    try:
        valid = SignatureVerifier(secret, clock=_At(now)).is_valid(body, timestamp, signature)
    except UnicodeDecodeError:  # slack-sdk signs the body as text; Slack's form bodies always are
        return "body is not UTF-8 text"
    if not valid:
        # slack-sdk only answers yes or no: the age tells the log which of its two checks failed.
        age = abs(now - sent_at)
        return f"stale request: timestamp {age:.0f}s away from now" if age > MAX_AGE else "bad signature"
    if not guard.first_time(signature, sent_at, now):
        return "replayed request"
    return None


class _At(Clock):
    """slack-sdk's clock, fixed at the time `check` was given (tests drive it)."""

    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at
