"""Who is asking: local accounts (a signed session cookie) or a trusted reverse proxy's header; roles; the
login rate limit."""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from veilleur.settings import ConsoleSettings, ConsoleUser

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


def current_user(request: Request, settings: ConsoleSettings) -> User | None:
    """The signed-in user, looked up in settings on every request (a role change applies at once)."""
    if settings.auth == "header":
        # The proxy authenticated the user and must drop this header from clients (docs/console.md).
        name = request.headers.get(settings.header, "").strip()
        account = find_account(settings, name) if name else None
        return User(account.name, account.role) if account else None
    signed = request.session.get("user")
    account = find_account(settings, signed) if isinstance(signed, str) else None
    if account is None or not account.password_hash or request.session.get("mark") != password_mark(account):
        return None
    return User(account.name, account.role)


class LoginLimiter:
    """At most `attempts` failed logins per key (client address, user name) in a sliding window. In memory:
    one `veilleur serve` process; a restart forgets (the window is short anyway)."""

    def __init__(self, attempts: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, *keys: str) -> bool:
        return any(self._count(key) >= self.attempts for key in keys)

    def failed(self, *keys: str) -> None:
        if len(self._failures) > 10_000:  # many addresses trying once: drop those whose window has passed
            for key in list(self._failures):
                self._count(key)
        for key in keys:
            self._failures.setdefault(key, deque()).append(self.clock())

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def _count(self, key: str) -> int:
        failures = self._failures.get(key)
        if failures is None:
            return 0
        while failures and self.clock() - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return len(failures)
