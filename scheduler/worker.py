"""The long-running worker: APScheduler runs each job on its interval from settings.

`max_instances=1` and `coalesce=True` on every job: a slow crawl is never run twice at once, and missed
runs (the machine slept) collapse into one.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler import jobs

log = logging.getLogger("veilleur.scheduler")


def _safe(name: str, function, *args):  # type: ignore[no-untyped-def]
    # A failing job is logged and retried at its next run; it never stops the other jobs.
    def run() -> None:
        try:
            function(*args)
        except Exception:
            log.exception("job %s failed; it runs again at its next interval", name)

    run.__name__ = name
    return run


def build_scheduler(context: jobs.Context) -> BlockingScheduler:
    settings = context.settings
    scheduler = BlockingScheduler(timezone="UTC")

    def every(name: str, function, *args, **interval) -> None:  # type: ignore[no-untyped-def]
        scheduler.add_job(
            _safe(name, function, *args),
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
            every(name, jobs.crawl, context, brand.slug, source.name, minutes=source.interval_minutes)
    intervals = settings.scheduler
    every("classify", jobs.classify, context, minutes=intervals.classify_minutes)
    every("route", jobs.route, context, minutes=intervals.route_minutes)
    every("crises", jobs.watch_crises, context, minutes=settings.signals.check_minutes)
    every("publish", jobs.publish_due, context, minutes=intervals.route_minutes)
    every("reply-reminders", jobs.remind_replies, context, minutes=intervals.route_minutes)
    every("send", jobs.send, context, minutes=intervals.send_minutes)
    every("notify", jobs.notify, context, minutes=intervals.send_minutes)
    every("webhook", jobs.send_webhooks, context, minutes=settings.publishing.send_minutes)
    every("retention", jobs.retention, context, hours=settings.privacy.retention_hours)
    every("topics", jobs.tag_topics, context, minutes=intervals.classify_minutes)
    every("report", jobs.weekly_report, context, hours=1)
    every("report-rewrite", jobs.rewrite_reports, context, minutes=intervals.send_minutes)
    return scheduler


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
