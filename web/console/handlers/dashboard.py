"""The dashboard page at the console's root (what it shows: web/console/dashboard.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.console.auth import User
from web.console.dashboard import load_dashboard
from web.console.page import Console


async def dashboard(console: Console, request: Request, user: User) -> Response:
    with console.sessions.begin() as session:
        data = load_dashboard(session, console.clock(), console.near, console.settings.slack.timezone)
        return console.render(request, "dashboard.html", user, data=data, counts=data.counts, now=console.clock())
