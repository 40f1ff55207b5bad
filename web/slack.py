"""The Slack interactivity endpoint: button clicks arrive here, are verified, acted on through the moderation
workflow (the same functions the CLI calls), recorded with the Slack user as the actor ("slack:alice" when a
console account names that Slack user, else "slack:U…": config/people.py), and the message updated. The Reply
button opens a modal instead (alerts/reply_modal.py), whose submission comes back here too.

Slack wants an answer within 3 seconds: the action itself is one small transaction; the message update goes
to Slack's `response_url` in a background task after the answer."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alerts.blocks import BLOCKS_LIMIT
from alerts.mention_actions import ITEM
from alerts.mrkdwn import FALLBACK_LIMIT, SECTION_LIMIT, cap, escape, short
from alerts.reply_modal import TEXT_BLOCK, Replies, read_submission, reply_view, submit_reply
from alerts.slack_actions import ActionRefused, Handler
from config.people import People
from models.alert_kinds import LINKS, Button
from web.slack_signature import ReplayGuard, check

log = logging.getLogger("veilleur.slack")
MAX_MENTION_ID = 2**31 - 1  # models.Mention.id: INTEGER
MAX_SLACK_ID_LENGTH = 255  # user ids are ~11 characters, action ids at most 255 (Block Kit)
_DONE = "veilleur_done:"  # block_id prefix of the lines this endpoint adds, one per click
_LINK_ACTIONS = {button.value for button in LINKS}
_USER_ID = re.compile(r"[A-Z][A-Z0-9_]{1,40}")  # what Slack's user ids look like: only those become a mention


def slack_routes(
    sessions: sessionmaker[Session],
    signing_secret: str,
    moderators: set[str],
    handlers: dict[str, Handler],
    post: Callable[[str, dict[str, Any]], None] | None = None,
    replies: Replies | None = None,
    people: People | None = None,
) -> list[Route]:
    guard = ReplayGuard(sessions)
    post = post or _post_to_response_url
    people = people or People()

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
        raw = form.get("payload")
        if _payload_type(raw) == "view_submission":
            return await run_in_threadpool(_submitted, sessions, moderators, replies, raw, post, people)
        if _link_click(raw):
            # Slack tells us about a click on a link button too, and marks it failed unless we answer 200.
            return Response(status_code=200)
        try:
            click = read_click(raw)
        except ValueError as error:
            # Signed, so from Slack, but not what we act on: nothing is done, and nothing half done.
            log.warning("refused a malformed Slack payload: %s", error)
            return JSONResponse({"error": f"not a Slack block_actions payload: {error}"}, status_code=400)
        if click.action_id == Button.REPLY and click.user in moderators:
            refused = await run_in_threadpool(_open_reply, sessions, replies, click)
            if refused is None:
                return Response(status_code=200)  # the modal is open: the message changes once it is submitted
            answer = refused
        else:
            answer = _act(sessions, handlers, moderators, click, people)
        update = _updated_message(click.blocks, answer)
        task = BackgroundTask(post, click.response_url, update) if click.response_url else None
        return Response(status_code=200, background=task)

    return [Route("/slack/actions", actions, methods=["POST"])]


@dataclass(frozen=True)
class Click:
    """A button click, as checked before anything is done with it."""

    user: str
    action_id: str
    mention_id: int
    value: str | None  # after "MENTION_ID:" in the button's value, e.g. a rejection reason; the user picked
    response_url: str | None
    blocks: list[dict[str, Any]]  # the message's blocks, sent back with the outcome added
    trigger_id: str | None = None  # what views.open needs to open the reply modal (valid 3 seconds)


def read_click(raw: Any) -> Click:
    """The click in a `payload` form field, the whole of it checked first; ValueError saying what is wrong, so a
    malformed payload changes nothing (before, one was approved and then failed while building the answer)."""
    payload = _json_object(raw)
    if payload is None:
        raise ValueError("the payload is not a JSON object")
    user = _short_text(payload.get("user"), "id", "user.id")
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise ValueError("actions is not a list of objects")
    action = actions[0]
    action_id = _short_text(action, "action_id", "action_id")
    option = action.get("selected_option")
    if option is not None and not isinstance(option, dict):
        raise ValueError("selected_option is not an object")
    given = action.get("value") or (option or {}).get("value")
    raw_value = given if isinstance(given, str) else None
    assign_to, _, target = action_id.partition(":")
    if assign_to == Button.ASSIGN_TO and target:
        # A users menu has no value: the mention is in its action_id ("assign_to:7"), the user Slack sends.
        action_id = assign_to
        user_picked = action.get("selected_user")
        if not isinstance(user_picked, str) or not user_picked or len(user_picked) > MAX_SLACK_ID_LENGTH:
            raise ValueError("the users menu sent no selected_user")
        raw_value = f"{target}:{user_picked}"
    if raw_value is None:
        raise ValueError("the action has no text value")
    mention, _, value = raw_value.partition(":")
    # Mention ids are database integers (32 bits on PostgreSQL); "١٢" is digits to Python, not to us.
    if not (mention.isascii() and mention.isdigit() and len(mention) <= 10 and 0 < int(mention) <= MAX_MENTION_ID):
        raise ValueError(f"the action value {raw_value[:40]!r} does not start with a mention id")
    if action_id == ITEM:  # a group line's menu: the option names the action ("7:reject:spam")
        action_id, _, value = value.partition(":")
        if not action_id:
            raise ValueError(f"the menu option {raw_value[:40]!r} names no action")
    message = payload.get("message", {})
    blocks = message.get("blocks", []) if isinstance(message, dict) else None
    if not isinstance(blocks, list) or not all(isinstance(block, dict) for block in blocks):
        raise ValueError("message.blocks is not a list of blocks")
    response_url = payload.get("response_url")
    if response_url is not None and not (
        isinstance(response_url, str) and response_url.startswith(("https://", "http://"))
    ):
        raise ValueError("response_url is not an http(s) URL")
    trigger = payload.get("trigger_id")
    trigger_id = trigger if isinstance(trigger, str) and 0 < len(trigger) <= MAX_SLACK_ID_LENGTH else None
    return Click(user, action_id, int(mention), value or None, response_url or None, blocks, trigger_id)


def _json_object(raw: Any) -> dict[str, Any] | None:
    try:
        payload = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):
        payload = None
    return payload if isinstance(payload, dict) else None


def _link_click(raw: Any) -> bool:
    """A block_actions payload whose action is one of our link buttons (it opened a url: nothing to do)."""
    payload = _json_object(raw) or {}
    actions = payload.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    action_id = action.get("action_id")
    return payload.get("type") == "block_actions" and isinstance(action_id, str) and action_id in _LINK_ACTIONS


def _payload_type(raw: Any) -> str | None:
    payload = _json_object(raw)
    kind = payload.get("type") if payload is not None else None
    return kind if isinstance(kind, str) else None


def _open_reply(sessions: sessionmaker[Session], replies: Replies | None, click: Click) -> str | None:
    """Open the reply modal for a moderator's click; None when it is open, else why not (for the message)."""
    if replies is None:
        return "not done: replying from Slack needs the bot token ([slack] bot_token)"
    if click.trigger_id is None:
        return "not done: Slack sent no trigger_id to open the reply form with"
    try:
        with sessions.begin() as session:
            view = reply_view(session, click.mention_id, replies.templates, click.response_url)
        replies.open_view(click.trigger_id, view)
    except ActionRefused as refusal:
        return f"not done: {cap(escape(str(refusal)), SECTION_LIMIT - 10)}"
    except Exception as error:  # Slack refused (an expired trigger_id, a missing scope): say so, act on nothing
        log.warning("views.open failed: %s", error)
        return f"not done: Slack did not open the reply form ({short(str(error), 200)})"
    return None


