"""What erasure and retention (moderation/privacy.py) do to the post-purchase survey's tables (models/surveys.py).

An order keeps what the figures need (brand, campaign, language, dates, why it was skipped) and loses its customer:
address, first name, products and reference (the brand's files can name the customer from it). An invitation not
sent yet is deleted; one that left keeps only the keyed hash of the address, so the solicitation cap still counts
it. An answer not filed yet is deleted (it would become a review); a filed one loses its words (the review made from
it is erased or kept with the mentions). An opt-out stays, as the keyed hash of the address: a later import of the
same address is still refused an invitation (surveys/optouts.py compares both forms).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import Session

from models import SurveyAnswer, SurveyMessage, SurveyOptOut, SurveyOrder
from models.identity import ADDRESS_KEY, address_key, erased_external_id
from models.surveys import ERASED, FORGOTTEN


@dataclass
class Forgotten:
    orders: int = 0
    messages_deleted: int = 0
    messages_scrubbed: int = 0
    answers_deleted: int = 0
    answers_scrubbed: int = 0
    opt_outs: int = 0


def orders_of(session: Session, emails: set[str], mention_ids: set[int]) -> list[SurveyOrder]:
    """The orders of a person: by address (any case), or those whose answer became one of their reviews."""
    from_answers = select(SurveyAnswer.order_id).where(SurveyAnswer.mention_id.in_(mention_ids))
    return list(
        session.scalars(
            select(SurveyOrder)
            .where(
                SurveyOrder.email != FORGOTTEN,
                func.lower(SurveyOrder.email).in_(sorted(emails)) | SurveyOrder.id.in_(from_answers),
            )
            .order_by(SurveyOrder.id)
        )
    )


def review_ids(session: Session, orders: list[SurveyOrder]) -> set[int]:
    """The reviews made from these orders' answers."""
    found = session.scalars(
        select(SurveyAnswer.mention_id).where(
            SurveyAnswer.order_id.in_([order.id for order in orders]), SurveyAnswer.mention_id.is_not(None)
        )
    )
    return {mention_id for mention_id in found if mention_id is not None}


def personal_values(session: Session, orders: list[SurveyOrder]) -> list[str | None]:
    """What of these orders may sit in copies outside the database (the mail sink): address, reference, words.
    Not the first name: alone, it would take every other customer of that name with it."""
    values: list[str | None] = []
    for order in orders:
        values += [order.email, order.order_ref]
    for answer in session.scalars(select(SurveyAnswer).where(SurveyAnswer.order_id.in_([o.id for o in orders]))):
        values += [answer.title, answer.text]
    return values


def forget_orders(session: Session, orders: list[SurveyOrder], erased: bool) -> Forgotten:
    """Strip the customer from these orders (`erased`: at the person's request, so nothing is asked of them any
    more; else the retention period is over, when nothing would be asked anyway)."""
    result = Forgotten(orders=len(orders))
    ids = [order.id for order in orders]
    if not ids:
        return result
    unsent = delete(SurveyMessage).where(SurveyMessage.order_id.in_(ids), SurveyMessage.sent_at.is_(None))
    result.messages_deleted = session.execute(unsent.execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    for message in session.scalars(select(SurveyMessage).where(SurveyMessage.order_id.in_(ids))):
        if not message.recipient.startswith(ADDRESS_KEY):
            message.recipient = address_key(session, message.recipient)
        message.last_error = None
        result.messages_scrubbed += 1
    unfiled = delete(SurveyAnswer).where(SurveyAnswer.order_id.in_(ids), SurveyAnswer.filed_at.is_(None))
    result.answers_deleted = session.execute(unfiled.execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    for answer in session.scalars(select(SurveyAnswer).where(SurveyAnswer.order_id.in_(ids))):
        answer.title = answer.text = None
        result.answers_scrubbed += 1
    for order in orders:
        # The same reference sent again by the brand (its delivery) finds this row and is not stored anew.
        order.order_ref = erased_external_id(order.brand_id, order.order_ref)
        order.email, order.first_name, order.products = FORGOTTEN, None, []
        if erased:
            order.skipped = order.skipped or ERASED
    session.flush()
    return result


def hash_opt_outs(session: Session, which: ColumnElement[bool]) -> int:
    """Replace the clear address of these opt-outs with its keyed hash; the opt-out itself stays, for every brand."""
    changed = 0
    clear = SurveyOptOut.email.not_like(f"{ADDRESS_KEY}%")
    for opt_out in session.scalars(select(SurveyOptOut).where(which, clear)):
        opt_out.email = address_key(session, opt_out.email)
        changed += 1
    session.flush()
    return changed


def expired_orders(session: Session, cutoff: datetime) -> list[SurveyOrder]:
    """Orders imported, placed and delivered before `cutoff`, with no answer touched since."""
    recent_answer = exists().where(SurveyAnswer.order_id == SurveyOrder.id, SurveyAnswer.updated_at >= cutoff)
    return list(
        session.scalars(
            select(SurveyOrder)
            .where(
                SurveyOrder.email != FORGOTTEN,
                SurveyOrder.created_at < cutoff,
                func.coalesce(SurveyOrder.delivered_at, SurveyOrder.ordered_at) < cutoff,
                ~recent_answer,
            )
            .order_by(SurveyOrder.id)
        )
    )


def expire_opt_outs(session: Session, cutoff: datetime) -> int:
    """Opt-outs recorded before `cutoff` keep only the keyed hash: the address need not be readable to be refused."""
    return hash_opt_outs(session, SurveyOptOut.at < cutoff)
