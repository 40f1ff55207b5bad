"""The brand's own post-purchase reviews (its satisfaction survey export), CSV or JSON, checked row by row.

Columns (CSV header or JSON keys): order_ref, submitted_at, experienced_at, rating, consent are required;
review_id, rating_best (default 5), title, text, author, language, email (to tell the author of a rejection),
product, location and verified (yes when the brand's order system matched the order reference: only then is
the review shown as a verified purchase) are optional. Every problem is reported
with its line (CSV: the line in the file; JSON: the entry's number), and a file with any problem gives no
reviews at all: a survey export is imported whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from crawlers.items import MentionItem
from crawlers.limits import MAX_DATE_LENGTH, RATING_SCALE_LIMIT
from crawlers.normalise import parse_date, parse_number, plain_text, shown
from crawlers.parsing.french import french_date
from models.urls import safe_url

REQUIRED = ("order_ref", "submitted_at", "experienced_at", "rating", "consent")
OPTIONAL = (
    "review_id",
    "rating_best",
    "title",
    "text",
    "author",
    "language",
    "email",
    "product",
    "location",
    "verified",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
YES = {"1", "true", "yes", "y", "oui", "o", "vrai"}
YEAR = re.compile(r"\b\d{4}\b")
NO = {"0", "false", "no", "n", "non", "faux"}


class SurveyFileError(ValueError):
    """The file cannot be imported; `problems` lists each one with its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"{source}: {len(problems)} problem(s), nothing imported: {shown}")


@dataclass
class Row:
    where: str  # "line 4" or "entry 3"
    values: dict[str, Any]


def read_survey(body: bytes, name: str, url: str) -> list[MentionItem]:
    """Reviews from a survey export (JSON when `name` ends in .json or the body starts with [ or {).
    Raises SurveyFileError listing every malformed row."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SurveyFileError(name, [f"byte {error.start}: the file is not UTF-8"]) from None
    rows = _json_rows(text, name) if name.endswith(".json") or text.lstrip()[:1] in "[{" else _csv_rows(text, name)
    problems: list[str] = []
    items: list[MentionItem] = []
    seen: dict[str, str] = {}
    for row in rows:
        try:
            item = _item(row.values, url)
        except ValueError as error:
            problems.append(f"{row.where}: {error}")
            continue
        assert item.external_id is not None
        if item.external_id in seen:
            problems.append(f"{row.where}: same review as {seen[item.external_id]} ({item.external_id})")
            continue
        seen[item.external_id] = row.where
        items.append(item)
    if problems:
        raise SurveyFileError(name, problems)
    return items


def _csv_rows(text: str, name: str) -> list[Row]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [column.strip() for column in reader.fieldnames or []]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise SurveyFileError(name, [f"line 1: missing column(s) {', '.join(missing)} (header: {header})"])
    rows = []
    try:
        for values in reader:
            if None in values:
                rows.append(Row(f"line {reader.line_num}", {"__extra__": values[None]}))  # type: ignore[index]
                continue
            rows.append(Row(f"line {reader.line_num}", {key.strip(): value for key, value in values.items()}))
    except csv.Error as error:
        raise SurveyFileError(name, [f"line {reader.line_num}: {error}"]) from None
    return rows


def _json_rows(text: str, name: str) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SurveyFileError(name, [f"line {error.lineno}: not JSON ({error.msg})"]) from None
    except RecursionError:
        raise SurveyFileError(name, ["JSON nested too deeply"]) from None
    entries = data.get("reviews") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise SurveyFileError(name, ["expected a list of reviews, or an object with a 'reviews' list"])
    return [Row(f"entry {number}", entry) for number, entry in enumerate(entries, start=1)]


def _item(values: Any, url: str) -> MentionItem:
    if not isinstance(values, dict):
        raise ValueError(f"expected an object, got {type(values).__name__}")
    if "__extra__" in values:
        raise ValueError(f"more fields than columns: {values['__extra__']!r}")
    problems = [f"{column} is empty" for column in REQUIRED if _empty(values.get(column))]
    if problems:
        raise ValueError(", ".join(problems))
    rating = _number(values, "rating")
    best = _number(values, "rating_best") or 5.0
    if not 1 < best <= RATING_SCALE_LIMIT:
        raise ValueError(f"rating_best {shown(values['rating_best'])} is not between 1 and {RATING_SCALE_LIMIT:g}")
    if rating is None or not 1 <= rating <= best:
        raise ValueError(f"rating {values['rating']!r} is not between 1 and {best:g}")
    submitted, experienced = _date(values, "submitted_at"), _date(values, "experienced_at")
    if experienced and submitted and experienced.date() > submitted.date():
        raise ValueError(f"experienced_at {values['experienced_at']} is after submitted_at {values['submitted_at']}")
    order_ref = str(_str(values, "order_ref"))
    review_id = _str(values, "review_id")
    if len(order_ref) > 150 or len(review_id or "") > 150:
        raise ValueError("order_ref and review_id must be at most 150 characters")
    email = _str(values, "email")
    if email is not None and (len(email) > 320 or not EMAIL.match(email)):
        raise ValueError(f"email {email!r} is not an e-mail address")
    for column in ("title", "text", "author", "language"):
        plain_text(_str(values, column), column)  # the limits a crawl keeps to (crawlers/limits.py)
    product, location = _str(values, "product"), _str(values, "location")
    if len(product or "") > 200 or len(location or "") > 200:
        raise ValueError("product and location must be at most 200 characters")
    return MentionItem(
        # The export's own address: an https one leads to it; a file:// one would lead a reader nowhere.
        url=safe_url(url),
        kind="review",
        # One review per order unless the export gives its own ids: the order reference is then the id.
        external_id=f"survey:{review_id}" if review_id else f"order:{order_ref}",
        author=_str(values, "author"),
        # The same customer across reviews is the same address; two customers who share a name are not one.
        author_id=f"mailto:{email.casefold()}" if email else None,
        title=_str(values, "title"),
        text=_str(values, "text") or "",
        rating=rating,
        rating_best=best,
        rating_worst=1.0,
        language=_str(values, "language"),
        published_at=submitted,
        experienced_at=experienced,
        order_ref=order_ref,
        consent=_consent(values["consent"]),
        verified_purchase=values.get("verified") not in (None, "") and _consent(values["verified"], "verified"),
        contact=email,
        product=product,
        location=location,
    )


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _str(values: dict[str, Any], key: str) -> str | None:
    """A column as text: JSON may give a number (an order reference 1042), never an object, a list or a boolean."""
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{key}: {shown(value)} is not text")
    return str(value).strip() or None


def _number(values: dict[str, Any], key: str) -> float | None:
    try:
        return parse_number(values.get(key))
    except ValueError as error:
        raise ValueError(f"{key} {error}") from None


def _date(values: dict[str, Any], key: str):  # type: ignore[no-untyped-def]
    value = values.get(key)
    if isinstance(value, str) and len(value) <= MAX_DATE_LENGTH and not YEAR.search(value):
        # "hier", "le mois dernier": an export must say which day.
        raise ValueError(f"{key} {shown(value)} is not a date")
    try:
        return parse_date(french_date(value) if isinstance(value, str) and len(value) <= MAX_DATE_LENGTH else value)
    except ValueError as error:
        raise ValueError(f"{key} {error}") from None


def _consent(value: Any, key: str = "consent") -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"{key} {shown(value)} is not yes/no (oui/non, true/false, 1/0)")
