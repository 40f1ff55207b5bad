"""What a link from outside (a review's, an author's, a source's) may be before Veilleur stores it or shows it
as a link: `safe_url`. The crawlers check when they store, and the report, the feed, the console and Slack check
again when they render, so a row stored before this check is never a link either."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_LENGTH = 2000  # what browsers and sites reliably handle; Slack's buttons take at most 3,000
# A console queue's address may name the mentions it shows (`?ids=12,15,19`: a Slack group's "open these N"):
# at most this many. Slack builds the address and the console reads it; both read the limit from here.
QUEUE_IDS_LIMIT = 100
# Separators and invisible format characters (right-to-left override, zero-width space): browsers drop tabs and
# newlines inside a URL ("java\tscript:" runs), and the invisible ones make the visible text lie.
_UNSEEN = {"Cc", "Cf", "Zs", "Zl", "Zp"}
# What the URL standard trims from both ends before parsing: C0 controls and the space.
_ENDS = "".join(chr(code) for code in range(0x21))


def safe_url(value: object) -> str | None:
    """The link, trimmed, when it is http or https with a host, at most MAX_LENGTH characters, with no blank,
    control or invisible character inside, no user name or password before the host (`https://bank@evil/`
    shows one site and opens another) and no backslash in the host part (browsers read it as "/").
    Anything else, whatever its case or disguise (`JaVaScRiPt:`, ` javascript:`, `data:`), gives None."""
    if not isinstance(value, str):
        return None
    url = value.strip(_ENDS)
    if not url or len(url) > MAX_LENGTH or _has_unseen(url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if "@" in parts.netloc or "\\" in parts.netloc:
        return None
    return url


def _has_unseen(url: str) -> bool:
    # isprintable() is False for every category in _UNSEEN except the plain space (and for a few more, e.g.
    # unassigned code points), so a printable URL without a space needs no look-up per character. That is
    # nearly every URL; the per-character look-ups were 14 % of reading a schema.org page.
    if url.isprintable() and " " not in url:
        return False
    return any(unicodedata.category(c) in _UNSEEN for c in url)
