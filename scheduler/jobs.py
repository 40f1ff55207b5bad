"""The worker's jobs. Each opens its own sessions and can run alone, in any order, any number of times."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from alerts.digest import make_digests
from alerts.fatigue import Fatigue, parse_quiet_hours
from alerts.send import SendResult, send_due
from alerts.transports import make_transport
from config.version import __version__
from models import Alert, AlertKind, Brand, CrawlRun, Mention, MentionStatus, ReportFile, Source
from models.alert_payloads import RedactionPayload, ReportPayload, SourcePayload, Why
from moderation.jobs import Rules, classify_pending, route_classified
from moderation.policy import Thresholds
from moderation.privacy import apply_retention, purge_removed
from moderation.publishing.webhook import WebhookResult
from moderation.publishing.webhook import send_due as send_webhook_due
from reports import output
from reports.build import build_report
from reports.summary import summary
from reports.tagging import cached_tagger, tag_pending, untagged
from reports.topics import EmbeddingTagger
from scheduler.context import Context

log = logging.getLogger("veilleur.scheduler")
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
CRAWL_MODULE = "crawlers.run"  # run as a child process per crawl


def crawl(context: Context, brand: str, source: str) -> int:
    """One source's crawl, in a child process: a crashing spider cannot take the worker down."""
    command = [
        sys.executable,
        "-m",
        CRAWL_MODULE,
        "--settings",
        str(context.settings_path),
        "--brand",
        brand,
        "--source",
        source,
    ]
    try:
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=context.settings.crawl.timeout_seconds
        )
    except subprocess.TimeoutExpired:
        _unhealthy(context, brand, source, f"crawl timed out after {context.settings.crawl.timeout_seconds}s")
        return -1
    if finished.returncode != 0:
        tail = (finished.stderr or "").strip().splitlines()[-3:]
        _unhealthy(context, brand, source, f"crawl process exited {finished.returncode}: {' | '.join(tail)}")
    _alert_unhealthy(context, brand, source)
    _log_crawl(context, brand, source)
    return finished.returncode


def _log_crawl(context: Context, brand: str, source: str) -> None:
    with context.sessions() as session:
        row = _source(session, brand, source)
        last = session.scalars(
            select(CrawlRun).where(CrawlRun.source_id == row.id).order_by(CrawlRun.id.desc())
        ).first()
        seen = f"{last.items_seen} seen, {last.items_new} new" if last is not None else "no crawl run recorded"
        if row.healthy:
            log.info("crawl %s/%s: %s", brand, source, seen)
        else:
            log.warning("crawl %s/%s: %s; unhealthy: %s", brand, source, seen, row.health_reason)


def _unhealthy(context: Context, brand: str, source: str, reason: str) -> None:
    log.error("source %s/%s: %s", brand, source, reason)
    with context.sessions.begin() as session:
        row = _source(session, brand, source)
        row.healthy = False
        row.health_reason = reason
        row.last_crawl_at = datetime.now(UTC)


def _source(session: Session, brand: str, source: str) -> Source:
    return session.scalars(select(Source).join(Brand).where(Brand.slug == brand, Source.name == source)).one()


def _alert_unhealthy(context: Context, brand: str, source: str) -> None:
    """One 'source unhealthy' alert per source per day while it stays unhealthy."""
    with context.sessions.begin() as session:
        row = _source(session, brand, source)
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
                    channel=context.settings.slack.channel,
                    payload=SourcePayload(
                        source=f"{brand}/{source}",
                        text=row.health_reason or "",
                        why=Why(rule="source_health", reason=row.health_reason),
                    ).to_json(),
                )
            )


def classify(context: Context) -> int:
    with context.sessions() as session:
        if session.scalar(select(Mention.id).where(Mention.status == MentionStatus.NEW).limit(1)) is None:
            return 0  # nothing to classify: the model (a second to load, 1.3 GB) waits until there is
    return classify_pending(context.sessions, context.classifier, context.settings.classifier.batch_size)


def route(context: Context) -> int:
    t = context.settings.classifier.thresholds
    return route_classified(
        context.sessions, Thresholds(t.negative, t.toxic, t.spam), context.settings.slack.channel, rules(context)
    )


def rules(context: Context) -> Rules:
    m = context.settings.moderation
    return Rules(
        timedelta(hours=m.reply_sla_hours),
        m.publishing,
        timedelta(hours=m.auto_approve_hours),
        m.auto_sample_share,
        m.low_rating,
        dict(m.product_owners),
        context.settings.serve.public_url,
    )


