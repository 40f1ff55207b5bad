"""The alert outbox: its policy for the outbox helper (models/outbox.py), and what only alerts do (digests, holds).

Claims expire (a crashed sender's claim is taken over after the lease), so no alert is ever stuck; the sender
checks for an earlier delivery before re-sending a taken-over alert, so none is sent twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Alert, AlertKind
from models.outbox import Outbox

ALERTS = Outbox(
    Alert,
    sent=Alert.sent_at,
    failed=Alert.failed_at,
    claimed=(Alert.claimed_at, Alert.claimed_by),  # who holds it: a taken-over alert may already be in Slack
    lease=timedelta(minutes=5),
    due_also=(Alert.held_reason.is_(None),),  # held by fatigue control: it waits for a digest
    batch=100,
)


def mark_sent(session: Session, alert: Alert, now: datetime, delivery_ref: str) -> None:
    ALERTS.mark_sent(alert, now)
    alert.delivery_ref = delivery_ref
    if alert.kind == AlertKind.DIGEST:
        # The alerts this digest summarises are delivered with it.
        session.execute(
            update(Alert)
            .where(Alert.digest_id == alert.id, Alert.sent_at.is_(None))
            .values(sent_at=now, delivery_ref=f"digest:{alert.id}")
            .execution_options(synchronize_session=False)
        )


def last_sent(session: Session, brand_id: int, kind: AlertKind) -> datetime | None:
    """When the brand's last message of this kind went out on its own (not inside a digest)."""
    return session.scalar(
        select(func.max(Alert.sent_at)).where(Alert.brand_id == brand_id, Alert.kind == kind, Alert.digest_id.is_(None))
    )


def hold(session: Session, ids: list[int], reason: str) -> None:
    if ids:
        session.execute(
            update(Alert)
            .where(Alert.id.in_(ids), Alert.sent_at.is_(None), Alert.held_reason.is_(None))
            .values(held_reason=reason)
            .execution_options(synchronize_session=False)
        )
