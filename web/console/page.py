"""What every console handler shares (the `Console`: settings, database, templates, login limiter, clock) and
what every answer does with it: render a page around the session's flash and undo notes, remember what was
done, redirect back to a page of the console."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jinja2
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from config.people import People
from models.urls import safe_url
from web.console import actions, csrf
from web.console.auth import LoginLimiter, User
from web.console.queries import AGES, QUEUES, SENTIMENTS, SLA_STATES, SORTS, FilterError, Filters
from web.console.sessions import SessionStore

if TYPE_CHECKING:
    from config.settings import ConsoleSettings, Settings

HERE = Path(__file__).parent
# Set by the page script on the requests it makes to update a page in place (and kept by fetch on a redirect):
# the answer is then the page's changing parts only (no head, no footer), marked with the same header.
PARTIAL = "X-Console-Partial"


@dataclass(frozen=True)
class Console:
    """Built once per app by create_console (web/console/app.py) and handed to every handler."""

    settings: Settings
    sessions: sessionmaker[Session]
    limiter: LoginLimiter
    session_store: SessionStore
    templates: Jinja2Templates
    clock: Callable[[], datetime]
    near: timedelta  # a reply deadline this close is shown as due soon
    undo_window: timedelta

    @property
    def config(self) -> ConsoleSettings:
        return self.settings.console

    @property
    def people(self) -> People:
        """Whose account a Slack user is: the "assigned to me" filter and the assignee shown (config/people.py)."""
        return self.config.people()

    def undo_pending(self, request: Request) -> dict[str, Any] | None:
        last = request.session.get("last")
        if (
            isinstance(last, dict)
            and self.clock().timestamp() - float(last.get("at", 0)) < self.undo_window.total_seconds()
        ):
            return last
        return None

    def render(self, request: Request, template: str, user: User | None, status: int = 200, **values: Any) -> Response:
        base = request.scope.get("root_path", "")
        partial = request.headers.get(PARTIAL) == "1"
        page = {
            "partial": partial,
            "base": base,
            "user": user,
            "csrf": csrf.token(request),
            "flash": request.session.pop("flash", None),
            "undo": self.undo_pending(request),
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            "person": self.people.shown,  # "slack:U0123" assigned before its account named it reads "alice"
            **values,
        }
        answer = self.templates.TemplateResponse(request, template, page, status_code=status)
        if partial:
            answer.headers[PARTIAL] = "1"
        return answer

    def remember(self, request: Request, what: str, ids: list[int], failed: dict[int, str] | None = None) -> None:
        problems = "; ".join(failed.values()) if failed else ""
        request.session["flash"] = {
            "text": what + (f" — not done: {problems}" if problems else ""),
            "error": bool(failed),
        }
        if ids:
            request.session["last"] = {"ids": ids, "what": what, "at": self.clock().timestamp()}


def back_to(request: Request, form: FormData | None, default: str) -> RedirectResponse:
    base = request.scope.get("root_path", "")
    target = console_page(base, form.get("back") if form is not None else None)
    return RedirectResponse(target or base + default, status_code=303)


def console_page(base: str, target: object) -> str | None:
    """`target` if it is a page of this console (a relative path under `base`), else None: a `?back=` in an
    attacker's link must not lead a moderator to another site, from the back link or after acting."""
    if not isinstance(target, str):
        return None
    # Browsers drop tabs and newlines from a URL and read a backslash as "/": "/<tab>/evil.example" leaves.
    if any(char <= " " or char in "\x7f\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(base + "/"):
        return None
    # A browser reads "%2e%2e" as "..": no dot segment at all, so the path stays under the console.
    if any(segment in (".", "..") for segment in unquote(parts.path).split("/")):
        return None
    return target


def queue_filters(base: str, target: str, me: str = "", people: People | None = None) -> Filters | None:
    """The queue and filters a console page's address shows (`/console/queue/to_reply?sla=late`), else None;
    `me` and `people` as for Filters.parse."""
    parts = urlsplit(target)
    prefix = base + "/queue/"
    name = parts.path[len(prefix) :] if parts.path.startswith(prefix) else ""
    if name not in QUEUES:
        return None
    try:
        return Filters.parse(name, dict(parse_qsl(parts.query)), me, people)
    except FilterError:
        return None


def make_templates() -> Jinja2Templates:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    environment.filters["when"] = _when
    environment.filters["safe_url"] = safe_url  # the check the crawlers use when they store a link
    environment.globals.update(
        queues=QUEUES,
        queue_actions=actions.QUEUE_ACTIONS,
        matching_limit=actions.MATCHING_LIMIT,
        reasons=actions.REASONS,
        sentiments=SENTIMENTS,
        ages=AGES,
        sla_states=SLA_STATES,
        sorts=SORTS,
    )
    return Jinja2Templates(env=environment)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"
