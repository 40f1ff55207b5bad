"""Console sessions kept in the database (table `console_session`). The signed cookie names a session that must
still be open here: logging out deletes it, so a copy of the cookie saved before acts no more, and its lifetime
(`session_hours`) is counted here from the login, whatever the age of the cookie. Every `veilleur serve`
process on the database sees the same sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from models import ConsoleSession


class SessionStore:
    def __init__(self, sessions: sessionmaker[Session], lifetime: timedelta, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.lifetime = lifetime
        self.clock = clock

    def open(self, user: str) -> str:
        """A new session for `user`: the id to keep in the cookie. Sessions past their end are deleted here."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.sessions.begin() as session:
            session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
            session.add(ConsoleSession(id=_hashed(token), user_name=user, expires_at=now + self.lifetime))
        return token

    def is_open(self, token: object, user: str) -> bool:
        if not isinstance(token, str) or not token:
            return False
        with self.sessions() as session:
            row = session.get(ConsoleSession, _hashed(token))
            return row is not None and row.user_name == user and row.expires_at > self.clock()

    def end(self, token: object) -> None:
        if isinstance(token, str) and token:
            with self.sessions.begin() as session:
                session.execute(delete(ConsoleSession).where(ConsoleSession.id == _hashed(token)))


def _hashed(token: str) -> str:
    # The id is 256 random bits: a plain hash is enough to make a copy of the table open nothing.
    return hashlib.sha256(token.encode()).hexdigest()