def _submitted(
    sessions: sessionmaker[Session],
    moderators: set[str],
    replies: Replies | None,
    raw: Any,
    post: Callable[[str, dict[str, Any]], None],
    people: People,
) -> Response:
    """A submitted reply modal: stored and published as the console does, then said in the channel. A refusal
    stays in the modal, next to the text, so nothing typed is lost."""
    payload = _json_object(raw) or {}
    try:
        user = _short_text(payload.get("user"), "id", "user.id")
        submission = read_submission(payload.get("view"))
    except ValueError as error:
        log.warning("refused a malformed Slack view_submission: %s", error)
        return JSONResponse({"error": f"not a reply modal submission: {error}"}, status_code=400)

    def refuse(why: str) -> Response:
        return JSONResponse({"response_action": "errors", "errors": {TEXT_BLOCK: why[:150]}})

    if user not in moderators:
        log.warning("Slack user %r is not in [slack] moderators: reply refused", user)
        return refuse("you are not allowed to moderate (ask an admin to add you to [slack] moderators)")
    if replies is None:
        return refuse("replying from Slack is not configured")
    try:
        with sessions.begin() as session:
            done = submit_reply(session, submission, people.actor(user), replies.templates)
    except ActionRefused as refusal:
        return refuse(str(refusal))
    said = f"{short(done, FALLBACK_LIMIT - 50)} by {_mention(user)}"
    told = {"replace_original": False, "response_type": "in_channel", "text": said}
    task = BackgroundTask(post, submission.response_url, told) if submission.response_url else None
    return Response(status_code=200, background=task)


