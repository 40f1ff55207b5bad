"""The console's routes, mounted at /console on the app `veilleur serve` runs. Pages are rendered on the
server (Jinja2, autoescaped); every POST carries the session's CSRF token; every action goes through
moderation/workflow.py. Forms post, then redirect (a reload never acts twice)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from models import utcnow
from moderation.replies import TemplateError, render_template, template_language
from moderation.workflow import WorkflowError
from web.console import actions, csrf
from web.console.auth import LoginLimiter, User, current_user, find_account, password_mark
from web.console.dashboard import load_dashboard
from web.console.headers import SecurityHeaders
from web.console.passwords import verify_password, waste_time
from web.console.queries import (
    AGES,
    QUEUES,
    SENTIMENTS,
    SLA_STATES,
    SORTS,
    Filters,
    choices,
    queue_counts,
    queue_page,
    sla_state,
)
from web.console.review import load_review

if TYPE_CHECKING:
    from scheduler.context import Context

log = logging.getLogger("web.console")
HERE = Path(__file__).parent
Handler = Callable[[Request], Awaitable[Response]]


def console_mount(context: Context) -> Mount:
    """The console at /console, or, with no secret key to sign sessions, a page saying how to turn it on."""
    if not context.settings.console.secret_key:
        log.warning("console off: set VEILLEUR__CONSOLE__SECRET_KEY to serve it at /console")
        return Mount("/console", app=_off)
    return Mount("/console", app=create_console(context))


async def _off(scope: Any, receive: Any, send: Any) -> None:
    text = "The console is off: set VEILLEUR__CONSOLE__SECRET_KEY (docs/console.md).\n"
    await PlainTextResponse(text, status_code=503)(scope, receive, send)


def create_console(context: Context, clock: Callable[[], datetime] = utcnow) -> Starlette:
    settings = context.settings
    config = settings.console
    sessions = context.sessions
    near = timedelta(hours=settings.moderation.reply_reminder_hours)
    undo_window = timedelta(minutes=settings.moderation.undo_minutes)
    limiter = LoginLimiter(sessions, config.secret_key, config.login_attempts, config.login_window_minutes * 60)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    environment.filters["when"] = _when
    environment.filters["safe_url"] = _safe_url
    environment.globals.update(
        queues=QUEUES,
        reasons=actions.REASONS,
        sentiments=SENTIMENTS,
        ages=AGES,
        sla_states=SLA_STATES,
        sorts=SORTS,
    )
    templates = Jinja2Templates(env=environment)

    def undo_pending(request: Request) -> dict[str, Any] | None:
        last = request.session.get("last")
        if isinstance(last, dict) and clock().timestamp() - float(last.get("at", 0)) < undo_window.total_seconds():
            return last
        return None

    def render(request: Request, template: str, user: User | None, status: int = 200, **values: Any) -> Response:
        base = request.scope.get("root_path", "")
        page = {
            "base": base,
            "user": user,
            "csrf": csrf.token(request),
            "flash": request.session.pop("flash", None),
            "undo": undo_pending(request),
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **values,
        }
        return templates.TemplateResponse(request, template, page, status_code=status)

    def signed_in(handler: Callable[[Request, User], Awaitable[Response]]) -> Handler:
        async def check(request: Request) -> Response:
            user = current_user(request, config)
            if user is None:
                if config.auth == "header":
                    return PlainTextResponse("not signed in at the proxy, or not a console user", status_code=403)
                return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)
            return await handler(request, user)

        return check

    def acting(handler: Callable[[Request, User, FormData], Awaitable[Response]]) -> Handler:
        """A POST that changes something: a valid CSRF token, a signed-in moderator or admin."""

        async def check(request: Request, user: User) -> Response:
            form = await request.form()
            if not csrf.valid(request, form.get(csrf.FIELD)):
                return PlainTextResponse("missing or wrong CSRF token: reload the page", status_code=403)
            if not user.can("moderator"):
                return PlainTextResponse(f"{user.name} is a {user.role}: read only", status_code=403)
            return await handler(request, user, form)

        return signed_in(check)

    def back_to(request: Request, form: FormData | None, default: str) -> RedirectResponse:
        base = request.scope.get("root_path", "")
        target = str(form.get("back", "")) if form is not None else ""
        # Only a page of the console: an attacker's link cannot send a moderator elsewhere after acting.
        if not target.startswith(base + "/") or target.startswith("//") or "\\" in target:
            target = base + default
        return RedirectResponse(target, status_code=303)

    def remember(request: Request, what: str, ids: list[int], failed: dict[int, str] | None = None) -> None:
        problems = "; ".join(failed.values()) if failed else ""
        request.session["flash"] = {
            "text": what + (f" — not done: {problems}" if problems else ""),
            "error": bool(failed),
        }
        if ids:
            request.session["last"] = {"ids": ids, "what": what, "at": clock().timestamp()}

    async def login_page(request: Request) -> Response:
        if config.auth == "header":
            return RedirectResponse(f"{request.scope.get('root_path', '')}/", status_code=303)
        return render(request, "login.html", None)

    async def login(request: Request) -> Response:
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
            return render(request, "login.html", None, 429, error="Too many failed attempts: wait and retry.")
        account = find_account(config, name)
        if account is None or not account.password_hash:
            waste_time(password)
            ok = False
        else:
            ok = verify_password(password, account.password_hash)
        if not ok or account is None:
            limiter.failed(*keys)
            log.warning("console login failed for %r from %s", name, keys[0])
            return render(request, "login.html", None, 401, error="Wrong name or password.", name=name)
        limiter.forget(keys[1])
        request.session.clear()
        request.session.update(user=account.name, mark=password_mark(account))
        csrf.renew(request)
        log.info("console login: %s (%s)", account.name, account.role)
        return RedirectResponse(f"{base}/", status_code=303)

    async def logout(request: Request) -> Response:
        form = await request.form()
        if not csrf.valid(request, form.get(csrf.FIELD)):
            return PlainTextResponse("missing or wrong CSRF token: reload the page", status_code=403)
        request.session.clear()
        return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)

    async def dashboard(request: Request, user: User) -> Response:
        with sessions.begin() as session:
            data = load_dashboard(session, clock(), near, settings.slack.timezone)
            return render(request, "dashboard.html", user, data=data, counts=data.counts, now=clock())

    async def queue(request: Request, user: User) -> Response:
        name = request.path_params["queue"]
        if name not in QUEUES:
            return PlainTextResponse(f"no queue {name!r}", status_code=404)
        filters = Filters.parse(name, request.query_params)
        with sessions.begin() as session:
            page = queue_page(session, filters, config.page_size, clock(), near)
            return render(
                request,
                "queue.html",
                user,
                page=page,
                counts=queue_counts(session),
                menus=choices(session),
                sla=lambda due: sla_state(due, clock(), near),
            )

    async def review(request: Request, user: User) -> Response:
        return _review_page(request, user, preview=None, template=request.query_params.get("template", ""))

    def _review_page(request: Request, user: User, preview: str | None, template: str, status: int = 200) -> Response:
        mention_id = request.path_params["mention_id"]
        with sessions.begin() as session:
            view = load_review(session, mention_id)
            if view is None:
                return PlainTextResponse(f"no review {mention_id}", status_code=404)
            every = settings.moderation.reply_templates
            templates_for = every.get(template_language(view.mention, every), {})
            draft = preview
            if draft is None and template:
                try:
                    draft = render_template(every, view.mention, template)
                except TemplateError:
                    draft = ""
            return render(
                request,
                "review.html",
                user,
                status,
                view=view,
                counts=queue_counts(session),
                templates_for=templates_for,
                draft=draft or "",
                preview=preview,
                back=request.query_params.get("back", ""),
                sla=sla_state(view.mention.reply_due_at, clock(), near),
            )

    async def act(request: Request, user: User, form: FormData) -> Response:
        mention_id = request.path_params["mention_id"]
        action = str(form.get("action", ""))
        values = {key: value for key, value in form.items() if isinstance(value, str)}
        if action == "reply" and "preview" in form:
            return _review_page(request, user, preview=values.get("text", ""), template="")
        try:
            with sessions.begin() as session:
                message = actions.one(session, user, mention_id, action, values)
        except (WorkflowError, actions.Refused) as error:
            remember(request, f"#{mention_id}", [], {mention_id: str(error)})
        else:
            remember(request, message, [mention_id] if action != "correct" else [])
        return back_to(request, form, f"/review/{mention_id}")

    async def bulk(request: Request, user: User, form: FormData) -> Response:
        chosen = str(form.get("act", ""))
        action, _, only = chosen.partition(":")
        ids = [int(only)] if only.isdigit() else [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()]
        values = {key: value for key, value in form.items() if isinstance(value, str)}
        if not ids:
            remember(request, "nothing selected", [], {0: "select reviews first"})
            return back_to(request, form, "/")
        try:
            with sessions.begin() as session:
                result = actions.many(session, user, ids, action, values)
        except actions.Refused as error:
            remember(request, action, [], {0: str(error)})
            return back_to(request, form, "/")
        what = f"{actions.DONE[action]} {len(result.done)} of {len(ids)}"
        remember(request, what, result.done, result.failed)
        return back_to(request, form, "/")

    async def undo(request: Request, user: User, form: FormData) -> Response:
        last = undo_pending(request)
        request.session.pop("last", None)
        if last is None:
            remember(request, "undo", [], {0: "nothing to undo (or older than the undo window)"})
            return back_to(request, form, "/")
        with sessions.begin() as session:
            result = actions.undo(session, user, [int(i) for i in last["ids"]], undo_window, clock())
        request.session["flash"] = {
            "text": f"undid {last['what']} on {len(result.done)} review(s)"
            + (f" — not undone: {'; '.join(result.failed.values())}" if result.failed else ""),
            "error": bool(result.failed),
        }
        return back_to(request, form, "/")

    routes = [
        Route("/", signed_in(dashboard)),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/queue/{queue}", signed_in(queue)),
        Route("/review/{mention_id:int}", signed_in(review), methods=["GET"]),
        Route("/review/{mention_id:int}", acting(act), methods=["POST"]),
        Route("/bulk", acting(bulk), methods=["POST"]),
        Route("/undo", acting(undo), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=config.secret_key,
            session_cookie="veilleur_console",
            max_age=int(config.session_hours * 3600),
            path="/console",
            same_site="lax",
        ),
    ]
    return Starlette(routes=routes, middleware=middleware)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _safe_url(value: str | None) -> str | None:
    """Only http(s) links: autoescaping does not stop a `javascript:` URL from a crawled page."""
    if value and value.lower().startswith(("https://", "http://")):
        return value
    return None
