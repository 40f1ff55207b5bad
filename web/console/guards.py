"""Who may reach a handler, written once for every route: anyone (the sign-in pages), a signed-in user, or a
moderator acting with the session's CSRF token. Each turns a handler into the endpoint Starlette calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from web.console import csrf
from web.console.auth import User, current_user
from web.console.page import Console

Endpoint = Callable[[Request], Awaitable[Response]]
Open = Callable[[Console, Request], Awaitable[Response]]
Viewing = Callable[[Console, Request, User], Awaitable[Response]]
Acting = Callable[[Console, Request, User, FormData], Awaitable[Response]]


def anyone(console: Console, handler: Open) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return await handler(console, request)

    return endpoint


def signed_in(console: Console, handler: Viewing) -> Endpoint:
    async def check(request: Request) -> Response:
        user = current_user(request, console.config, console.session_store)
        if user is None:
            if console.config.auth == "header":
                return PlainTextResponse("not signed in at the proxy, or not a console user", status_code=403)
            return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)
        return await handler(console, request, user)

    return check


def acting(console: Console, handler: Acting) -> Endpoint:
    """A POST that changes something: a valid CSRF token, a signed-in moderator or admin."""

    async def check(console: Console, request: Request, user: User) -> Response:
        form = await request.form()
        if not csrf.valid(request, form.get(csrf.FIELD)):
            return PlainTextResponse("missing or wrong CSRF token: reload the page", status_code=403)
        if not user.can("moderator"):
            return PlainTextResponse(f"{user.name} is a {user.role}: read only", status_code=403)
        return await handler(console, request, user, form)

    return signed_in(console, check)
