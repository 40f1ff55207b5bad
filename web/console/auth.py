"""Who is asking: local accounts (a signed session cookie) or a trusted reverse proxy's header; roles; the
login rate limit."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from config.settings import ConsoleSettings, ConsoleUser
from models import LoginFailure, utcnow
from web.console.sessions import SessionStore

ROLES = ("viewer", "moderator", "admin")  # each can do what the one before it can


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"console:{self.name}"

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def find_account(settings: ConsoleSettings, name: str) -> ConsoleUser | None:
    for account in settings.users:
        if account.name == name:
            return account
    return None


def password_mark(account: ConsoleUser) -> str:
    """Kept in the session: a changed password (or a removed account) ends the sessions opened before."""
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def current_user(request: Request, settings: ConsoleSettings, store: SessionStore) -> User | None:
    """The signed-in user, looked up in settings on every request (a role change applies at once), whose session
    is still open in the database (not logged out, not past `session_hours`)."""
    if settings.auth == "header":
        # The proxy authenticated the user and must drop this header from clients (docs/console.md).
        name = request.headers.get(settings.header, "").strip()
        account = find_account(settings, name) if name else None
        return User(account.name, account.role) if account else None
    signed = request.session.get("user")
    account = find_account(settings, signed) if isinstance(signed, str) else None
    if account is None or not account.password_hash or request.session.get("mark") != password_mark(account):
        return None
    if not store.is_open(request.session.get("sid"), account.name):
        return None
    return User(account.name, account.role)


class LoginLimiter:
    """At most `attempts` failed logins per key (client address, user name) in a sliding window, counted in the
    database (table `login_failure`): the same for every `veilleur serve` process and across restarts. Keys are
    stored as an HMAC with the console's secret key, and only for the window."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        secret: str,
        attempts: int,
        window_seconds: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.secret = secret.encode()
        self.attempts = attempts
        self.window = timedelta(seconds=window_seconds)
        self.clock = clock

    def _hashed(self, keys: tuple[str, ...]) -> list[str]:
        return [hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest() for key in keys]

    def blocked(self, *keys: str) -> bool:
        since = self.clock() - self.window
        with self.sessions() as session:
            counts = session.execute(
                select(LoginFailure.key, func.count())
                .where(LoginFailure.key.in_(self._hashed(keys)), LoginFailure.at > since)
                .group_by(LoginFailure.key)
            )
            return any(count >= self.attempts for _, count in counts)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self.sessions.begin() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))
            session.add_all(LoginFailure(key=key, at=now) for key in self._hashed(keys))

    def forget(self, key: str) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key.in_(self._hashed((key,)))))
