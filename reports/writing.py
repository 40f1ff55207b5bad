"""Report files written from what is stored: one on demand (`veilleur report`, the demo), and each brand's
weekly report with its Slack post queued once in the alert outbox (the report alert)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.version import __version__
from models import Alert, AlertKind, Brand
from models.alert_payloads import ReportPayload
from models.claims import exclusive, insert_once
from reports import output
from reports.build import build_report
from reports.figures import Report
from reports.periods import scheduled
from reports.summary import summary

if TYPE_CHECKING:
    from config.settings import Settings


def write_report(
    sessions: sessionmaker[Session],
    settings: Settings,
    brand: str,
    start: datetime,
    end: datetime,
    out: Path | None = None,
    fmt: output.Format = "html",
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write one report of [start, end); returns its file (the folder, for CSV)."""
    options = output.options_for(settings)
    with sessions.begin() as session:
        built = build_report(session, brand, start, end, options, progress=progress)
    out = out or settings.path(settings.reports.out_dir) / output.default_name(brand, start, end, fmt)
    output.write(built, fmt, out, __version__, options)
    with sessions.begin() as session:
        output.record(session, built, fmt, out)
    return out


def write_weekly(sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None) -> list[Path]:
    """The report of the last full period of the schedule (reports/periods.py: the last Monday-to-Sunday week for
    `report_hours` 168, the last calendar month from 28 days up), per brand, in `weekly_formats`, kept in
    out_dir and queued once in the alert outbox to be posted to Slack with its summary (the `send` job uploads
    it, retrying while Slack is down). Written once: a second call the same week has nothing to do, and a second
    worker writing it at the same time skips it (a lock per brand and period, models/claims.py)."""
    period = scheduled(now or datetime.now(UTC), settings.scheduler.report_hours)
    start, end = period.start, period.end
    written: list[Path] = []
    for brand in settings.brands:
        key = f"report:{brand.slug}:{start:%Y-%m-%d}:{end:%Y-%m-%d}"
        with exclusive(sessions, key) as mine:
            if mine:  # else another worker is writing this report now: it queues it too
                written += _write_weekly_one(sessions, settings, brand.slug, key, start, end, now)
    return written


def _write_weekly_one(
    sessions: sessionmaker[Session],
    settings: Settings,
    slug: str,
    key: str,
    start: datetime,
    end: datetime,
    now: datetime | None,
) -> list[Path]:
    folder = settings.path(settings.reports.out_dir)
    options = output.options_for(settings)
    paths = {fmt: folder / output.default_name(slug, start, end, fmt) for fmt in settings.reports.weekly_formats}
    with sessions() as session:
        queued = session.scalar(select(Alert.id).where(Alert.dedupe_key == key)) is not None
    if all(path.exists() for path in paths.values()) and (queued or not settings.reports.post_to_slack):
        return []  # this week's report is written (and queued): the hourly check has nothing to do
    with sessions.begin() as session:
        built = build_report(session, slug, start, end, options, now=now)
    files = []
    with sessions.begin() as session:
        for fmt, path in paths.items():
            files += output.write(built, fmt, path, __version__, options)
            output.record(session, built, fmt, path)
    if settings.reports.post_to_slack and not queued:
        with sessions.begin() as session:
            queue_post(session, slug, key, settings.slack.channel, files, built)
    return files


def queue_post(session: Session, slug: str, key: str, channel: str, files: list[Path], built: Report) -> None:
    """The report alert: the `send` job uploads the files to Slack under the report's summary."""
    # Once, even if a worker that missed the lock got here (SQLite has no lock): the dedupe key is unique.
    alert = {
        "brand_id": session.scalars(select(Brand.id).where(Brand.slug == slug)).one(),
        "kind": AlertKind.REPORT,
        "dedupe_key": key,
        "channel": channel,
        "payload": ReportPayload(files=[str(path) for path in files], text=summary(built)).to_json(),
    }
    insert_once(session, Alert, [alert])