def publish_due(context: Context) -> int:
    """Automatic approval ("auto" publishing mode): publish what no moderator stopped in time."""
    from moderation.deadlines import publish_due as publish

    return publish(context.sessions, max_delay=timedelta(days=context.settings.publishing.max_publication_days))


def remind_replies(context: Context) -> int:
    from moderation.deadlines import remind_replies as remind

    near = timedelta(hours=context.settings.moderation.reply_reminder_hours)
    return remind(context.sessions, context.settings.slack.channel, near)


def erase_from_mail_sink(context: Context, needles: list[str]) -> int:
    """After an erasure: messages about the person in the local mail sink (no SMTP host set) are replaced."""
    from moderation.notify import SinkNotifier
    from moderation.privacy import REDACTED

    smtp = context.settings.moderation.smtp
    return 0 if smtp.host else SinkNotifier(context.settings.path(smtp.sink_path)).erase(needles, REDACTED)


def notify(context: Context) -> tuple[int, int]:
    """Send queued notices (authors told of a rejection, product owners of a low rating)."""
    from moderation.notify import SinkNotifier, SmtpNotifier, send_due

    smtp = context.settings.moderation.smtp
    notifier = (
        SmtpNotifier(smtp.host, smtp.port, smtp.sender, smtp.user, smtp.password, smtp.starttls)
        if smtp.host
        else SinkNotifier(context.settings.path(smtp.sink_path))
    )
    return send_due(context.sessions, notifier, smtp.max_attempts)


def fatigue(context: Context) -> Fatigue:
    slack = context.settings.slack
    start, end = parse_quiet_hours(slack.quiet_hours)
    return Fatigue(timedelta(minutes=slack.cooldown_minutes), start, end, ZoneInfo(slack.timezone), slack.group_max)


def send(context: Context, min_interval: float = 1.0) -> SendResult:
    slack = context.settings.slack
    transport = make_transport(
        slack.bot_token, slack.base_url, context.settings.path(slack.sink_path), slack.webhook_url
    )
    with context.sessions.begin() as session:
        make_digests(session, datetime.now(UTC), fatigue(context), slack.channel)
    return send_due(context.sessions, transport, WORKER_ID, min_interval, slack.max_attempts, fatigue=fatigue(context))


def watch_crises(context: Context) -> int:
    from alerts.crisis_watch import watch_crises as watch

    with context.sessions.begin() as session:
        return len(watch(session, context.settings.signals, context.settings.slack.channel))


