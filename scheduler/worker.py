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
    scheduler = BlockingScheduler(timezone="UTC", job_defaults={"max_instances": 1, "coalesce": True})
    for brand in settings.brands:
        for source in brand.sources:
            if source.kind == "survey":
                continue  # survey answers arrive by import or the intake endpoint, not by crawling
            name = f"crawl:{brand.slug}/{source.name}"
            scheduler.add_job(
                _safe(name, jobs.crawl, context, brand.slug, source.name),
                "interval",
                minutes=source.interval_minutes,
                id=name,
                next_run_time=_now(),
            )
    every = settings.scheduler
    scheduler.add_job(
        _safe("classify", jobs.classify, context), "interval", minutes=every.classify_minutes, id="classify"
    )
    scheduler.add_job(_safe("route", jobs.route, context), "interval", minutes=every.route_minutes, id="route")
    scheduler.add_job(_safe("send", jobs.send, context), "interval", minutes=every.send_minutes, id="send")
    scheduler.add_job(_safe("report", jobs.weekly_report, context), "interval", hours=every.report_hours, id="report")
    return scheduler


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
