"""The hosted form's answers: checked field by field, one per order, editable for `edit_hours`, then filed as a
review. Filing gives rows in the survey export format (crawlers/parsing/survey.py), so an answer enters the flow
by the same import as the brand's own exports: the same checks, the same store, the same routing rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import SurveyAnswer, SurveyOrder
from models.text import without_controls

TITLE_LIMIT, TEXT_LIMIT = 200, 5000
SCALES = {"stars": (1, 5), "nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
REQUIRED = ("stars", "experienced_at")


class AnswerClosed(Exception):
    """The order was answered and its edit window is over: a second answer is refused."""


@dataclass(frozen=True)
class Fields:
    stars: int
    title: str | None
    text: str | None
    nps: int | None
    csat: int | None
    ces: int | None
    experienced_at: datetime
    consent: bool


def check(form: dict[str, str], order: SurveyOrder, now: datetime) -> tuple[Fields | None, dict[str, str]]:
    """The answer, or the problems by field name (codes the form words in the customer's language)."""
    problems: dict[str, str] = {}
    numbers: dict[str, int | None] = {}
    for name, (low, high) in SCALES.items():
        raw = (form.get(name) or "").strip()
        if not raw:
            numbers[name] = None
            if name in REQUIRED:
                problems[name] = "required"
            continue
        try:
            numbers[name] = int(raw)
        except ValueError:
            numbers[name] = None
        if numbers[name] is None or not low <= numbers[name] <= high:  # type: ignore[operator]
            problems[name] = "range"
    experienced = None
    raw_date = (form.get("experienced_at") or "").strip()
    try:
        experienced = datetime.fromisoformat(raw_date).replace(tzinfo=UTC) if raw_date else None
    except ValueError:
        problems["experienced_at"] = "date"
    if experienced is None and "experienced_at" not in problems:
        problems["experienced_at"] = "required"
    elif experienced is not None and not order.ordered_at.date() <= experienced.date() <= now.date():
        problems["experienced_at"] = "date_range"  # between the order and today
    title = without_controls(form.get("title") or "").strip() or None
    text = without_controls(form.get("text") or "").strip() or None
    if title and len(title) > TITLE_LIMIT:
        problems["title"] = "long"
    if text and len(text) > TEXT_LIMIT:
        problems["text"] = "long"
    if problems:
        return None, problems
    assert experienced is not None and numbers["stars"] is not None
    consent = form.get("consent") == "yes"  # an unticked box sends nothing: no consent unless ticked
    fields = Fields(
        numbers["stars"], title, text, numbers["nps"], numbers["csat"], numbers["ces"], experienced, consent
    )
    return fields, {}


def answer_of(session: Session, order_id: int) -> SurveyAnswer | None:
    return session.scalar(select(SurveyAnswer).where(SurveyAnswer.order_id == order_id))


def editable(answer: SurveyAnswer | None, edit: timedelta, now: datetime) -> bool:
    return answer is None or (answer.filed_at is None and now < answer.created_at + edit)


def save(session: Session, order: SurveyOrder, fields: Fields, edit: timedelta, now: datetime) -> SurveyAnswer:
    """Store the answer, or change it within the edit window. Raises AnswerClosed after it.
    The unique order_id makes two racing first answers one: the loser's transaction fails."""
    answer = answer_of(session, order.id)
    if not editable(answer, edit, now):
        raise AnswerClosed(order.order_ref)
    if answer is None:
        answer = SurveyAnswer(order_id=order.id, language=order.language, created_at=now, **_values(fields))
        session.add(answer)
    else:
        for key, value in _values(fields).items():
            setattr(answer, key, value)
    answer.updated_at = now
    session.flush()
    return answer


def _values(fields: Fields) -> dict[str, Any]:
    return {key: getattr(fields, key) for key in Fields.__dataclass_fields__}


def due_for_filing(session: Session, edit: timedelta, now: datetime) -> list[tuple[SurveyAnswer, SurveyOrder]]:
    """Answers whose edit window is over and that are not reviews yet, with their orders."""
    rows = session.execute(
        select(SurveyAnswer, SurveyOrder)
        .join(SurveyOrder, SurveyOrder.id == SurveyAnswer.order_id)
        .where(SurveyAnswer.filed_at.is_(None), SurveyAnswer.created_at <= now - edit)
        .order_by(SurveyAnswer.id)
    )
    return [(answer, order) for answer, order in rows]


def export_row(answer: SurveyAnswer, order: SurveyOrder) -> dict[str, Any]:
    """The answer as a row of the survey export format. `verified`: the order reference matched an imported order,
    which is what a verified purchase means (docs/sources.md)."""
    return {
        "order_ref": order.order_ref,
        "submitted_at": answer.updated_at.isoformat(),
        "experienced_at": answer.experienced_at.date().isoformat(),
        "rating": answer.stars,
        "rating_best": 5,
        "consent": answer.consent,
        "verified": True,
        "title": answer.title,
        "text": answer.text,
        "author": order.first_name,
        "language": answer.language,
        "email": order.email,
        "product": order.products[0] if order.products else None,
    }
