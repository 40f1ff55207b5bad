"""Crawled text made safe for Slack's mrkdwn, within Slack's limits. Pure.

Escaping makes a text longer (`<` becomes `&lt;`) and quoting adds `> ` to every line, so a text is cut where
its escaped, quoted form fits, never in the middle of an entity.
"""

from __future__ import annotations

SECTION_LIMIT = 3000  # characters in a section's text (slack_sdk's SectionBlock refuses more)
QUOTE_LIMIT = 2500  # characters of a quoted text shown before the cut; the link leads to the whole text
CUT = " … (cut here; full text at the link)"


def escape(text: str) -> str:
    """Slack mrkdwn control characters: &, < and > (so '<!channel>' in a review cannot ping anyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quoted(text: str) -> str:
    return "\n".join("> " + line for line in escape(text).splitlines() or [""])


def quote(text: str, limit: int = SECTION_LIMIT) -> str:
    """The text as a mrkdwn quote, escaped, at most QUOTE_LIMIT of its characters and `limit` in all."""
    shown = text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + CUT
    quoted = _quoted(shown)
    if len(quoted) <= limit:
        return quoted
    # Escaping and line marks made it longer than Slack takes: the longest start that fits. The quoted length
    # only grows with the start's length, so a binary search finds it.
    low, high = 0, min(len(text), QUOTE_LIMIT)
    while low < high:
        middle = (low + high + 1) // 2
        if len(_quoted(text[:middle] + CUT)) <= limit:
            low = middle
        else:
            high = middle - 1
    return cap(_quoted(text[:low] + CUT), limit)  # cap: when even the cut note alone does not fit


def cap(escaped: str, limit: int = SECTION_LIMIT) -> str:
    """An escaped text cut to `limit` characters, an entity cut in half dropped whole."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[:limit]
    start = cut.rfind("&", max(0, limit - len("&amp;") + 1))
    if start != -1 and ";" not in cut[start:]:  # every & begins an entity: escape() made it one
        cut = cut[:start]
    return cut
