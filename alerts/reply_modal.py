"""Reply from Slack: the Reply button opens a modal (views.open) with the reply templates of the review's
language (`[moderation.reply_templates.<lang>]`) and a text area; its submission is stored and published by
`workflow.reply`, the function the console's reply form calls, so a reply is the same wherever it was written.

The modal carries the mention id and the clicked message's response_url in its private_metadata (Slack gives
them back on submission, signed like every request); nothing else is kept between the two requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from sqlalchemy.orm import Session

from alerts.slack_actions import ActionRefused
from models import Mention

CALLBACK_ID = "veilleur_reply"
TEMPLATE_BLOCK, TEMPLATE_ACTION = "template", "template"
TEXT_BLOCK, TEXT_ACTION = "text", "text"
TEXT_LIMIT = 3000  # characters in a plain_text_input (Block Kit)
OPTION_LIMIT = 75  # characters in an option's text
METADATA_LIMIT = 3000  # characters of private_metadata

Templates = dict[str, dict[str, str]]  # language -> name -> text with {name}


@dataclass(frozen=True)
class Replies:
    """What the Reply button needs: the templates from settings and a way to open a modal (views.open)."""

    templates: Templates
    open_view: Callable[[str, dict[str, Any]], None]  # (trigger_id, view)


def reply_view(session: Session, mention_id: int, templates: Templates, response_url: str | None) -> dict[str, Any]:
    """The modal for answering this mention: its language's templates as a menu (each option shows the start of
    the text as the author would read it) and a text area; either may be used, the text wins when both are."""
    from moderation.replies import TemplateError, render_template, template_language

    mention = session.get(Mention, mention_id)
    if mention is None:
        raise ActionRefused(f"no mention {mention_id}")
    language = template_language(mention, templates)
    blocks: list[Any] = []
    options = []
    for name in sorted(templates.get(language, {})):
        try:
            shown = render_template(templates, mention, name)
        except TemplateError:
            continue  # a broken template is refused on submission too; the others stay usable
        options.append(Option(text=PlainTextObject(text=f"{name}: {shown}"[:OPTION_LIMIT]), value=name[:150]))
    if options:
        menu = StaticSelectElement(
            action_id=TEMPLATE_ACTION, placeholder=PlainTextObject(text="A template…"), options=options[:100]
        )
        label = PlainTextObject(text=f"Template ({language})")
        blocks.append(InputBlock(block_id=TEMPLATE_BLOCK, label=label, element=menu, optional=True))
    area = PlainTextInputElement(action_id=TEXT_ACTION, multiline=True, max_length=TEXT_LIMIT)
    text_label = PlainTextObject(text="Reply (leave empty to send the template as it is)")
    blocks.append(InputBlock(block_id=TEXT_BLOCK, label=text_label, element=area, optional=True))
    metadata = json.dumps({"mention_id": mention_id, "response_url": response_url or ""})
    if len(metadata) > METADATA_LIMIT:  # a response_url that long is not Slack's: the update is skipped
        metadata = json.dumps({"mention_id": mention_id, "response_url": ""})
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=PlainTextObject(text=f"Reply to #{mention_id}"[:24]),
        submit=PlainTextObject(text="Publish reply"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=blocks,
    )
    return view.to_dict()


@dataclass(frozen=True)
class Submission:
    mention_id: int
    template: str | None
    text: str
    response_url: str | None


def read_submission(view: Any) -> Submission:
    """The submitted modal, checked; ValueError saying what is wrong."""
    if not isinstance(view, dict) or view.get("callback_id") != CALLBACK_ID:
        raise ValueError("not a reply modal")
    try:
        metadata = json.loads(view.get("private_metadata") or "")
    except ValueError:
        metadata = None
    mention_id = metadata.get("mention_id") if isinstance(metadata, dict) else None
    if not isinstance(mention_id, int) or isinstance(mention_id, bool) or not 0 < mention_id < 2**31:
        raise ValueError("private_metadata carries no mention id")
    response_url = metadata.get("response_url") if isinstance(metadata, dict) else None
    if not (isinstance(response_url, str) and response_url.startswith(("https://", "http://"))):
        response_url = None
    values = (view.get("state") or {}).get("values") or {}
    if not isinstance(values, dict):
        raise ValueError("state.values is not an object")
    chosen = ((values.get(TEMPLATE_BLOCK) or {}).get(TEMPLATE_ACTION) or {}).get("selected_option") or {}
    template = chosen.get("value") if isinstance(chosen, dict) else None
    text = ((values.get(TEXT_BLOCK) or {}).get(TEXT_ACTION) or {}).get("value")
    return Submission(
        mention_id,
        template if isinstance(template, str) and template else None,
        text if isinstance(text, str) else "",
        response_url,
    )


def submit_reply(session: Session, submission: Submission, actor: str, templates: Templates) -> str:
    """Store and publish the reply as the console does; ActionRefused with what to fix in the modal."""
    from moderation import workflow
    from moderation.replies import TemplateError, render_template

    text = submission.text.strip()
    if not text and submission.template:
        try:
            text = render_template(templates, session.get(Mention, submission.mention_id), submission.template)
        except TemplateError as error:
            raise ActionRefused(str(error)) from None
    if not text:
        raise ActionRefused("write a reply or choose a template")
    try:
        workflow.reply(session, submission.mention_id, actor, text)
    except workflow.WorkflowError as error:
        raise ActionRefused(str(error)) from None
    return f"Reply to #{submission.mention_id} saved"


def slack_view_opener(token: str, base_url: str) -> Callable[[str, dict[str, Any]], None]:
    """views.open with the bot token, against `[slack] base_url` (the fake Slack in tests)."""

    def open_view(trigger_id: str, view: dict[str, Any]) -> None:
        from slack_sdk import WebClient

        WebClient(token=token, base_url=base_url, timeout=5).views_open(trigger_id=trigger_id, view=view)

    return open_view
