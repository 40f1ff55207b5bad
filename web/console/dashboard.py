"""The dashboard: queue sizes, replies past their deadline, today's alerts, source health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from models import Alert, Brand, Mention, Source
from moderation.queues import queue_condition
from web.console.queries import queue_counts


@dataclass
class Dashboard:
    counts: dict[str, int]
    late: int
    near: int
    alerts: list[tuple[Alert, str]]
    sources: list[tuple[Source, str]]


def load_dashboard(session: Session, now: datetime, near: timedelta, timezone: str) -> Dashboard:
    waiting = queue_condition("to_reply")
    due = select(func.count(Mention.id)).where(waiting)
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return Dashboard(
        counts=queue_counts(session),
        late=session.scalar(due.where(Mention.reply_due_at < now)) or 0,
        near=session.scalar(due.where(and_(Mention.reply_due_at >= now, Mention.reply_due_at < now + near))) or 0,
        alerts=[
            (alert, slug)
            for alert, slug in session.execute(
                select(Alert, Brand.slug)
                .join(Brand, Alert.brand_id == Brand.id)
                .where(Alert.created_at >= midnight)
                .order_by(Alert.id.desc())
                .limit(100)
            )
        ],
        sources=[
            (source, slug)
            for source, slug in session.execute(
                select(Source, Brand.slug).join(Brand, Source.brand_id == Brand.id).order_by(Brand.slug, Source.name)
            )
        ],
    )
