"""What a request may hold, checked before anything reads it, on every route, authenticated or not.

Bodies are limited: a declared Content-Length over the route's limit is refused at once, without reading a byte; a
body sent in chunks is counted while it streams and refused as soon as it passes the limit. Nothing is buffered
beyond the limit, so a 300 MB POST costs the server what the limit allows, not 300 MB.

A NUL character is refused in the address (path or query string) or a form: no person types one, and PostgreSQL
refuses it in text (a console login named "mi%00a" was a 500 error there, its failed attempt unrecordable)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


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
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # Starlette's error page for our own exception: the 413 below answers instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"error": f"request body over {limit} bytes"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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
            await _bad_request(send, "a NUL character (%00) in the address")
            return
        if _header(scope, b"content-type").startswith(b"application/x-www-form-urlencoded"):
            tail = b""  # the end of the previous chunk: "%0" and "0" may arrive apart
            found = started = False

            async def checking_receive() -> Message:
                nonlocal tail, found
                message = await receive()
                if message["type"] == "http.request":
                    body = message.get("body", b"")
                    if _holds_nul(tail + body):
                        found = True
                        raise NulInBody
                    tail = body[-2:]
                return message

            async def watching_send(message: Message) -> None:
                nonlocal started
                if found:
                    return
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            try:
                await self.app(scope, checking_receive, watching_send)
            except NulInBody:
                if not started:
                    await _bad_request(send, "a NUL character (%00) in the form")
            return
        await self.app(scope, receive, send)


class NulInBody(Exception):
    pass


def _holds_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"%00" in raw


def _header(scope: Scope, wanted: bytes) -> bytes:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value).lower()
    return b""


async def _bad_request(send: Send, why: str) -> None:
    body = json.dumps({"error": f"refused: {why}"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})
