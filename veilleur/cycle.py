"""One full pass of the pipeline (crawl every source, classify, route, send, tag topics, report), with progress bars."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from reports.periods import Period, midnight, month_of
from scheduler import jobs
from scheduler.context import Context


@dataclass
class CycleResult:
    crawled: dict[str, int] = field(default_factory=dict)  # source -> exit status
    unhealthy: dict[str, str] = field(default_factory=dict)  # source -> why, for each left unhealthy
    classified: int = 0
    routed: int = 0
    history: int = 0  # of the routed, collected as history (a first crawl, an old review): queued, not alerted
    published: int = 0  # automatic approvals whose delay had passed
    reminders: int = 0  # reply SLA reminders queued
    notified: int = 0  # notices sent (authors, product owners)
    sent: int = 0
    send_failed: int = 0
    tagged: int = 0  # mentions whose topics were tagged, for the report
    reports: list[Path] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)  # each report's period, and why it was chosen


def run_cycle(context: Context, console: Console, min_interval: float = 1.0) -> CycleResult:
    result = CycleResult()
    settings = context.settings
    sources = [(b.slug, s.name) for b in settings.brands for s in b.sources]
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("crawling sources", total=len(sources))
        for brand, source in sources:
            progress.update(task, description=f"crawling {brand}/{source}")
            crawled = jobs.crawl_source(context, brand, source)
            result.crawled[f"{brand}/{source}"] = crawled.status
            if not crawled.healthy:
                result.unhealthy[f"{brand}/{source}"] = crawled.health_reason or "unhealthy"
            progress.advance(task)
        task = progress.add_task("loading the classifier", total=None)
        context.classifier  # noqa: B018 (loads or trains it once, visibly)
        progress.update(task, description=f"classifier {context.classifier.name}", total=1, completed=1)
        task = progress.add_task("classifying", total=None)
        result.classified = jobs.classify(context)
        progress.update(task, total=result.classified, completed=result.classified)
        task = progress.add_task("routing", total=None)
        before = _history(context)
        result.routed = jobs.route(context)
        result.history = _history(context) - before
        progress.update(task, total=result.routed, completed=result.routed)
        result.published = jobs.publish_due(context)
        result.reminders = jobs.remind_replies(context)
        task = progress.add_task("sending alerts", total=None)
        sent = jobs.send(context, min_interval)
        result.sent, result.send_failed = sent.sent, sent.failed
        progress.update(task, total=sent.sent + sent.failed + sent.retrying, completed=sent.sent)
        result.notified, _ = jobs.notify(context)
        # The worker's topic job runs on its own interval; the cycle's report must not say "no topic tags yet".
        task = progress.add_task("tagging topics", total=None)
        result.tagged = jobs.tag_topics(context)
        progress.update(task, total=result.tagged, completed=result.tagged)
    now = datetime.now(UTC)
    for declared in settings.brands:
        period, why = report_period(context, declared.slug, now)
        result.periods.append(f"{declared.slug}: {period.start.date()} to {period.last_day.date()}, {why}")
        result.reports.append(jobs.report(context, declared.slug, period.start, period.end))
    return result


def report_period(context: Context, slug: str, now: datetime) -> tuple[Period, str]:
    """The cycle's report: the last full month that holds the brand's mentions (saved pages can be years old;
    a report of everything stored compared seven years with the seven before), else this month so far."""
    latest = _latest_before(context, slug, month_of(now).start)
    if latest is not None:
        period = month_of(latest)
        return period, f"the last full month holding its mentions ({period.start:%B %Y})"
    today = midnight(now)
    return Period(month_of(now).start, today + timedelta(days=1)), "this month so far (no earlier mention)"


def _history(context: Context) -> int:
    from sqlalchemy import func, select

    from models import Mention

    with context.sessions() as session:
        return session.scalar(select(func.count(Mention.id)).where(Mention.backlog)) or 0


def _latest_before(context: Context, slug: str, before: datetime) -> datetime | None:
    from sqlalchemy import func, select

    from models import Brand, Mention, Source
    from reports.collect import when_column

    with context.sessions() as session:
        return session.scalar(
            select(func.max(when_column()))
            .join(Source, Source.id == Mention.source_id)
            .join(Brand)
            .where(Brand.slug == slug, when_column() < before)
        )