def report(
    context: Context,
    brand: str,
    start: datetime,
    end: datetime,
    out: Path | None = None,
    fmt: output.Format = "html",
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write one report of [start, end) (reports/); returns its file (the folder, for CSV)."""
    options = output.options_from(context.settings.reports)
    with context.sessions.begin() as session:
        built = build_report(session, brand, start, end, options, progress=progress)
    out = out or context.settings.path(context.settings.reports.out_dir) / output.default_name(brand, start, end, fmt)
    output.write(built, fmt, out, __version__, options)
    with context.sessions.begin() as session:
        output.record(session, built, fmt, out)
    return out


def weekly_report(context: Context, now: datetime | None = None) -> list[Path]:
    """The report of the `report_hours` before last Monday 00:00 UTC, per brand, in `weekly_formats`, kept in
    out_dir and queued once in the alert outbox to be posted to Slack with its summary (the `send` job uploads
    it, retrying while Slack is down). The worker calls it hourly: written early on Monday, and a worker started
    mid-week writes the missed one."""
    settings = context.settings
    today = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = today - timedelta(days=today.weekday())
    start = end - timedelta(hours=settings.scheduler.report_hours)
    folder = settings.path(settings.reports.out_dir)
    options = output.options_from(settings.reports)
    written: list[Path] = []
    for brand in settings.brands:
        paths = {
            fmt: folder / output.default_name(brand.slug, start, end, fmt) for fmt in settings.reports.weekly_formats
        }
        key = f"report:{brand.slug}:{start:%Y-%m-%d}:{end:%Y-%m-%d}"
        with context.sessions() as session:
            queued = session.scalar(select(Alert.id).where(Alert.dedupe_key == key)) is not None
        if all(path.exists() for path in paths.values()) and (queued or not settings.reports.post_to_slack):
            continue  # this week's report is written (and queued): the hourly check has nothing to do
        with context.sessions.begin() as session:
            built = build_report(session, brand.slug, start, end, options, now=now)
        files = []
        with context.sessions.begin() as session:
            for fmt, path in paths.items():
                files += output.write(built, fmt, path, __version__, options)
                output.record(session, built, fmt, path)
        written += files
        if settings.reports.post_to_slack and not queued:
            with context.sessions.begin() as session:
                session.add(
                    Alert(
                        brand_id=session.scalars(select(Brand.id).where(Brand.slug == brand.slug)).one(),
                        kind=AlertKind.REPORT,
                        dedupe_key=key,
                        channel=settings.slack.channel,
                        payload=ReportPayload(files=[str(path) for path in files], text=summary(built)).to_json(),
                    )
                )
    return written


@dataclass
class Rewritten:
    written: list[Path] = field(default_factory=list)
    forgotten: list[Path] = field(default_factory=list)  # deleted since they were written: nothing to do
    failed: list[tuple[Path, str]] = field(default_factory=list)  # still flagged: tried again at the next run
    uploads_queued: int = 0  # weekly reports already uploaded to Slack, queued to be uploaded again


def rewrite_reports(context: Context) -> Rewritten:
    """Write again, from what is stored now, each report file an erasure flagged because it quotes the person
    (moderation/privacy.py): same brand, period, format and path. The CLI runs it right after an erasure, the
    worker every few minutes (a failure keeps its flag and its error, shown by `veilleur status`)."""
    options = output.options_from(context.settings.reports)
    result = Rewritten()
    with context.sessions() as session:
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
            with context.sessions.begin() as session:
                session.execute(delete(ReportFile).where(ReportFile.id == row_id))
            result.forgotten.append(path)
            continue
        try:
            with context.sessions.begin() as session:
                built = build_report(session, slug, start, end, options)
            output.write(built, fmt, path, __version__, options)
        except Exception as error:  # one report that cannot be built again must not stop the others
            log.warning("report %s could not be written again after an erasure: %s", path, error)
            reason = f"{type(error).__name__}: {error}"
            with context.sessions.begin() as session:
                session.execute(update(ReportFile).where(ReportFile.id == row_id).values(last_error=reason))
            result.failed.append((path, reason))
            continue
        with context.sessions.begin() as session:
            output.record(session, built, fmt, path)
            # Cleared only if no later erasure flagged it while this ran (its person may be in what was read).
            session.execute(
                update(ReportFile)
                .where(ReportFile.id == row_id, ReportFile.rewrite_due_at <= started)
                .values(rewrite_due_at=None)
            )
        result.written.append(path)
    result.uploads_queued = _upload_again(context, result.written)
    return result


def _upload_again(context: Context, rewritten: list[Path]) -> int:
    """Weekly reports among them already uploaded to Slack: queued in the outbox to be uploaded again (the send
    job deletes Slack's copies and uploads the new files: alerts/transports.py). Returns how many."""
    written = [str(path) for path in rewritten]  # a file, or a folder of CSV tables
    queued = 0
    with context.sessions.begin() as session:
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


def tag_topics(context: Context, limit: int = 5000) -> int:
    """Tag the topics of mentions the current tagger has not seen (reports/topics.py), `limit` per run."""
    settings = context.settings
    topics = output.options_from(settings.reports).topics
    with context.sessions() as session:
        if not untagged(session, EmbeddingTagger.version_for(topics), 1):
            return 0  # every mention tagged by the encoder's tagger: it is not loaded for nothing
    tagger = cached_tagger(topics, settings.path(settings.classifier.cache_dir))
    return tag_pending(context.sessions, tagger, limit=limit)


def send_webhooks(context: Context) -> WebhookResult:
    """Push due feed changes to the brand's site ([publishing] webhook_url); failures wait and retry."""
    publishing = context.settings.publishing
    return send_webhook_due(
        context.sessions,
        publishing.webhook_url,
        publishing.webhook_secret,
        timeout=publishing.timeout_seconds,
        retry_max=timedelta(minutes=publishing.retry_max_minutes),
    )


def retention(context: Context) -> tuple[int, int]:
    """(authors pseudonymised, removed reviews whose text was dropped) under [privacy]."""
    privacy = context.settings.privacy
    now = datetime.now(UTC)
    with context.sessions.begin() as session:
        return (
            apply_retention(session, now, privacy.pseudonymise_after_months),
            purge_removed(session, now, privacy.keep_removed_days),
        )
