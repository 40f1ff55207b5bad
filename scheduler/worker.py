"""The long-running worker: APScheduler runs each job on its interval from settings, and a job that did
something starts the next stage at once (scheduler/handover.py), so a crawled review reaches Slack in seconds.

`max_instances=1` and `coalesce=True` on every job: a slow crawl is never run twice at once, and missed
runs (the machine slept) collapse into one. SIGINT (Ctrl-C) or SIGTERM (systemd, docker stop) stops it cleanly:
no new job starts, the running ones finish; a second signal stops it at once.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler import jobs, survey_jobs
from scheduler.context import Context
from scheduler.handover import Handover

log = logging.getLogger("veilleur.scheduler")


def _safe(name: str, handover: Handover, function, *args):  # type: ignore[no-untyped-def]
    # A failing job is logged and retried at its next run; it never stops the other jobs. A job that did
    # something says what, in one line, and hands over to the next stage; an idle run says nothing.
    def run() -> None:
        started = time.monotonic()
        handover.started(name)
        said = ""
        try:
            result = function(*args)
        except Exception:
            log.exception("job %s failed; it runs again at its next interval", name)
            return
        else:
            said = _what_it_did(result)
            if said:
                log.info("%s: %s (%.1f s)", name, said, time.monotonic() - started)
        finally:
            handover.finished(name, bool(said))

    run.__name__ = name
    return run


def _what_it_did(result: Any) -> str:
    """ "" for a run that did nothing: None, 0, empty, all zeros."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        parts = []
        for field in dataclasses.fields(result):
            value = getattr(result, field.name)
            if value:
                parts.append(f"{field.name} {len(value) if isinstance(value, list | dict) else value}")
        return ", ".join(parts)
    if isinstance(result, tuple):
        return str(result) if any(result) else ""
    if isinstance(result, list):
        return f"{len(result)}: " + ", ".join(str(item) for item in result[:3]) if result else ""
    if isinstance(result, bool) or result is None:
        return ""
    return str(result) if result else ""


def run(context: Context) -> None:
    """Run the jobs until SIGINT or SIGTERM, then let the running ones finish."""
    scheduler = build_scheduler(context)
    # Shut down from a thread of its own: the main loop returns at once, and this thread waits for the jobs.
    stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, name="worker-stop")

    def stop(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if stopper.is_alive() or stopper.ident is not None:
            log.warning("%s again: stopping now, without waiting for the running jobs", name)
            os._exit(1)
        log.info("%s: no new job starts; waiting for the running ones to finish", name)
        stopper.start()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    names = [job.id for job in scheduler.get_jobs()]
    log.info("worker started: %d jobs (%s)", len(names), ", ".join(names))
    scheduler.start()  # returns once the scheduler is shut down
    if stopper.ident is not None:
        stopper.join()
    context.close()
    log.info("worker stopped")


def waker(scheduler: BaseScheduler) -> Callable[[str, datetime], None]:
    """Move a job's next run to now, from a thread of its own and only while the scheduler runs. APScheduler's
    shutdown holds its job-store lock while it waits for the running jobs: a job ending then and waking the next
    stage from its own thread with `modify_job` would wait for that lock forever, and so would the shutdown (a
    SIGTERM during a hand-over hung the worker)."""

    def modify(name: str, now: datetime) -> None:
        try:
            scheduler.modify_job(name, next_run_time=now)
        except Exception:  # stopped meanwhile (the job is no longer looked up): nothing to wake
            log.debug("could not wake %s", name, exc_info=True)

    def wake(name: str, now: datetime) -> None:
        if scheduler.state == STATE_RUNNING:
            threading.Thread(target=modify, args=(name, now), name=f"wake-{name}", daemon=True).start()

    return wake


def build_scheduler(context: Context) -> BlockingScheduler:
    settings = context.settings
    scheduler = BlockingScheduler(timezone="UTC")
    names: list[str] = []
    handover = Handover(waker(scheduler), names)

    def every(name: str, function, *args, **interval) -> None:  # type: ignore[no-untyped-def]
        names.append(name)
        scheduler.add_job(
            _safe(name, handover, function, *args),
            "interval",
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            next_run_time=_now(),
            **interval,
        )

    for brand in settings.brands:
        for source in brand.sources:
            name = f"crawl:{brand.slug}/{source.name}"
            every(name, jobs.crawl_new, context, brand.slug, source.name, minutes=source.interval_minutes)
    intervals = settings.scheduler
    every("classify", jobs.classify, context, minutes=intervals.classify_minutes)
    every("route", jobs.route, context, minutes=intervals.route_minutes)
    every("crises", jobs.watch_crises, context, minutes=settings.signals.check_minutes)
    every("crisis-cells", jobs.crisis_cells, context, minutes=intervals.send_minutes)
    every("publish", jobs.publish_due, context, minutes=intervals.route_minutes)
    every("reply-reminders", jobs.remind_replies, context, minutes=intervals.route_minutes)
    every("send", jobs.send, context, minutes=intervals.send_minutes)
    every("notify", jobs.notify, context, minutes=intervals.send_minutes)
    every("webhook", jobs.send_webhooks, context, minutes=settings.publishing.send_minutes)
    every("survey-invite", survey_jobs.invite, context, minutes=settings.surveys.send_minutes)
    every("survey-file", survey_jobs.file_answers, context, minutes=intervals.route_minutes)
    every("retention", jobs.all_retention, context, hours=settings.privacy.retention_hours)
    every("topics", jobs.tag_topics, context, minutes=intervals.classify_minutes)
    every("report", jobs.weekly_report, context, hours=1)
    every("report-rewrite", jobs.rewrite_reports, context, minutes=intervals.send_minutes)
    if settings.classifier.idle_unload_minutes:
        every("release-models", jobs.release_models, context, minutes=1)
    return scheduler


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
