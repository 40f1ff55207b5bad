"""The pipelines' clean-up (plain text, UTC dates, rating on its scale, reach) as one function, for the places
that hold items outside a Scrapy crawl: `veilleur extract` and the survey import. The normalise pipeline runs
the same steps (`finish_dates`, `finish_rating`, `finish_reach`) and counts what they could not read."""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers.items import MentionItem
from crawlers.normalise import normalise_rating, parse_date, parse_number, parse_reach
from crawlers.pipelines.clean_text import to_plain_text

_TEXT_FIELDS = ("text", "title", "author", "reply_text")
_DATE_FIELDS = ("published_at", "experienced_at", "updated_at", "reply_at")


def finish(item: MentionItem, now: datetime | None = None) -> MentionItem:
    """Clean and normalise in place, as the clean_text and normalise pipelines do. A date that cannot be
    read is left out and noted in `extra["unparsed"]`; a rating off its scale raises ValueError."""
    for name in _TEXT_FIELDS:
        value = getattr(item, name)
        if isinstance(value, str):
            setattr(item, name, to_plain_text(value) or None)
    if not item.text:
        item.text = item.title or ""
    finish_dates(item, now or datetime.now(UTC))
    finish_reach(item)
    finish_rating(item)
    return item


def finish_dates(item: MentionItem, now: datetime) -> list[str]:
    """Dates to aware UTC, in place (relative ones against `now`); returns the fields that could not be read,
    each left out and noted in `extra["unparsed"]`."""
    unparsed = []
    for name in _DATE_FIELDS:
        try:
            setattr(item, name, parse_date(getattr(item, name), now))
        except ValueError as error:
            item.extra.setdefault("unparsed", {})[name] = str(error)
            setattr(item, name, None)
            unparsed.append(name)
    return unparsed


def finish_rating(item: MentionItem) -> None:
    """The rating and its scale as numbers, the rating normalised to 0-1 in `extra`; ValueError when the rating
    is not a number or lies off its scale."""
    item.rating = parse_number(item.rating)
    item.rating_best = parse_number(item.rating_best)
    item.rating_worst = parse_number(item.rating_worst)
    if item.rating is not None:
        item.extra["rating_normalised"] = normalise_rating(item.rating, item.rating_best, item.rating_worst)
        item.rating_best = 5.0 if item.rating_best is None else item.rating_best
        item.rating_worst = 1.0 if item.rating_worst is None else item.rating_worst


def finish_reach(item: MentionItem) -> bool:
    """The reach as a count, in place; False (the reach left out, noted in `extra["unparsed"]`) when the page
    gave something else: a reach is a weight, never a reason to drop the mention."""
    try:
        item.reach = parse_reach(item.reach)
        return True
    except ValueError as error:
        item.extra.setdefault("unparsed", {})["reach"] = str(error)
        item.reach = None
        return False
