"""Strip HTML from text fields safely and tidy whitespace. The words themselves are never changed or cut."""

from __future__ import annotations

import html
import re

from scrapy.exceptions import DropItem
from w3lib.html import remove_tags, remove_tags_with_content, replace_entities

from crawlers.items import MentionItem

_TEXT_FIELDS = ("text", "title", "author", "reply_text")
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Markup starts with a letter, "/" or "!" after "<": "<3" or "a < b" are the author's words, not tags.
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
# C0 controls other than tab and newline break terminals, JSON logs and some databases.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def to_plain_text(value: str) -> str:
    """HTML or plain text in, plain text out: tags removed (scripts and styles with their content)."""
    if _MARKUP.search(value):
        value = _BREAKS.sub("\n", value)
        value = remove_tags(remove_tags_with_content(value, which_ones=("script", "style")))
        value = html.unescape(replace_entities(value))
    value = _CONTROL.sub("", value)
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class CleanTextPipeline:
    def process_item(self, item: MentionItem, spider) -> MentionItem:  # type: ignore[no-untyped-def]
        for name in _TEXT_FIELDS:
            value = getattr(item, name)
            if isinstance(value, str):
                setattr(item, name, to_plain_text(value) or None)
        if not item.text and item.title:
            # Some sites allow a title-only review; the title is then the whole of what the author said.
            item.text = item.title
        if not item.text and item.kind == "review" and item.rating is not None:
            # A rating without words is still a review: it counts in averages and may be published.
            item.text = ""
            spider.crawler.stats.inc_value("reviews/text/missing")
        elif not item.text:
            spider.crawler.stats.inc_value("mentions/dropped/empty_text")
            raise DropItem(f"{item.url}: mention without text (author {item.author!r})")
        return item
