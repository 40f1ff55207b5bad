"""What `veilleur status` shows: source health, queues, outbox, report files an erasure has yet to rewrite."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Alert, Brand, Mention, MentionStatus, Notification, ReportFile, Source, utcnow
from moderation.queues import QUEUES, queue_condition


def overview(session: Session, now: datetime | None = None) -> list[tuple[str, list[tuple[Any, ...]], list[str]]]:
    sources = [
        (
            f"{brand}/{source.name}",
            source.kind,
            "ok" if source.healthy else "UNHEALTHY",
            source.health_reason or "",
            f"{source.last_crawl_at:%Y-%m-%d %H:%M} UTC" if source.last_crawl_at else "never",
        )
        for source, brand in session.execute(select(Source, Brand.slug).join(Brand).order_by(Brand.slug, Source.name))
    ]
    # The moderators' queues as `veilleur queue list` and the console count them (off-topic mentions apart), and
    # what the pipeline has not reached yet.
    queues: list[tuple[Any, ...]] = [
        (queue, session.scalar(select(func.count()).select_from(Mention).where(queue_condition(queue))), held)
        for queue, held in QUEUES.items()
    ]
    for status, held in (
        (MentionStatus.NEW, "collected, not classified yet"),
        (MentionStatus.CLASSIFIED, "classified, not routed to a queue yet"),
    ):
        queues.append(("-", session.scalar(select(func.count()).where(Mention.status == status)), held))
    now = now or utcnow()
    sent = session.scalar(select(func.count()).where(Alert.sent_at.is_not(None)))
    failed = [
        (alert.id, alert.kind.value, alert.channel, alert.last_error or "")
        for alert in session.scalars(
            select(Alert).where(Alert.failed_at.is_not(None)).order_by(Alert.id.desc()).limit(20)
        )
    ]
    failures = session.scalar(select(func.count()).where(Alert.failed_at.is_not(None)))
    rewrites = [
        (row.path, row.rewrite_due_at, row.last_error or "waiting for the report-rewrite job")
        for row in session.scalars(
            select(ReportFile).where(ReportFile.rewrite_due_at.is_not(None)).order_by(ReportFile.id).limit(20)
        )
    ]
    return [
        ("Sources", sources, ["source", "kind", "health", "reason", "last crawl"]),
        ("Queues", queues, ["queue", "mentions", "what it holds"]),
        ("Alert outbox", [*_waiting(session, Alert, now), ("sent", sent), ("failed", failures)], ["state", "alerts"]),
        ("Notice outbox (e-mail)", _waiting(session, Notification, now), ["state", "notices"]),
        ("Failed alerts (`veilleur alerts retry` sends them again)", failed, ["id", "kind", "channel", "error"]),
        ("Report files to write again after an erasure", rewrites, ["file", "since", "state"]),
    ]


def _waiting(session: Session, table: type[Alert] | type[Notification], now: datetime) -> list[tuple[str, Any]]:
    """How many wait, since when, and why: during an outage the count alone says nothing of Slack being down.
    A held alert (quiet hours, cooldown) waits for its digest and counts as pending too."""
    pending = (table.sent_at.is_(None), table.failed_at.is_(None))
    count = session.scalar(select(func.count()).select_from(table).where(*pending)) or 0
    oldest = session.scalar(select(func.min(table.created_at)).where(*pending))
    last_error = session.scalars(
        select(table.last_error)
        .where(*pending, table.last_error.is_not(None))
        .order_by(table.next_attempt_at.desc(), table.id.desc())
        .limit(1)
    ).first()
    # A notice held for the undo window, or an alert backing off, is not stuck: say when it is due.
    upcoming = session.scalar(select(func.min(table.next_attempt_at)).where(*pending, table.next_attempt_at > now))
    due_now = session.scalar(
        select(func.count())
        .select_from(table)
        .where(*pending, (table.next_attempt_at.is_(None)) | (table.next_attempt_at <= now))
    )
    return [
        ("pending", count),
        ("oldest pending", _age(now - oldest) if oldest is not None else "-"),
        ("due now", due_now or 0),
        ("next one due in", _age(upcoming - now) if upcoming is not None else "-"),
        ("last error", last_error or "-"),
    ]


def _age(age: timedelta) -> str:
    minutes = max(int(age.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    return (f"{days}d " if days else "") + f"{minutes // 60}h {minutes % 60:02d}m"
