"""Dismiss watched mentions from the console: the selection (or one row's button) leaves the Flagged queue,
through moderation/workflow.py as `veilleur queue dismiss` does, and can be undone like any other action."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from moderation import workflow
from web.console.auth import User
from web.console.page import Console, back_to


async def dismiss(console: Console, request: Request, user: User, form: FormData) -> Response:
    only = str(form.get("act", "")).partition(":")[2]
    ids = [int(only)] if only.isdigit() else [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()]
    if not ids:
        console.remember(request, "nothing selected", [], {0: "select mentions first"})
        return back_to(request, form, "/queue/flagged")
    with console.sessions.begin() as session:
        result = workflow.bulk(session, ids, lambda mention_id: workflow.dismiss(session, mention_id, user.actor))
    console.remember(request, f"dismissed {len(result.done)} of {len(ids)}", result.done, result.failed)
    return back_to(request, form, "/queue/flagged")
