"""An item's clean-up, one function per step, for the pipelines (clean_text, normalise) and for the places that
hold items outside a Scrapy crawl (`veilleur extract`, the survey import, through `finish`): plain text, dates
to aware UTC, the rating on its scale, the reach as a count, the link http(s) or none. The value parsers below
them are pure."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from w3lib.html import remove_tags, remove_tags_with_content, replace_entities

from crawlers.items import MentionItem
from models.urls import safe_url

TEXT_FIELDS = ("text", "title", "author", "reply_text")
DATE_FIELDS = ("published_at", "experienced_at", "updated_at", "reply_at")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Markup starts with a letter, "/" or "!" after "<": "<3" or "a < b" are the author's words, not tags.
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
# C0 controls other than tab and newline break terminals, JSON logs and some databases.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def finish(item: MentionItem, now: datetime | None = None) -> MentionItem:
    """Every step in place, as the clean_text and normalise pipelines run them. A date that cannot be read is
    left out and noted in `extra["unparsed"]`; a rating off its scale raises ValueError. Unlike the clean_text
    pipeline, a mention without text is kept (with text ""): the caller decides."""
    clean_text(item)
    if not item.text:
        item.text = ""
    normalise_dates(item, now or datetime.now(UTC))
    normalise_reach(item)
    normalise_url(item)
    normalise_rating(item)
    return item


def clean_text(item: MentionItem) -> None:
    """Text fields to plain text, in place (an empty one becomes None); a title-only review's title is its text."""
    for name in TEXT_FIELDS:
        value = getattr(item, name)
        if isinstance(value, str):
            setattr(item, name, to_plain_text(value) or None)
    if not item.text and item.title:
        # Some sites allow a title-only review; the title is then the whole of what the author said.
        item.text = item.title


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
    item.rating = parse_number(item.rating)
    item.rating_best = parse_number(item.rating_best)
    item.rating_worst = parse_number(item.rating_worst)
    if item.rating is not None:
        item.extra["rating_normalised"] = rating_share(item.rating, item.rating_best, item.rating_worst)
        item.rating_best = 5.0 if item.rating_best is None else item.rating_best
        item.rating_worst = 1.0 if item.rating_worst is None else item.rating_worst


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


def to_plain_text(value: str) -> str:
    """HTML or plain text in, plain text out: tags removed (scripts and styles with their content)."""
    if _MARKUP.search(value):
        value = _BREAKS.sub("\n", value)
        value = remove_tags(remove_tags_with_content(value, which_ones=("script", "style")))
        value = html.unescape(replace_entities(value))
    value = _CONTROL.sub("", value)
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_date(value: datetime | str | int | float | None, now: datetime | None = None) -> datetime | None:
    """ISO 8601, Unix seconds, French or English long dates ("25 novembre 2021") and relative dates
    ("il y a 2 mois", against `now`). Returns aware UTC; a date without a zone is taken as UTC.
    Raises ValueError for text that is not a date, so the caller can count it rather than guess."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = value.strip()
    if _ISO_DATE.match(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    try:
        return parse_date(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    import dateparser  # slow to import: only for the dates ISO parsing could not read

    parsed = dateparser.parse(
        text,
        languages=["fr", "en"],
        settings={
            "RELATIVE_BASE": (now or datetime.now(UTC)).replace(tzinfo=None),
            "TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    if parsed is None:
        raise ValueError(f"not a date: {text!r}")
    return parsed.astimezone(UTC)


def parse_number(value: float | int | str | None) -> float | None:
    """'4', '4,5', 4.5 -> float. Raises ValueError on text that is not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    return float(value.strip().replace(",", "."))


def parse_reach(value: float | int | str | None) -> int | None:
    """12, '12', 12.0 -> 12 (a negative count -> 0). Raises ValueError on text, NaN or infinity."""
    number = parse_number(value)
    if number is None:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"reach {value!r} is not a count")
    return max(0, int(number))


def rating_share(rating: float, best: float | None, worst: float | None) -> float:
    """Rating on its own scale -> 0..1. schema.org defaults: best 5, worst 1."""
    best = 5.0 if best is None else best
    worst = 1.0 if worst is None else worst
    if best <= worst:
        raise ValueError(f"rating scale best={best} is not above worst={worst}")
    if not worst <= rating <= best:
        raise ValueError(f"rating {rating} outside its scale {worst}-{best}")
    return (rating - worst) / (best - worst)
