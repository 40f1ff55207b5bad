"""What every message Veilleur sends to Slack must be, whatever text came from outside: read from its JSON."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from slack_sdk.models.blocks import Block

from alerts.mrkdwn import FALLBACK_LIMIT, FIELD_LIMIT, SECTION_LIMIT, URL_LIMIT

# The only links the code adds: a safe http(s) url (nothing in it can end the link early) and a label of ours.
LINK = re.compile(r"<(https?://[^\s|<>]+)\|(link|source|console)>")
MENTION = re.compile(r"<@[A-Z][A-Z0-9_]+>")  # who clicked a button (web/slack.py)
QUOTE_MARK = re.compile(r"(?m)^> ")  # the code quotes a text with "> " at each line's start
ENTITY_CUT = re.compile(r"&(?!amp;|lt;|gt;)")


def check_mrkdwn(text: str, mentions: bool = False) -> None:
    """No '<' or '>' outside the links, mentions and quote marks the code adds; no '<!'; every '&' an entity
    that escape() made, whole; no control character but tab and line breaks."""
    assert "<!" not in text, text[:300]
    rest = LINK.sub("", text)
    if mentions:
        rest = MENTION.sub("", rest)
    rest = QUOTE_MARK.sub("", rest)
    assert "<" not in rest and ">" not in rest, rest[:300]
    assert not ENTITY_CUT.search(rest), rest[:300]
    assert all(c in "\t\n\r" or unicodedata.category(c) != "Cc" for c in text), repr(text[:300])


def _walk(node: Any, found: list[tuple[str, dict[str, Any]]], parent: str = "") -> None:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            found.append((parent, node))
        for key, value in node.items():
            _walk(value, found, key if isinstance(value, dict | list) else parent)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found, parent)


def check_message(message: dict[str, Any], mentions: bool = False) -> None:
    """A message as chat.postMessage, chat.update, a webhook or response_url takes it."""
    blocks = message["blocks"]
    if isinstance(blocks, str):  # sent as a form field
        blocks = json.loads(blocks)
    assert 0 < len(blocks) <= 50
    # slack_sdk's models read the JSON back and check it again as it becomes JSON (lengths, counts, urls).
    assert [block.to_dict() for block in Block.parse_all(blocks)] == blocks
    texts: list[tuple[str, dict[str, Any]]] = []
    _walk(blocks, texts)
    for where, text in texts:
        check_mrkdwn(text["text"], mentions)
        limit = FIELD_LIMIT if where == "fields" else SECTION_LIMIT
        assert len(text["text"]) <= limit, (where, len(text["text"]))
    for block in blocks:
        for element in block.get("elements", []):
            if "url" in element:
                url = element["url"]
                assert len(url) <= URL_LIMIT and re.fullmatch(r"https?://[^\s|<>]+", url), url[:300]
    fallback = message["text"]
    assert fallback and len(fallback) <= FALLBACK_LIMIT, len(fallback)
    check_mrkdwn(fallback, mentions)
    assert "\n" not in fallback or mentions  # one line: what a notification shows