def _short_text(node: Any, key: str, name: str) -> str:
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, str) or not value or len(value) > MAX_SLACK_ID_LENGTH:
        raise ValueError(f"{name} is not a Slack id")
    return value


def _act(
    sessions: sessionmaker[Session],
    handlers: dict[str, Handler],
    moderators: set[str],
    click: Click,
    people: People,
) -> str:
    """What was done, as mrkdwn: every part that came in the request escaped, the users mentions."""
    who = _mention(click.user)
    if click.user not in moderators:
        log.warning("Slack user %r is not in [slack] moderators: %r refused", click.user, click.action_id)
        return f"{who} is not allowed to moderate (ask an admin to add you to [slack] moderators)"
    handler = handlers.get(click.action_id)
    if handler is None:
        return f"unknown action {short(repr(click.action_id))}"
    value = click.user if click.action_id == Button.ASSIGN else click.value  # "me": who clicked
    try:
        with sessions.begin() as session:
            done = handler(session, click.mention_id, people.actor(click.user), value)
    except ActionRefused as refusal:
        return f"not done: {cap(escape(str(refusal)), SECTION_LIMIT - 10)}"
    said = short(done, FALLBACK_LIMIT - 80)
    if click.action_id in (Button.ASSIGN, Button.ASSIGN_TO):  # to whom, as Slack shows the person
        said += f" to {_mention(value or '')}"
    return f"{said} by {who}"  # the line whole in the fallback, mentions included


def _mention(user: str) -> str:
    # The id comes from a signed request, but a mention is built from it only when it looks like one.
    return f"<@{user}>" if _USER_ID.fullmatch(user) else short(repr(user), 40)


def _updated_message(blocks: list[dict[str, Any]], answer: str) -> dict[str, Any]:
    """The original message, with the lines that say what was done (buttons kept: undo stays possible), within
    Slack's 50 blocks: the oldest of those lines go first, then the original's last blocks."""
    done = [b for b in blocks if str(b.get("block_id", "")).startswith(_DONE)]
    numbers = [int(n) for b in done if (n := str(b["block_id"]).removeprefix(_DONE)).isdigit()]
    line = {"type": "context", "block_id": f"{_DONE}{max(numbers, default=0) + 1}"}  # block ids are unique
    blocks = list(blocks)
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
