"""Undo an automatic rejection while it is held ([moderation] hold_auto_reject_hours): the review goes back to
the queue the policy would have chosen without the abuse and spam scores, and its author is never told. The
console's undo button only knows the user's own last action; the policy's rejection is anyone's to undo."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from moderation import workflow
from web.console.auth import User
from web.console.page import Console, back_to


async def restore(console: Console, request: Request, user: User, form: FormData) -> Response:
    mention_id = request.path_params["mention_id"]
    try:
        with console.sessions.begin() as session:
            if workflow.held_until(session, mention_id, console.clock()) is None:
                raise workflow.WorkflowError(f"mention {mention_id}: no automatic rejection held (or it is final)")
            workflow.undo(session, mention_id, user.actor, console.undo_window, console.clock())
    except workflow.WorkflowError as error:
        console.remember(request, f"#{mention_id}", [], {mention_id: str(error)})
    else:
        console.remember(request, f"#{mention_id} back in its queue: the automatic rejection is undone", [])
    return back_to(request, form, f"/review/{mention_id}")
