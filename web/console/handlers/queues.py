"""A queue page (filtered, sorted, paged) and what a moderator does from it to many reviews at once: a bulk
action on the selection, and undo of the last action within the undo window."""

from __future__ import annotations

from urllib.parse import parse_qsl

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from web.console import actions
from web.console.auth import User
from web.console.page import Console, back_to
from web.console.queries import (
    QUEUES,
    FilterError,
    Filters,
    choices,
    count_matching,
    matching_ids,
    queue_counts,
    queue_page,
    sla_state,
)


async def queue(console: Console, request: Request, user: User) -> Response:
    name = request.path_params["queue"]
    if name not in QUEUES:
        return PlainTextResponse(f"no queue {name!r}", status_code=404)
    try:
        filters = Filters.parse(name, request.query_params, user.name, console.people)
    except FilterError as error:
        return PlainTextResponse(f"filter refused: {error}", status_code=400)
    with console.sessions.begin() as session:
        page = queue_page(session, filters, console.config.page_size, console.clock(), console.near)
        return console.render(
            request,
            "queue.html",
            user,
            page=page,
            counts=queue_counts(session),
            menus=choices(session),
            sla=lambda due: sla_state(due, console.clock(), console.near),
        )


async def bulk(console: Console, request: Request, user: User, form: FormData) -> Response:
    """One row's button (`act=approve:12`), the ticked rows, or every review the page's filter matches
    (`scope=matching`, on every page: the filter is posted with the form)."""
    chosen = str(form.get("act", ""))
    action, _, only = chosen.partition(":")
    queue = str(form.get("queue", ""))
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        with console.sessions.begin() as session:
            ids, matching = _chosen(console, session, form, only, queue, user)
            if not ids:
                console.remember(request, "nothing selected", [], {0: "select reviews first"})
                return back_to(request, form, "/")
            result = actions.many(session, user, ids, action, values, queue if queue in QUEUES else "")
    except (actions.Refused, FilterError) as error:  # FilterError: a filter edited by hand, nothing done
        console.remember(request, action, [], {0: str(error)})
        return back_to(request, form, "/")
    what = f"{actions.DONE[action]} {len(result.done)} of {len(ids)}"
    if matching > len(ids):
        what += f" ({matching} matched: act again for the rest)"
    console.remember(request, what, result.done, result.failed)
    return back_to(request, form, "/")


def _chosen(
    console: Console, session: Session, form: FormData, only: str, queue: str, user: User
) -> tuple[list[int], int]:
    """The ids to act on, and how many reviews the filter matched (0 unless acting on all matching)."""
    if only.isdigit():
        return [int(only)], 0
    if form.get("scope") == "matching" and queue in QUEUES:
        filters = Filters.parse(queue, dict(parse_qsl(str(form.get("filter", "")))), user.name, console.people)
        now = console.clock()
        total = count_matching(session, filters, now, console.near)
        return matching_ids(session, filters, now, console.near, actions.MATCHING_LIMIT), total
    return [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()], 0


async def undo(console: Console, request: Request, user: User, form: FormData) -> Response:
    last = console.undo_pending(request)
    request.session.pop("last", None)
    if last is None:
        console.remember(request, "undo", [], {0: "nothing to undo (or older than the undo window)"})
        return back_to(request, form, "/")
    with console.sessions.begin() as session:
        result = actions.undo(session, user, [int(i) for i in last["ids"]], console.undo_window, console.clock())
    request.session["flash"] = {
        "text": f"undid {last['what']} on {len(result.done)} review(s)"
        + (f" — not undone: {'; '.join(result.failed.values())}" if result.failed else ""),
        "error": bool(result.failed),
    }
    return back_to(request, form, "/")
