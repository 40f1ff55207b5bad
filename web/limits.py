"""What a request may hold, checked before anything reads it, on every route, authenticated or not.

Bodies are limited: a declared Content-Length over the route's limit is refused at once, without reading a byte; a
body sent in chunks is counted while it streams and refused as soon as it passes the limit. Nothing is buffered
beyond the limit, so a 300 MB POST costs the server what the limit allows, not 300 MB.

A NUL character is refused in the address (path or query string) or a form: no person types one, and PostgreSQL
refuses it in text (a console login named "mi%00a" was a 500 error there, its failed attempt unrecordable)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Refused(Exception):
    """A body check's verdict, raised while the body streams: the request is answered with it instead."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


class BodyLimit:
    """ASGI middleware: `limits` maps a path prefix to its largest body in bytes (the longest prefix wins)."""

    def __init__(self, app: ASGIApp, default: int, limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default = default
        self.limits = sorted(limits, key=lambda item: len(item[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        too_large = Refused(413, f"request body over {limit} bytes")
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer(send, too_large)
            return
        received = 0

        def count(chunk: bytes) -> None:
            nonlocal received
            received += len(chunk)
            if received > limit:
                raise too_large

        await _checking_body(self.app, scope, receive, send, count)


class NoNul:
    """ASGI middleware: 400 for an address (path, query string) or a URL-encoded form body holding a NUL (%00),
    the body read while it streams. JSON bodies are checked by what reads them (their texts: models/text.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or _holds_nul(scope.get("query_string", b"")):
            await _answer(send, Refused(400, "refused: a NUL character (%00) in the address"))
            return
        if not _header(scope, b"content-type").startswith(b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        tail = b""  # the end of the previous chunk: "%0" and "0" may arrive apart

        def look(chunk: bytes) -> None:
            nonlocal tail
            if _holds_nul(tail + chunk):
                raise Refused(400, "refused: a NUL character (%00) in the form")
            tail = chunk[-2:]

        await _checking_body(self.app, scope, receive, send, look)


async def _checking_body(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, check: Callable[[bytes], None]
) -> None:
    """Run `app`, each body chunk passed to `check` as it arrives. When `check` raises Refused, the refusal answers
    (unless a response has begun) and what the app sends after it (its error page for our exception) is dropped."""
    refused: Refused | None = None
    started = False

    async def checking_receive() -> Message:
        nonlocal refused
        message = await receive()
        if message["type"] == "http.request":
            try:
                check(message.get("body", b""))
            except Refused as verdict:
                refused = verdict
                raise
        return message

    async def watching_send(message: Message) -> None:
        nonlocal started
        if refused is not None:
            return
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, checking_receive, watching_send)
    except Refused as verdict:
        if verdict is not refused:
            raise  # an outer check's (a body over its limit inside a form): that check answers
        if not started:
            await _answer(send, verdict)


def _content_length(scope: Scope) -> int | None:
    try:
        return int(_header(scope, b"content-length")) if _header(scope, b"content-length") else None
    except ValueError:
        return None


def _holds_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"%00" in raw


def _header(scope: Scope, wanted: bytes) -> bytes:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value).lower()
    return b""


async def _answer(send: Send, refusal: Refused) -> None:
    body = json.dumps({"error": refusal.error}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
