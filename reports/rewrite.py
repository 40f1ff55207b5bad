"""Reports written again after an erasure (moderation/privacy.py flags each report file that quotes the person),
and their copies already uploaded to Slack queued to be replaced."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.version import __version__
from models import Alert, AlertKind, ReportFile
from models.alert_payloads import RedactionPayload
from reports import output
from reports.build import build_report

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger("veilleur.reports")


@dataclass
class Rewritten:
    written: list[Path] = field(default_factory=list)
    forgotten: list[Path] = field(default_factory=list)  # deleted since they were written: nothing to do
    failed: list[tuple[Path, str]] = field(default_factory=list)  # still flagged: tried again at the next run
    uploads_queued: int = 0  # weekly reports already uploaded to Slack, queued to be uploaded again


def rewrite_flagged(sessions: sessionmaker[Session], settings: Settings) -> Rewritten:
    """Write again, from what is stored now, each report file an erasure flagged because it quotes the person
    (moderation/privacy.py): same brand, period, format and path. A failure keeps its flag and its error (shown
    by `veilleur status`) and is tried again at the next call."""
    options = output.options_for(settings)
    result = Rewritten()
    with sessions() as session:
        due = session.execute(
            select(
                ReportFile.id,
                ReportFile.path,
                ReportFile.brand_slug,
                ReportFile.start,
                ReportFile.end,
                ReportFile.format,
            )  # fmt: skip
            .where(ReportFile.rewrite_due_at.is_not(None))
            .order_by(ReportFile.id)
        ).all()
    for row_id, path_text, slug, start, end, fmt_text in due:
        path, fmt, started = Path(path_text), cast(output.Format, fmt_text), datetime.now(UTC)
        if not path.exists():
            with sessions.begin() as session:
                session.execute(delete(ReportFile).where(ReportFile.id == row_id))
            result.forgotten.append(path)
            continue
        try:
            with sessions.begin() as session:
                built = build_report(session, slug, start, end, options)
            output.write(built, fmt, path, __version__, options)
        except Exception as error:  # one report that cannot be built again must not stop the others
            log.warning("report %s could not be written again after an erasure: %s", path, error)
            reason = f"{type(error).__name__}: {error}"
            with sessions.begin() as session:
                session.execute(update(ReportFile).where(ReportFile.id == row_id).values(last_error=reason))
            result.failed.append((path, reason))
            continue
        with sessions.begin() as session:
            output.record(session, built, fmt, path)
            # Cleared only if no later erasure flagged it while this ran (its person may be in what was read).
            session.execute(
                update(ReportFile)
                .where(ReportFile.id == row_id, ReportFile.rewrite_due_at <= started)
                .values(rewrite_due_at=None)
            )
        result.written.append(path)
    result.uploads_queued = _upload_again(sessions, result.written)
    return result


def _upload_again(sessions: sessionmaker[Session], rewritten: list[Path]) -> int:
    """Weekly reports among them already uploaded to Slack: queued in the outbox to be uploaded again (the send
    job deletes Slack's copies and uploads the new files: alerts/transports.py). Returns how many."""
    written = [str(path) for path in rewritten]  # a file, or a folder of CSV tables
    queued = 0
    with sessions.begin() as session:
        uploaded = select(Alert).where(Alert.kind == AlertKind.REPORT, Alert.delivery_ref.like("slack-files:%"))
        pending = [
            payload.get("delivery_ref")
            for payload in session.scalars(
                select(Alert.payload).where(
                    Alert.kind == AlertKind.REDACTION, Alert.sent_at.is_(None), Alert.failed_at.is_(None)
                )
            )
        ]
        for report in session.scalars(uploaded):
            files = [str(Path(name).resolve()) for name in report.payload.get("files", [])]
            ours = any(name == path or name.startswith(path + os.sep) for name in files for path in written)
            if not ours or report.delivery_ref in pending:
                continue
            session.add(
                Alert(
                    brand_id=report.brand_id,
                    kind=AlertKind.REDACTION,
                    dedupe_key=f"redaction:{report.delivery_ref}:{uuid.uuid4().hex[:12]}"[:200],
                    channel=report.channel,
                    payload=RedactionPayload(delivery_ref=str(report.delivery_ref)).to_json(),  # LIKE: not null
                )
            )
            queued += 1
    return queued
