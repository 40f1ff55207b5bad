"""Addresses never written to again: unsubscribed (one click, RFC 8058), bounced, complained. Honoured at once:
what is queued for the address and not yet sent is given up in the same transaction. Kept for good: after the
person's erasure (moderation/privacy.py) or the retention period, as the keyed hash of the address
(models/identity.py address_key), which is what `is_out` also compares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import SurveyMessage, SurveyOptOut, SurveyOrder
from models.identity import address_key

REASONS = ("unsubscribe", "bounce", "complaint")


def opt_out(session: Session, brand_id: int, email: str, reason: str, now: datetime) -> bool:
    """Record it; False when the address was already out (its first reason is kept)."""
    if reason not in REASONS:
        raise ValueError(f"reason {reason!r}: one of {', '.join(REASONS)}")
    email = email.strip().casefold()
    orders = select(SurveyOrder.id).where(SurveyOrder.brand_id == brand_id, SurveyOrder.email == email)
    session.execute(
        update(SurveyMessage)
        .where(SurveyMessage.order_id.in_(orders), SurveyMessage.sent_at.is_(None), SurveyMessage.failed_at.is_(None))
        .values(failed_at=now, last_error=f"not sent: the address is out ({reason})")
        .execution_options(synchronize_session=False)
    )
    if is_out(session, brand_id, email):
        return False
    session.add(SurveyOptOut(brand_id=brand_id, email=email, reason=reason, at=now))
    session.flush()
    return True


def is_out(session: Session, brand_id: int, email: str) -> bool:
    email = email.strip().casefold()
    found = session.scalar(
        select(SurveyOptOut.id).where(
            SurveyOptOut.brand_id == brand_id, SurveyOptOut.email.in_((email, address_key(session, email)))
        )
    )
    return found is not None
