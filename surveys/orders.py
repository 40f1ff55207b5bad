"""The brand's orders, from a CSV or JSON file (`veilleur survey orders import`) or the signed endpoint
(POST /intake/orders/BRAND). A file is checked whole first: one bad row and nothing is stored, and every problem
is named with its row (CSV: its line; JSON: its entry number) and field.

Fields: order_ref, ordered_at, email and language (fr or en) are required; delivered_at (empty until delivered),
first_name, products (CSV: separated by |; JSON: a list) and campaign are optional. Importing the same order again
updates its delivery date, nothing else: the brand sends the order when placed and again when delivered."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import SurveyOrder
from models.identity import erased_external_id

REQUIRED = ("order_ref", "ordered_at", "email", "language")
KNOWN = {*REQUIRED, "delivered_at", "first_name", "products", "campaign"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGES = ("fr", "en")


class OrdersFileError(ValueError):
    """Nothing was stored; `problems` names each bad row and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s), nothing imported: " + "; ".join(problems[:10]))


@dataclass(frozen=True)
class Order:
    order_ref: str
    ordered_at: datetime
    delivered_at: datetime | None
    email: str
    first_name: str | None
    language: str
    products: list[str] = field(default_factory=list)
    campaign: str | None = None


@dataclass
class OrdersResult:
    rows: int
    new: int
    delivered: int  # existing orders whose delivery date arrived with this file
    unchanged: int


def read_orders(body: bytes, name: str) -> list[Order]:
    """Orders from a file (JSON when `name` ends in .json or the body starts with [ or {). Raises OrdersFileError."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OrdersFileError([f"byte {error.start}: the file is not UTF-8"]) from None
    is_json = name.endswith(".json") or text.lstrip()[:1] in ("[", "{")
    rows = _json_rows(text) if is_json else _csv_rows(text)
    problems: list[str] = []
    orders: list[Order] = []
    seen: dict[str, str] = {}
    for where, values in rows:
        try:
            order = _order(values, is_json)
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        if order.order_ref in seen:
            problems.append(f"{where}: order_ref: {order.order_ref!r} already on {seen[order.order_ref]}")
            continue
        seen[order.order_ref] = where
        orders.append(order)
    if problems:
        raise OrdersFileError(problems)
    return orders


def store_orders(session: Session, brand_id: int, orders: list[Order], campaign: str) -> OrdersResult:
    """Insert new orders, record deliveries of known ones. The caller owns the transaction (all or nothing).
    An order whose customer was erased (moderation/privacy_surveys.py) is known by its erased reference: the
    brand's next file that still lists it changes nothing."""
    erased = {erased_external_id(brand_id, o.order_ref): o.order_ref for o in orders}
    existing = {
        erased.get(row.order_ref, row.order_ref): row
        for row in session.scalars(
            select(SurveyOrder).where(
                SurveyOrder.brand_id == brand_id,
                SurveyOrder.order_ref.in_([o.order_ref for o in orders] + sorted(erased)),
            )
        )
    }
    result = OrdersResult(len(orders), 0, 0, 0)
    for order in orders:
        row = existing.get(order.order_ref)
        if row is not None and row.order_ref != order.order_ref:
            result.unchanged += 1  # erased: not even its delivery is recorded
        elif row is None:
            session.add(
                SurveyOrder(
                    brand_id=brand_id,
                    order_ref=order.order_ref,
                    campaign=order.campaign or campaign,
                    ordered_at=order.ordered_at,
                    delivered_at=order.delivered_at,
                    email=order.email,
                    first_name=order.first_name,
                    language=order.language,
                    products=order.products,
                )
            )
            result.new += 1
        elif row.delivered_at is None and order.delivered_at is not None:
            row.delivered_at = order.delivered_at
            result.delivered += 1
        else:
            result.unchanged += 1
    session.flush()
    return result


def _csv_rows(text: str) -> list[tuple[str, Any]]:
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [column.strip() for column in reader.fieldnames or []]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise OrdersFileError([f"line 1: missing column(s) {', '.join(missing)} (header: {header})"])
    rows: list[tuple[str, Any]] = []
    try:
        for values in reader:
            if None in values:
                rows.append((f"line {reader.line_num}", "more fields than columns"))
                continue
            rows.append((f"line {reader.line_num}", {key.strip(): value for key, value in values.items()}))
    except csv.Error as error:
        raise OrdersFileError([f"line {reader.line_num}: {error}"]) from None
    return rows


def _json_rows(text: str) -> list[tuple[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise OrdersFileError([f"line {error.lineno}: not JSON ({error.msg})"]) from None
    except RecursionError:
        raise OrdersFileError(["JSON nested too deeply"]) from None
    entries = data.get("orders") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise OrdersFileError(["expected a list of orders, or an object with an 'orders' list"])
    return [(f"entry {number}", entry) for number, entry in enumerate(entries, start=1)]


def _order(values: Any, is_json: bool) -> Order:
    if isinstance(values, str):
        raise ValueError(values)
    if not isinstance(values, dict):
        raise ValueError(f"expected an object, got {type(values).__name__}")
    problems = [f"{key}: required" for key in REQUIRED if _text(values, key) is None]
    unknown = sorted(set(values) - KNOWN) if is_json else []
    problems += [f"{key}: unknown field" for key in unknown]
    if problems:
        raise ValueError(", ".join(problems))
    order_ref = _text(values, "order_ref", 150)
    email = (_text(values, "email", 320) or "").casefold()
    if not EMAIL.match(email):
        raise ValueError(f"email: {values['email']!r} is not an e-mail address")
    language = (_text(values, "language") or "").lower()[:2]
    if language not in LANGUAGES:
        raise ValueError(f"language: {values['language']!r} is neither fr nor en")
    ordered_at = _date(values, "ordered_at")
    delivered_at = _date(values, "delivered_at")
    assert order_ref is not None and ordered_at is not None
    if delivered_at is not None and delivered_at < ordered_at:
        raise ValueError(f"delivered_at: {values['delivered_at']} is before ordered_at {values['ordered_at']}")
    return Order(
        order_ref=order_ref,
        ordered_at=ordered_at,
        delivered_at=delivered_at,
        email=email,
        first_name=_text(values, "first_name", 100),
        language=language,
        products=_products(values.get("products")),
        campaign=_text(values, "campaign", 100),
    )


def _text(values: dict[str, Any], key: str, limit: int = 1000) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{key}: {value!r} is not text")
    text = str(value).strip()
    if len(text) > limit:
        raise ValueError(f"{key}: longer than {limit} characters")
    _no_control(key, text)
    return text or None


def _no_control(key: str, text: str) -> None:
    """The order's fields go into e-mail headers (the subject names the order) and the survey page: a line break
    in an order reference is a header injection attempt or a broken export, never a real reference."""
    if any(unicodedata.category(char) == "Cc" or char in "\u2028\u2029" for char in text):
        raise ValueError(f"{key}: holds a line break or another control character")


def _date(values: dict[str, Any], key: str) -> datetime | None:
    text = _text(values, key, 40)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{key}: {text!r} is not a date (expected e.g. 2026-11-28 or 2026-11-28T14:00:00+01:00)"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _products(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        products = [part.strip() for part in value.split("|") if part.strip()]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        products = [item.strip() for item in value if item.strip()]
    else:
        raise ValueError(f"products: {value!r} is neither text nor a list of text")
    for product in products:
        _no_control("products", product)
    return products
