"""The console's routes, mounted at /console on the app `veilleur serve` runs. Pages are rendered on the
server (Jinja2, autoescaped); every POST carries the session's CSRF token; every action goes through
moderation/workflow.py. Forms post, then redirect (a reload never acts twice).

Each route is a handler (web/console/handlers/, by concern) behind a guard (web/console/guards.py) that says
who may reach it; what the handlers share is one `Console` (web/console/page.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from models import utcnow
from web.console.auth import LoginLimiter
from web.console.guards import acting, anyone, signed_in
from web.console.handlers import dashboard, dismiss, held, queues, relevance, review, sign_in
from web.console.headers import SecurityHeaders
from web.console.page import Console, make_templates
from web.console.sessions import SessionStore

if TYPE_CHECKING:
    from config.settings import Settings
    from scheduler.context import Context

log = logging.getLogger("web.console")
HERE = Path(__file__).parent


def console_mount(context: Context) -> Mount:
    """The console at /console, or, with no secret key to sign sessions, a page saying how to turn it on."""
    if not context.settings.console.secret_key:
        log.warning("console off: set VEILLEUR__CONSOLE__SECRET_KEY to serve it at /console")
        return Mount("/console", app=_off)
    return Mount("/console", app=create_console(context))


async def _off(scope: Any, receive: Any, send: Any) -> None:
    text = "The console is off: set VEILLEUR__CONSOLE__SECRET_KEY (docs/console.md).\n"
    await PlainTextResponse(text, status_code=503)(scope, receive, send)


def secure_cookie(settings: Settings) -> bool:
    """Unless set, Secure when moderators reach the server over HTTPS: a browser on the http:// demo would
    never send a Secure cookie back."""
    if settings.console.secure_cookie is not None:
        return settings.console.secure_cookie
    return settings.serve.public_url.startswith("https://")


def create_console(context: Context, clock: Callable[[], datetime] = utcnow) -> Starlette:
    settings = context.settings
    config = settings.console
    console = Console(
        settings=settings,
        sessions=context.sessions,
        limiter=LoginLimiter(
            context.sessions, config.secret_key, config.login_attempts, config.login_window_minutes * 60
        ),
        session_store=SessionStore(context.sessions, timedelta(hours=config.session_hours), clock),
        templates=make_templates(),
        clock=clock,
        near=timedelta(hours=settings.moderation.reply_reminder_hours),
        undo_window=timedelta(minutes=settings.moderation.undo_minutes),
    )
    routes = [
        Route("/", signed_in(console, dashboard.dashboard)),
        Route("/login", anyone(console, sign_in.login_page), methods=["GET"]),
        Route("/login", anyone(console, sign_in.login), methods=["POST"]),
        Route("/logout", anyone(console, sign_in.logout), methods=["POST"]),
        Route("/queue/{queue}", signed_in(console, queues.queue)),
        Route("/review/{mention_id:int}", signed_in(console, review.review), methods=["GET"]),
        Route("/review/{mention_id:int}", acting(console, review.act), methods=["POST"]),
        Route("/review/{mention_id:int}/restore", acting(console, held.restore), methods=["POST"]),
        Route("/bulk", acting(console, queues.bulk), methods=["POST"]),
        Route("/dismiss", acting(console, dismiss.dismiss), methods=["POST"]),
        Route("/off-topic", acting(console, relevance.off_topic), methods=["POST"]),
        Route("/relevant", acting(console, relevance.relevant), methods=["POST"]),
        Route("/undo", acting(console, queues.undo), methods=["POST"]),
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
            # Lax, not Strict: a moderator opening a review from Slack's link must arrive signed in. Forms post
            # with the session's CSRF token anyway.
            same_site="lax",
            https_only=secure_cookie(settings),
        ),
    ]
    return Starlette(routes=routes, middleware=middleware)
