"""The 'source unhealthy' alert, raised after each crawl from the health stored on its source: by the crawl
(crawlers/health.py), or by the worker when the crawl process failed or timed out (scheduler/jobs.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Alert, AlertKind, Brand, Source
from models.alert_payloads import SourcePayload, Why
from models.claims import insert_once


def alert_unhealthy(session: Session, brand: str, source: str, channel: str) -> None:
    """One 'source unhealthy' alert per source per day while it stays unhealthy."""
    row = session.scalars(select(Source).join(Brand).where(Brand.slug == brand, Source.name == source)).one()
    if row.healthy:
        return
    day = datetime.now(UTC).date().isoformat()
    key = f"{AlertKind.SOURCE_UNHEALTHY.value}:source:{row.id}:{day}"
    alert = {
        "brand_id": row.brand_id,
        "kind": AlertKind.SOURCE_UNHEALTHY,
        "dedupe_key": key,
        "channel": channel,
        "payload": SourcePayload(
            source=f"{brand}/{source}",
            text=row.health_reason or "",
            why=Why(rule="source_health", reason=row.health_reason),
        ).to_json(),
    }
    # Two workers crawling the same source may both get here: the dedupe key keeps one, the other is skipped.
    insert_once(session, Alert, [alert])
