"""The alert outbox: claim a row with a conditional UPDATE, then mark it sent or failed.

Claims expire (a crashed sender's claim is taken over after `lease`), so no alert is ever stuck; the
sender checks for an earlier delivery before re-sending a taken-over alert, so none is sent twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from models import Alert, AlertKind

LEASE = timedelta(minutes=5)


def due_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    rows = session.scalars(
        select(Alert.id)
        .where(
            Alert.sent_at.is_(None),
            Alert.failed_at.is_(None),
            Alert.held_reason.is_(None),
            or_(Alert.next_attempt_at.is_(None), Alert.next_attempt_at <= now),
            or_(Alert.claimed_at.is_(None), Alert.claimed_at < now - LEASE),
        )
        .order_by(Alert.id)
        .limit(limit)
    )
    return list(rows)


def claim(session: Session, alert_id: int, worker: str, now: datetime) -> Alert | None:
    """The alert if this worker won it, else None (someone else has it, or it was sent meanwhile)."""
    won = session.execute(
        update(Alert)
        .where(
            Alert.id == alert_id,
            Alert.sent_at.is_(None),
            Alert.failed_at.is_(None),
            or_(Alert.claimed_at.is_(None), Alert.claimed_at < now - LEASE),
        )
        .values(claimed_at=now, claimed_by=worker, attempts=Alert.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return session.get(Alert, alert_id, populate_existing=True) if won else None


def mark_sent(session: Session, alert: Alert, now: datetime, delivery_ref: str) -> None:
    alert.sent_at = now
    alert.delivery_ref = delivery_ref
    alert.last_error = None
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


def mark_retry(session: Session, alert: Alert, now: datetime, delay: timedelta, error: str) -> None:
    alert.claimed_at = None
    alert.claimed_by = None
    alert.next_attempt_at = now + delay
    alert.last_error = error


def mark_failed(session: Session, alert: Alert, now: datetime, error: str) -> None:
    alert.failed_at = now
    alert.last_error = error
