"""The worker's jobs. Each opens its own sessions and can run alone, in any order, any number of times."""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.crisis_cell import CellConfig, CellResult
from alerts.crisis_cell import tick as cell_tick
from alerts.digest import make_digests
from alerts.fatigue import Fatigue, parse_quiet_hours
from alerts.send import SendResult, send_due
from alerts.transports import make_transport
from alerts.unhealthy import alert_unhealthy
from crawlers import runs
from models import Brand, CrawlRun, Mention, MentionStatus, Source
from moderation.jobs import Rules, classify_pending, route_classified
from moderation.policy import Thresholds
from moderation.privacy import apply_retention, forget_survey_orders, purge_removed
from moderation.publishing.webhook import WebhookResult
from moderation.publishing.webhook import send_due as send_webhook_due
from moderation.relevance.judge import Relevance
from reports import output
from reports.rewrite import Rewritten, rewrite_flagged
from reports.tagging import cached_tagger, forget_taggers, tag_pending, topic_lists, untagged
from reports.topics import EmbeddingTagger
from reports.writing import write_report, write_weekly
from scheduler.context import Context

log = logging.getLogger("veilleur.scheduler")
CRAWL_MODULE = "crawlers.run"  # run as a child process per crawl


def worker_id() -> str:
    """This process, as outbox claims and the distributed mode's ledger name it: asked at each call, not at import,
    since a Celery worker's processes are forked after the import."""
    return f"{socket.gethostname()}:{os.getpid()}"


def crawl(context: Context, brand: str, source: str) -> int:
    """One source's crawl (the scheduled job); returns its process's exit status, -1 if killed at its timeout."""
    return crawl_source(context, brand, source).status


def crawl_new(context: Context, brand: str, source: str) -> int:
    """The worker's crawl job: how many new mentions it stored (the worker hands them to classification)."""
    return crawl_source(context, brand, source).run.items_new or 0


@dataclass(frozen=True)
class Crawled:
    """One crawl: its process's exit status (-1: killed at its timeout), its own run, its source's health after."""

    status: int
    run: CrawlRun
    healthy: bool
    health_reason: str | None


def crawl_source(context: Context, brand: str, source: str) -> Crawled:
    """One source's crawl, in a child process: a crashing or hanging spider cannot take the worker down. The run
    is opened here and its id handed to the crawl, so this worker reads and closes its own run, not another's."""
    with context.sessions.begin() as session:
        run_id = runs.open_run(session, _source(session, brand, source).id)
    command = [sys.executable, "-m", CRAWL_MODULE, "--settings", str(context.settings_path)]
    command += ["--brand", brand, "--source", source, "--run", str(run_id)]
    timeout = context.settings.crawl.timeout_seconds
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        status = finished.returncode
        failure = f"crawl process exited {status}: {_why(finished.stderr)}" if status else None
    except subprocess.TimeoutExpired:
        status, failure = -1, f"crawl timed out after {timeout}s"
    interrupted = status in (runs.INTERRUPTED_EXIT, -signal.SIGINT, -signal.SIGTERM)
    if interrupted:
        # Stopped by a signal with the worker (Ctrl-C reaches the whole process group; a service manager may stop
        # every process of the service): the run says "interrupted", the source keeps its health.
        log.info("crawl %s/%s: interrupted (stopping)", brand, source)
        failure = None
    with context.sessions.begin() as session:
        if interrupted:
            runs.interrupt(session, run_id, runs.STOPPED_BY_SIGNAL)  # if the crawl could not close it itself
        run = session.get_one(CrawlRun, run_id)
        if failure is None and run.outcome in runs.OPEN:
            failure = "the crawl process ended without recording its crawl"
        if failure is not None:
            log.error("source %s/%s: %s", brand, source, failure)
            runs.fail(session, run_id, failure)
        # Whatever made the source unhealthy (the crawl's own verdict, or its process failing here): one alert.
        alert_unhealthy(session, brand, source, context.settings.slack.channel)
        session.refresh(run)
        row = _source(session, brand, source)
        crawled = Crawled(status, run, row.healthy, row.health_reason)
    seen = f"{run.items_seen} seen, {run.items_new} new"
    if crawled.healthy:
        log.info("crawl %s/%s: %s", brand, source, seen)
    else:
        log.warning("crawl %s/%s: %s; unhealthy: %s", brand, source, seen, crawled.health_reason)
    return crawled


