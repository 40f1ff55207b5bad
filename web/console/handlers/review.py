"""One review's page (with a reply drafted from a template, or previewed) and the actions posted from it."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from moderation.replies import TemplateError, render_template, template_language
from moderation.workflow import WorkflowError
from web.console import actions
from web.console.auth import User
from web.console.page import Console, back_to, console_page
from web.console.queries import queue_counts, sla_state
from web.console.review import load_review


async def review(console: Console, request: Request, user: User) -> Response:
    return _review_page(console, request, user, preview=None, template=request.query_params.get("template", ""))


def _review_page(
    console: Console, request: Request, user: User, preview: str | None, template: str, status: int = 200
) -> Response:
    mention_id = request.path_params["mention_id"]
    with console.sessions.begin() as session:
        view = load_review(session, mention_id)
        if view is None:
            return PlainTextResponse(f"no review {mention_id}", status_code=404)
        every = console.settings.moderation.reply_templates
        templates_for = every.get(template_language(view.mention, every), {})
        draft = preview
        if draft is None and template:
            try:
                draft = render_template(every, view.mention, template)
            except TemplateError:
                draft = ""
        return console.render(
            request,
            "review.html",
            user,
            status,
            view=view,
            counts=queue_counts(session),
            templates_for=templates_for,
            draft=draft or "",
            preview=preview,
            back=console_page(request.scope.get("root_path", ""), request.query_params.get("back")) or "",
            sla=sla_state(view.mention.reply_due_at, console.clock(), console.near),
        )


async def act(console: Console, request: Request, user: User, form: FormData) -> Response:
    mention_id = request.path_params["mention_id"]
    action = str(form.get("action", ""))
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    if action == "reply" and "preview" in form:
        return _review_page(console, request, user, preview=values.get("text", ""), template="")
    try:
        with console.sessions.begin() as session:
            message = actions.one(session, user, mention_id, action, values)
    except (WorkflowError, actions.Refused) as error:
        console.remember(request, f"#{mention_id}", [], {mention_id: str(error)})
    else:
        console.remember(request, message, [mention_id] if action != "correct" else [])
    return back_to(request, form, f"/review/{mention_id}")
