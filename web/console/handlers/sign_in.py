"""Signing in with a local account (name, password, login rate limit) and signing out. With `auth = "header"`
the reverse proxy signs users in: these pages only send them to the dashboard."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from web.console import csrf
from web.console.auth import find_account, password_mark
from web.console.page import Console
from web.console.passwords import verify_password, waste_time

log = logging.getLogger("web.console")


async def login_page(console: Console, request: Request) -> Response:
    if console.config.auth == "header":
        return RedirectResponse(f"{request.scope.get('root_path', '')}/", status_code=303)
    return console.render(request, "login.html", None)


async def login(console: Console, request: Request) -> Response:
    config, limiter = console.config, console.limiter
    base = request.scope.get("root_path", "")
    form = await request.form()
    if config.auth == "header":
        return RedirectResponse(f"{base}/", status_code=303)
    if not csrf.valid(request, form.get(csrf.FIELD)):
        return PlainTextResponse("missing or wrong CSRF token: reload the page", status_code=403)
    name, password = str(form.get("name", "")).strip()[:100], str(form.get("password", ""))
    keys = (f"address:{request.client.host if request.client else '-'}", f"user:{name.casefold()}")
    if limiter.blocked(*keys):
        log.warning("console login refused (too many failures): %s", keys)
        return console.render(request, "login.html", None, 429, error="Too many failed attempts: wait and retry.")
    account = find_account(config, name)
    # A check costs about 0.1 s of CPU: in a thread, or every other request would wait behind each login.
    if account is None or not account.password_hash:
        await run_in_threadpool(waste_time, password)
        ok = False
    else:
        ok = await run_in_threadpool(verify_password, password, account.password_hash)
    if not ok or account is None:
        limiter.failed(*keys)
        log.warning("console login failed for %r from %s", name, keys[0])
        return console.render(request, "login.html", None, 401, error="Wrong name or password.", name=name)
    limiter.forget(keys[1])
    request.session.clear()
    request.session.update(user=account.name, mark=password_mark(account), sid=console.session_store.open(account.name))
    csrf.renew(request)
    log.info("console login: %s (%s)", account.name, account.role)
    return RedirectResponse(f"{base}/", status_code=303)


async def logout(console: Console, request: Request) -> Response:
    form = await request.form()
    if not csrf.valid(request, form.get(csrf.FIELD)):
        return PlainTextResponse("missing or wrong CSRF token: reload the page", status_code=403)
    # Clearing the cookie is not enough: a copy saved before would still be signed. The session ends here.
    console.session_store.end(request.session.get("sid"))
    request.session.clear()
    return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)
