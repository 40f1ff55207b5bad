"""CSRF: a random token per session, in a hidden field of every form; a POST without it is refused (403)."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

FIELD = "csrf"


def token(request: Request) -> str:
    value = request.session.get(FIELD)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        request.session[FIELD] = value
    return value


def renew(request: Request) -> None:
    """A new token at login: one seen before signing in is worth nothing after."""
    request.session[FIELD] = secrets.token_urlsafe(32)


def valid(request: Request, submitted: object) -> bool:
    expected = request.session.get(FIELD)
    if not isinstance(expected, str) or not expected or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
