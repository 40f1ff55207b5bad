"""One review's page (with a reply drafted from a template, or previewed) and the actions posted from it."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from moderation.replies import TemplateError, render_template, template_language
from moderation.workflow import WorkflowError
from web.console import actions
from web.console.auth import User
from web.console.page import Console, back_to, console_page, queue_filters
from web.console.queries import next_in_queue, queue_counts, sla_state
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
            accounts=[account.name for account in console.config.users],
            product=view.mention.product
            and console.settings.product_label(view.mention.source.brand.slug, view.mention.product),
        )


async def act(console: Console, request: Request, user: User, form: FormData) -> Response:
    """Act on the review, then go back (to `back`, else the review), or with `next`, to the review after this one
    in the queue and filter it was opened from. Withdrawing a published review first asks for confirmation."""
    mention_id = request.path_params["mention_id"]
    action = str(form.get("action", ""))
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    if action == "reply" and "preview" in form:
        return _review_page(console, request, user, preview=values.get("text", ""), template="")
    base = request.scope.get("root_path", "")
    back = console_page(base, values.get("back")) or ""
    filters = queue_filters(base, back, user.name, console.people) if values.get("next") else None
    following = None
    try:
        with console.sessions.begin() as session:
            if actions.to_confirm(session, user, mention_id, action, values):
                return _confirm_withdrawal(console, request, user, session, mention_id, values, back)
            if filters is not None:  # before acting: the review leaves its queue
                following = next_in_queue(session, filters, mention_id, console.clock(), console.near)
            message = actions.one(session, user, mention_id, action, values)
    except (WorkflowError, actions.Refused) as error:
        console.remember(request, f"#{mention_id}", [], {mention_id: str(error)})
        return back_to(request, form, f"/review/{mention_id}")
    console.remember(request, message, [mention_id] if action != "correct" else [])
    if following is not None:
        return RedirectResponse(f"{base}/review/{following}?{urlencode({'back': back})}", status_code=303)
    return back_to(request, form, f"/review/{mention_id}")


def _confirm_withdrawal(
    console: Console,
    request: Request,
    user: User,
    session: Session,
    mention_id: int,
    values: dict[str, str],
    back: str,
) -> Response:
    """A page asking "withdraw it?" with the same form and `confirm=withdraw`: it works without the script."""
    view = load_review(session, mention_id)
    reason = actions.reason_of(values.get("reason"))
    return console.render(
        request,
        "confirm.html",
        user,
        view=view,
        reason=reason,
        fields={key: values.get(key, "") for key in ("action", "reason", "note", "back", "next")},
        back=back,
        counts=queue_counts(session),
        undo_minutes=console.settings.moderation.undo_minutes,
    )
