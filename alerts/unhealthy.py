"""The 'source unhealthy' alert, raised after each crawl from the health the crawl stored on its source
(crawlers/health.py, or the worker when the crawl process failed: scheduler/jobs.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Alert, AlertKind, Brand, Source
from models.alert_payloads import SourcePayload, Why


def alert_unhealthy(session: Session, brand: str, source: str, channel: str) -> None:
    """One 'source unhealthy' alert per source per day while it stays unhealthy."""
    row = session.scalars(select(Source).join(Brand).where(Brand.slug == brand, Source.name == source)).one()
    if row.healthy:
        return
    day = datetime.now(UTC).date().isoformat()
    key = f"{AlertKind.SOURCE_UNHEALTHY.value}:source:{row.id}:{day}"
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == key)) is None:
        session.add(
            Alert(
                brand_id=row.brand_id,
                kind=AlertKind.SOURCE_UNHEALTHY,
                dedupe_key=key,
                channel=channel,
                payload=SourcePayload(
                    source=f"{brand}/{source}",
                    text=row.health_reason or "",
                    why=Why(rule="source_health", reason=row.health_reason),
                ).to_json(),
            )
        )
