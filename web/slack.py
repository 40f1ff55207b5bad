"""The Slack interactivity endpoint: button clicks arrive here, are verified, acted on through the moderation
workflow (the same functions the CLI calls), recorded with the Slack user as the actor, and the message updated.

Slack wants an answer within 3 seconds: the action itself is one small transaction; the message update goes
to Slack's `response_url` in a background task after the answer."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alerts.blocks import BLOCKS_LIMIT
from alerts.mrkdwn import FALLBACK_LIMIT, SECTION_LIMIT, cap, escape, short
from alerts.slack_actions import ActionRefused, Handler
from web.slack_signature import ReplayGuard, check

log = logging.getLogger("veilleur.slack")
_DONE = "veilleur_done:"  # block_id prefix of the lines this endpoint adds, one per click
_USER_ID = re.compile(r"[A-Z][A-Z0-9_]{1,40}")  # what Slack's user ids look like: only those become a mention


def slack_routes(
    sessions: sessionmaker[Session],
    signing_secret: str,
    moderators: set[str],
    handlers: dict[str, Handler],
    post: Callable[[str, dict[str, Any]], None] | None = None,
) -> list[Route]:
    guard = ReplayGuard(sessions)
    post = post or _post_to_response_url

    async def actions(request: Request) -> Response:
        body = await request.body()
        problem = check(
            signing_secret,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
            body,
            guard,
        )
        if problem:
            log.warning("refused Slack request from %s: %s", request.client.host if request.client else "?", problem)
            return JSONResponse({"error": problem}, status_code=401)
        form = await request.form()
        try:
            payload = json.loads(str(form["payload"]))
            user = payload["user"]["id"]
            action = payload["actions"][0]
        except (KeyError, IndexError, ValueError, TypeError):
            return JSONResponse({"error": "not a Slack block_actions payload"}, status_code=400)
        answer = _act(sessions, handlers, moderators, user, action)
        update = _updated_message(payload, answer)
        response_url = payload.get("response_url")
        task = BackgroundTask(post, response_url, update) if response_url else None
        return Response(status_code=200, background=task)

    return [Route("/slack/actions", actions, methods=["POST"])]


def _act(
    sessions: sessionmaker[Session],
    handlers: dict[str, Handler],
    moderators: set[str],
    user: str,
    action: dict[str, Any],
) -> str:
    """What was done, as mrkdwn: every part that came in the request escaped, the user a mention."""
    action_id = str(action.get("action_id", ""))
    who = _mention(user)
    if user not in moderators:
        log.warning("Slack user %r is not in [slack] moderators: %r refused", user, action_id)
        return f"{who} is not allowed to moderate (ask an admin to add you to [slack] moderators)"
    handler = handlers.get(action_id)
    if handler is None:
        return f"unknown action {short(repr(action_id))}"
    raw = str(action.get("value") or (action.get("selected_option") or {}).get("value") or "")
    mention, _, value = raw.partition(":")
    try:
        mention_id = int(mention)
    except ValueError:
        return f"bad action value {short(repr(raw))}"
    try:
        with sessions.begin() as session:
            done = handler(session, mention_id, f"slack:{user}", value or None)
    except ActionRefused as refusal:
        return f"not done: {cap(escape(str(refusal)), SECTION_LIMIT - 10)}"
    return f"{short(done, FALLBACK_LIMIT - 50)} by {who}"  # the line whole in the fallback, mention included


def _mention(user: str) -> str:
    # The id comes from a signed request, but a mention is built from it only when it looks like one.
    return f"<@{user}>" if _USER_ID.fullmatch(str(user)) else short(repr(user), 40)


def _updated_message(payload: dict[str, Any], answer: str) -> dict[str, Any]:
    """The original message, with the lines that say what was done (buttons kept: undo stays possible), within
    Slack's 50 blocks: the oldest of those lines go first, then the original's last blocks."""
    message = payload.get("message")
    shown = message.get("blocks") if isinstance(message, dict) else None
    blocks = [b for b in shown if isinstance(b, dict)] if isinstance(shown, list) else []
    done = [b for b in blocks if str(b.get("block_id", "")).startswith(_DONE)]
    numbers = [int(n) for b in done if (n := str(b["block_id"]).removeprefix(_DONE)).isdigit()]
    line = {"type": "context", "block_id": f"{_DONE}{max(numbers, default=0) + 1}"}  # block ids are unique
    while len(blocks) >= BLOCKS_LIMIT and done:
        blocks.remove(done.pop(0))
    blocks = blocks[: BLOCKS_LIMIT - 1]
    blocks.append({**line, "elements": [{"type": "mrkdwn", "text": cap(answer)}]})
    return {"replace_original": True, "text": cap(answer, FALLBACK_LIMIT), "blocks": blocks}


def _post_to_response_url(url: str, message: dict[str, Any]) -> None:
    from slack_sdk.webhook import WebhookClient

    try:
        response = WebhookClient(url, timeout=5).send_dict(message)
        if response.status_code != 200:
            log.warning("Slack response_url answered %s: %s", response.status_code, response.body)
    except OSError as error:
        log.warning("could not update the Slack message: %s", error)
