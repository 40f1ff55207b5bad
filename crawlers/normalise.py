"""An item's clean-up, one function per step, for the pipelines (clean_text, normalise) and for the places that
hold items outside a Scrapy crawl (`veilleur extract`, the survey import, through `finish`): plain text, dates
to aware UTC, the rating on its scale, the reach as a count, the link http(s) or none. The value parsers below
them are pure and strict: a value of the wrong type, not finite, too long or out of range (crawlers/limits.py) is a
ValueError that says why, for the caller to leave that field out or refuse that item, and count it."""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime
from typing import Any

from w3lib.html import remove_tags, remove_tags_with_content, replace_entities

from crawlers.items import MentionItem
from crawlers.limits import (
    EARLIEST_DATE,
    LATEST_AHEAD,
    MAX_DATE_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_REACH,
    TEXT_LIMITS,
)
from models.ratings import rating_share
from models.text import without_controls
from models.urls import safe_url

TEXT_FIELDS = ("text", "title", "author", "reply_text", "language")
KEY_FIELDS = ("external_id", "author_id", "order_ref", "contact", "product", "location")
DATE_FIELDS = ("published_at", "experienced_at", "updated_at", "reply_at")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Markup starts with a letter, "/" or "!" after "<": "<3" or "a < b" are the author's words, not tags.
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def finish(item: MentionItem, now: datetime | None = None) -> MentionItem:
    """Every step in place, as the clean_text and normalise pipelines run them. A date (or a title, author,
    reply, reach) that cannot be read is left out and noted in `extra["unparsed"]`; a rating off its scale or a
    text that cannot be kept raises ValueError. Unlike the clean_text pipeline, a mention without text is kept
    (with text ""): the caller decides."""
    clean_text(item)
    if not item.text:
        item.text = ""
    normalise_dates(item, now or datetime.now(UTC))
    normalise_reach(item)
    normalise_url(item)
    normalise_rating(item)
    return item


def clean_text(item: MentionItem) -> list[str]:
    """Text fields to plain text, in place (an empty one becomes None); a title-only review's title is its text.
    A field that is not text (an object, a list) or is over its length (crawlers/limits.py) is left out, noted in
    `extra["unparsed"]` and returned; ValueError when that field is the text itself: words are never cut."""
    unparsed = []
    for name in TEXT_FIELDS:
        try:
            setattr(item, name, plain_text(getattr(item, name), name))
        except ValueError as error:
            if name == "text":
                raise
            item.extra.setdefault("unparsed", {})[name] = str(error)
            setattr(item, name, None)
            unparsed.append(name)
    if not item.text and item.title:
        # Some sites allow a title-only review; the title is then the whole of what the author said.
        item.text = item.title
    for name in KEY_FIELDS:
        # Ids and names are kept as given but for control characters: PostgreSQL refuses a NUL in text, and a
        # review whose id held one was lost there (its insert failed) while SQLite kept it.
        value = getattr(item, name)
        if isinstance(value, str):
            setattr(item, name, without_controls(value).strip() or None)
    return unparsed


def normalise_dates(item: MentionItem, now: datetime) -> list[str]:
    """Dates to aware UTC, in place (relative ones against `now`); returns the fields that could not be read,
    each left out and noted in `extra["unparsed"]`."""
    unparsed = []
    for name in DATE_FIELDS:
        try:
            setattr(item, name, parse_date(getattr(item, name), now))
        except ValueError as error:
            item.extra.setdefault("unparsed", {})[name] = str(error)
            setattr(item, name, None)
            unparsed.append(name)
    return unparsed


def normalise_rating(item: MentionItem) -> None:
    """The rating and its scale as numbers, the rating normalised to 0-1 in `extra`; ValueError when the rating
    is not a number or lies off its scale."""
    rating, best, worst = (_rating_number(item, name) for name in ("rating", "rating_best", "rating_worst"))
    item.rating, item.rating_best, item.rating_worst = rating, best, worst
    if rating is not None:
        item.extra["rating_normalised"] = rating_share(rating, best, worst)
        item.rating_best = 5.0 if best is None else best
        item.rating_worst = 1.0 if worst is None else worst


def _rating_number(item: MentionItem, name: str) -> float | None:
    try:
        return parse_number(getattr(item, name))
    except ValueError as error:
        raise ValueError(f"{name} {error}") from None


def normalise_reach(item: MentionItem) -> bool:
    """The reach as a count, in place; False (the reach left out, noted in `extra["unparsed"]`) when the page
    gave something else: a reach is a weight, never a reason to drop the mention."""
    try:
        item.reach = parse_reach(item.reach)
        return True
    except ValueError as error:
        item.extra.setdefault("unparsed", {})["reach"] = str(error)
        item.reach = None
        return False


