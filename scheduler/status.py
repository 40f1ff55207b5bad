"""What `veilleur status` shows: source health, queues, outbox, report files an erasure has yet to rewrite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Alert, Brand, Mention, ReportFile, Source


def overview(session: Session) -> list[tuple[str, list[tuple[Any, ...]], list[str]]]:
    sources = [
        (
            f"{brand}/{source.name}",
            source.kind,
            "ok" if source.healthy else "UNHEALTHY",
            source.health_reason or "",
            source.last_crawl_at or "never",
        )
        for source, brand in session.execute(select(Source, Brand.slug).join(Brand).order_by(Brand.slug, Source.name))
    ]
    queues = [
        (status.value, count)
        for status, count in session.execute(select(Mention.status, func.count()).group_by(Mention.status))
    ]
    pending = session.scalar(select(func.count()).where(Alert.sent_at.is_(None), Alert.failed_at.is_(None)))
    sent = session.scalar(select(func.count()).where(Alert.sent_at.is_not(None)))
    failed = [
        (alert.id, alert.kind.value, alert.channel, alert.last_error or "")
        for alert in session.scalars(
            select(Alert).where(Alert.failed_at.is_not(None)).order_by(Alert.id.desc()).limit(20)
        )
    ]
    rewrites = [
        (row.path, row.rewrite_due_at, row.last_error or "waiting for the report-rewrite job")
        for row in session.scalars(
            select(ReportFile).where(ReportFile.rewrite_due_at.is_not(None)).order_by(ReportFile.id).limit(20)
        )
    ]
    return [
        ("Sources", sources, ["source", "kind", "health", "reason", "last crawl"]),
        ("Queues", queues, ["status", "mentions"]),
        ("Alert outbox", [("pending", pending), ("sent", sent), ("failed", len(failed))], ["state", "alerts"]),
        ("Failed alerts (permanent)", failed, ["id", "kind", "channel", "error"]),
        ("Report files to write again after an erasure", rewrites, ["file", "since", "state"]),
    ]
