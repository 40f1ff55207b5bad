"""Mark mentions off-topic (from the Flagged queue) or relevant after all (from the Off-topic queue): the
selection or one row's button, through moderation/relevance/marks.py as `veilleur queue offtopic` does. Each mark
is audited and kept as an example the relevance score learns from. The opposite mark is the undo: the header's
undo button does not take a mark back (it is not a workflow action)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from moderation import workflow
from moderation.relevance.marks import mark
from web.console.auth import User
from web.console.page import Console, back_to


async def off_topic(console: Console, request: Request, user: User, form: FormData) -> Response:
    return _mark(console, request, user, form, relevant=False)


async def relevant(console: Console, request: Request, user: User, form: FormData) -> Response:
    return _mark(console, request, user, form, relevant=True)


def _mark(console: Console, request: Request, user: User, form: FormData, relevant: bool) -> Response:
    page = "/queue/off_topic" if relevant else "/queue/flagged"
    only = str(form.get("act", "")).partition(":")[2]
    ids = [int(only)] if only.isdigit() else [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()]
    if not ids:
        console.remember(request, "nothing selected", [], {0: "select mentions first"})
        return back_to(request, form, page)
    with console.sessions.begin() as session:
        result = workflow.bulk(session, ids, lambda mention_id: mark(session, mention_id, user.actor, relevant))
    what = "relevant" if relevant else "off-topic"
    console.remember(request, f"marked {what} {len(result.done)} of {len(ids)}", [], result.failed)
    return back_to(request, form, page)