def normalise_url(item: MentionItem) -> bool:
    """The link kept only when it is plain http(s) (models/urls.py), in place; False when the page gave one that
    is not (javascript:, data:, a host hidden behind a user name...): it is dropped, never repaired, because the
    report, the console and Slack make it a link someone will click."""
    given = item.url
    item.url = safe_url(given)
    if item.url is None and given not in (None, ""):
        item.extra.setdefault("unparsed", {})["url"] = "not an http(s) link with a host"
        return False
    return True


def plain_text(value: Any, name: str = "text") -> str | None:
    """A text field as plain text (None when empty). A number is taken as its digits (an author called 1984);
    anything else that is not text, or text over the field's limit, is a ValueError."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{name}: {shown(value)} is not text")
    text = to_plain_text(value)
    limit = TEXT_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise ValueError(f"{name}: {len(text)} characters, over the limit of {limit}")
    return text or None


def to_plain_text(value: str) -> str:
    """HTML or plain text in, plain text out: tags removed (scripts and styles with their content)."""
    if _MARKUP.search(value):
        value = _BREAKS.sub("\n", value)
        value = remove_tags(remove_tags_with_content(value, which_ones=("script", "style")))
        value = html.unescape(replace_entities(value))
    value = without_controls(value)
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_date(value: Any, now: datetime | None = None) -> datetime | None:
    """ISO 8601, Unix seconds, French or English long dates ("25 novembre 2021") and relative dates
    ("il y a 2 mois", against `now`). Returns aware UTC; a date without a zone is taken as UTC.
    Raises ValueError for anything that is not a date between 1990 and a day after `now` (crawlers/limits.py):
    text over 100 characters is refused before any parsing, so the caller can count it rather than guess."""
    if value is None or value == "":
        return None
    now = now or datetime.now(UTC)
    date = _read_date(value, now)
    if not EARLIEST_DATE <= date <= now + LATEST_AHEAD:
        span = f"{EARLIEST_DATE:%Y-%m-%d} to a day after {now:%Y-%m-%d}"
        raise ValueError(f"{shown(value)} is not a date: outside {span}")
    return date


def _read_date(value: Any, now: datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{shown(value)} is not a date")
    if isinstance(value, int | float):
        # Checked before converting: 1e20 seconds overflows the platform's time_t. Compared, never converted: an
        # integer of 400 digits compares fine but overflows as a float; NaN and infinity fail the comparison.
        if not EARLIEST_DATE.timestamp() <= value <= (now + LATEST_AHEAD).timestamp():
            raise ValueError(f"{shown(value)} is not a date: a timestamp outside 1990 to a day after now")
        return datetime.fromtimestamp(value, UTC)
    text = value.strip()
    if len(text) > MAX_DATE_LENGTH:
        raise ValueError(f"{shown(text)} is not a date: longer than {MAX_DATE_LENGTH} characters")
    try:
        if _ISO_DATE.match(text):
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO, or ISO at the edge of time ("9999-12-31T23:59-01:00")
        pass
    import dateparser  # slow to import: only for the dates ISO parsing could not read

    try:
        parsed = dateparser.parse(
            text,
            languages=["fr", "en"],
            settings={
                "RELATIVE_BASE": now.replace(tzinfo=None),
                "TIMEZONE": "UTC",
                "RETURN_AS_TIMEZONE_AWARE": True,
                "PREFER_DAY_OF_MONTH": "first",
            },
        )
        if parsed is not None:
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # "il y a 99999999 ans": dateparser computes a year out of range
        pass
    raise ValueError(f"{shown(text)} is not a date")


def parse_number(value: Any) -> float | None:
    """'4', '4,5', 4.5 -> float. Raises ValueError on anything else: text that is not a number, an object, a
    list, a boolean, NaN or infinity, or more than 40 characters."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{shown(value)} is not a number")
    try:
        if isinstance(value, str):
            if len(value) > MAX_NUMBER_LENGTH:
                raise ValueError
            number = float(value.strip().replace(",", "."))
        else:
            number = float(value)
    except (ValueError, OverflowError):  # OverflowError: an integer of 400 digits
        raise ValueError(f"{shown(value)} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{shown(value)} is not a finite number")
    return number


def parse_reach(value: Any) -> int | None:
    """12, '12', 12.0 -> 12 (a negative count -> 0). Raises ValueError on text, NaN, infinity, or a count over
    crawlers/limits.py's MAX_REACH."""
    try:
        number = parse_number(value)
    except ValueError as error:
        raise ValueError(f"reach {error}: not a count") from None
    if number is None:
        return None
    if number > MAX_REACH:
        raise ValueError(f"reach {shown(value)} is not a count (over {MAX_REACH})")
    return max(0, int(number))


def shown(value: Any) -> str:
    """A value as an error message quotes it: short, whatever was sent (a 1 MB date is not echoed whole)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return f"an integer of {len(str(abs(value))) if abs(value) < 10**4000 else 'over 4000'} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
