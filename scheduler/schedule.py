"""The worker's jobs, in one table: each job's name, what it runs, how often, and on which queue the distributed
mode puts it. The embedded worker (scheduler/worker.py) runs the table in one process; in the distributed mode
(scheduler/distributed/) the leading scheduler enqueues it and workers run each job by its name."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from scheduler import jobs, survey_jobs
from scheduler.context import Context
from scheduler.handover import CRAWL

# The distributed mode's queues: a team runs crawl workers on small machines and classify workers on large ones.
QUEUES = ("crawl", "classify", "topics", "reports", "send", "upkeep")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], Any]
    every: timedelta
    queue: str


def job_table(context: Context) -> dict[str, Job]:
    settings = context.settings
    table: dict[str, Job] = {}

    def every(name: str, queue: str, function, *args, **interval) -> None:  # type: ignore[no-untyped-def]
        table[name] = Job(name, lambda: function(*args), timedelta(**interval), queue)

    for brand in settings.brands:
        for source in brand.sources:
            name = f"{CRAWL}{brand.slug}/{source.name}"
            every(name, "crawl", jobs.crawl_new, context, brand.slug, source.name, minutes=source.interval_minutes)
    intervals = settings.scheduler
    every("classify", "classify", jobs.classify, context, minutes=intervals.classify_minutes)
    every("route", "classify", jobs.route, context, minutes=intervals.route_minutes)
    every("crises", "upkeep", jobs.watch_crises, context, minutes=settings.signals.check_minutes)
    every("crisis-cells", "send", jobs.crisis_cells, context, minutes=intervals.send_minutes)
    every("publish", "upkeep", jobs.publish_due, context, minutes=intervals.route_minutes)
    every("reply-reminders", "upkeep", jobs.remind_replies, context, minutes=intervals.route_minutes)
    every("send", "send", jobs.send, context, minutes=intervals.send_minutes)
    every("notify", "send", jobs.notify, context, minutes=intervals.send_minutes)
    every("webhook", "send", jobs.send_webhooks, context, minutes=settings.publishing.send_minutes)
    every("survey-invite", "send", survey_jobs.invite, context, minutes=settings.surveys.send_minutes)
    every("survey-file", "upkeep", survey_jobs.file_answers, context, minutes=intervals.route_minutes)
    every("retention", "upkeep", jobs.all_retention, context, hours=settings.privacy.retention_hours)
    every("topics", "topics", jobs.tag_topics, context, minutes=intervals.classify_minutes)
    every("report", "reports", jobs.weekly_report, context, hours=1)
    every("report-rewrite", "reports", jobs.rewrite_reports, context, minutes=intervals.send_minutes)
    if settings.classifier.idle_unload_minutes:
        every("release-models", "local", jobs.release_models, context, minutes=1)  # each process its own
    return table


def what_it_did(result: Any) -> str:
    """What a job's result says it did, in one line; "" for a run that did nothing: None, 0, empty, all zeros."""
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