def _why(stderr: str | None) -> str:
    """The line of a failed crawl's output that says why: its last error, else its last line. The last lines alone
    were Scrapy's stats dump ("'scheduler/enqueued/memory': 3, | 'start_time': ...")."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    said = [line for line in lines if " ERROR: " in line or " CRITICAL: " in line or line.startswith("error:")]
    said += [line for line in lines if line.split(":")[0].endswith(("Error", "Exception"))]  # a traceback's end
    return (said[-1] if said else lines[-1] if lines else "no output")[:300]


def _source(session: Session, brand: str, source: str) -> Source:
    return session.scalars(select(Source).join(Brand).where(Brand.slug == brand, Source.name == source)).one()


def classify(context: Context) -> int:
    with context.sessions() as session:
        if session.scalar(select(Mention.id).where(Mention.status == MentionStatus.NEW).limit(1)) is None:
            return 0  # nothing to classify: the model (a second to load, 1.3 GB) waits until there is
    relevance = Relevance.from_settings(context.settings)
    return classify_pending(
        context.sessions,
        context.classifier,
        context.settings.classifier.batch_size,
        relevance=relevance if relevance.active else None,
    )


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
        backfill=timedelta(days=m.backfill_days) if m.backfill_days else None,
        hold_auto_reject=timedelta(hours=m.hold_auto_reject_hours),
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
    from models.mailer import SinkMailer
    from moderation.privacy import REDACTED

    smtp = context.settings.moderation.smtp
    return 0 if smtp.host else SinkMailer(context.settings.path(smtp.sink_path)).erase(needles, REDACTED)


def notify(context: Context) -> tuple[int, int]:
    """Send queued notices (authors told of a rejection, product owners of a low rating)."""
    from models.mailer import mailer_for
    from moderation.notify import MailNotifier, send_due

    smtp = context.settings.moderation.smtp
    notifier = MailNotifier(mailer_for(smtp, context.settings.path(smtp.sink_path)), smtp.sender)
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
    people = context.settings.console.people()  # an assignee whose account names a Slack user is a mention
    return send_due(
        context.sessions,
        transport,
        worker_id(),
        min_interval,
        slack.max_attempts,
        fatigue=fatigue(context),
        people=people,
    )


def watch_crises(context: Context) -> int:
    from alerts.crisis_watch import watch_crises as watch

    with context.sessions.begin() as session:
        return len(watch(session, context.settings.signals, context.settings.slack.channel))


def crisis_cells(context: Context) -> CellResult:
    """Open a crisis cell for each new crisis alert, grow the open cells' timelines, do their Slack steps."""
    slack = context.settings.slack
    transport = make_transport(
        slack.bot_token, slack.base_url, context.settings.path(slack.sink_path), slack.webhook_url
    )
    crisis = context.settings.crisis
    config = CellConfig(
        list(slack.crisis_team), dict(crisis.holding_statements), timedelta(minutes=crisis.timeline_minutes)
    )
    return cell_tick(context.sessions, transport, config, worker_id())  # type: ignore[arg-type]


def report(
    context: Context,
    brand: str,
    start: datetime,
    end: datetime,
    out: Path | None = None,
    fmt: output.Format = "html",
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write one report of [start, end) (reports/writing.py); returns its file (the folder, for CSV)."""
    return write_report(context.sessions, context.settings, brand, start, end, out, fmt, progress)


def weekly_report(context: Context, now: datetime | None = None) -> list[Path]:
    """Each brand's weekly report, written and queued for Slack once (reports/writing.py). The worker calls it
    hourly: written early on Monday, and a worker started mid-week writes the missed one."""
    return write_weekly(context.sessions, context.settings, now)


def rewrite_reports(context: Context) -> Rewritten:
    """The report files an erasure flagged, written again (reports/rewrite.py). The CLI runs it right after an
    erasure, the worker every few minutes (a failure keeps its flag and its error, shown by `veilleur status`)."""
    return rewrite_flagged(context.sessions, context.settings)


def tag_topics(context: Context, limit: int = 5000) -> int:
    """Tag the topics of mentions the current tagger has not seen (reports/topics.py), each brand's with its own
    topic list, `limit` per run in all."""
    settings = context.settings
    cache_dir = settings.path(settings.classifier.cache_dir)
    done = 0
    for topic_list in topic_lists(settings):
        topics = list(topic_list.topics)
        with context.sessions() as session:
            if not untagged(session, EmbeddingTagger.version_for(topics), 1, topic_list.scope):
                continue  # this list's mentions all tagged by the encoder's tagger: it is not loaded for nothing
        # One tagger per list, kept by the context (released together when idle); they share one encoder.
        taggers = context.tagger(dict)
        if topic_list.topics not in taggers:
            taggers[topic_list.topics] = cached_tagger(topics, cache_dir)
        done += tag_pending(context.sessions, taggers[topic_list.topics], limit=limit - done, scope=topic_list.scope)
        if done >= limit:
            break
    return done


def release_models(context: Context) -> list[str]:
    """The models unused for [classifier] idle_unload_minutes, dropped and their memory given back to the system
    (1.6 GB for both): an idle worker holds only its code. Loading again takes a few seconds."""
    minutes = context.settings.classifier.idle_unload_minutes
    dropped = context.release_idle(minutes * 60) if minutes else []
    if "tagger" in dropped:
        forget_taggers()
    if dropped:
        gc.collect()  # the models' tensors sit in reference cycles (modules and their hooks)
        _give_back_freed_memory()
    return dropped


def _give_back_freed_memory() -> None:
    # glibc keeps freed heap pages for reuse; malloc_trim returns them to the system (where there is glibc).
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is not None:
        libc = ctypes.CDLL(name)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)


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


def survey_retention(context: Context) -> int:
    """Survey orders older than [privacy] pseudonymise_after_months stripped of their customer (how many)."""
    with context.sessions.begin() as session:
        return forget_survey_orders(session, datetime.now(UTC), context.settings.privacy.pseudonymise_after_months)


def all_retention(context: Context) -> tuple[int, int, int]:
    """The worker's daily `retention` job: reviews and authors, then survey orders (what `veilleur privacy retention`
    does)."""
    return (*retention(context), survey_retention(context))
