"""Text from outside made safe for Slack, where a message is built. Pure.

`escape` is the one escaping for Slack: every text that did not come from this code goes through it (or through
`short`, `quote` or `link`, which use it) before it is put in a message, whatever part of the message it lands
in (a section, a field, a context line, a header, the fallback `text`, a file's comment). Escaping makes a text
longer (`<` becomes `&lt;`) and quoting adds `> ` to every line, so a text is cut where its escaped form fits
Slack's limits, never in the middle of an entity, and never escaped after being cut to a size.
"""

from __future__ import annotations

import re

from models.urls import safe_url

SECTION_LIMIT = 3000  # characters in a section's text (slack_sdk's SectionBlock refuses more)
FIELD_LIMIT = 2000  # characters in one of a section's fields
QUOTE_LIMIT = 2500  # characters of a quoted text shown before the cut; the link leads to the whole text
SHORT_LIMIT = 100  # a name, a language, a topic, a date: one line; longer is noise, not information
# The message's `text`: Slack shows it in notifications (about 150 characters seen) and would take 40,000.
FALLBACK_LIMIT = 300
URL_LIMIT = 3000  # characters in a button's url
# An escaped url inside a mrkdwn link: short enough that the text beside it keeps most of its section.
LINK_LIMIT = 1500
CUT = " … (cut here; full text at the link)"
MORE = "…"

# Control characters other than tab and line breaks: nothing to show, and some are refused in a message.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
# In a url: what would end a mrkdwn link (`<url|label>`) early, or start a label of the sender's choosing.
_LINK_BREAKERS = {"|": "%7C", "<": "%3C", ">": "%3E"}


def escape(text: str) -> str:
    """Slack's mrkdwn control characters &, < and > as entities, so '<!channel>' in a review cannot ping anyone
    and '<http://x|label>' cannot show a link of its writer's; control characters other than tab and line
    breaks dropped."""
    return text.translate(_CONTROLS).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cap(escaped: str, limit: int = SECTION_LIMIT) -> str:
    """An escaped text cut to `limit` characters, an entity cut in half dropped whole."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit, 0)]
    start = cut.rfind("&", max(0, limit - len("&amp;") + 1))
    if start != -1 and ";" not in cut[start:]:  # every & begins an entity: escape() made it one
        cut = cut[:start]
    return cut


def short(text: str, limit: int = SHORT_LIMIT) -> str:
    """A short field (a name, a language, a date) or a fallback `text`: on one line, escaped, at most `limit`
    characters with a mark where it was cut."""
    escaped = escape(" ".join(text.split()))
    if len(escaped) <= limit:
        return escaped
    return cap(escaped, limit - len(MORE)) + MORE


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


def link_url(value: object) -> str | None:
    """A url from outside as a button may carry it: what models/urls.py allows as a link (http or https with a
    host, no blank or invisible character, no user name), `|`, `<` and `>` percent-encoded, within Slack's
    limit; None otherwise (no button: the quote and the console still serve)."""
    url = safe_url(value)
    if url is None:
        return None
    url = re.sub(r"[|<>]", lambda found: _LINK_BREAKERS[found.group()], url)
    return url if len(url) <= URL_LIMIT else None


def link(value: object, label: str) -> str:
    """A mrkdwn link `<url|label>` to a url from outside, or "" when it is not a safe http(s) url: the url
    cannot end the link early nor bring its own label, and the label is escaped."""
    url = link_url(value)
    if url is None or len(escape(url)) > LINK_LIMIT:
        return ""
    return f"<{escape(url)}|{escape(label)}>"
