"""Pure parsing helpers shared by spiders and pipelines: dates to aware UTC, ratings to their scale."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def normalise_rating(rating: float, best: float | None, worst: float | None) -> float:
    """Rating on its own scale -> 0..1. schema.org defaults: best 5, worst 1."""
    best = 5.0 if best is None else best
    worst = 1.0 if worst is None else worst
    if best <= worst:
        raise ValueError(f"rating scale best={best} is not above worst={worst}")
    if not worst <= rating <= best:
        raise ValueError(f"rating {rating} outside its scale {worst}-{best}")
    return (rating - worst) / (best - worst)
