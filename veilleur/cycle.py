"""One full pass of the pipeline (crawl every source, classify, route, send, report), with progress bars."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
    reports: list[Path] = field(default_factory=list)


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
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for declared in settings.brands:
        # Reviews can be years old: the cycle's report covers everything stored, from the brand's oldest mention.
        start = _first_day(context, declared.slug) or today
        result.reports.append(jobs.report(context, declared.slug, start, today + timedelta(days=1)))
    return result


def _history(context: Context) -> int:
    from sqlalchemy import func, select

    from models import Mention

    with context.sessions() as session:
        return session.scalar(select(func.count(Mention.id)).where(Mention.backlog)) or 0


def _first_day(context: Context, slug: str) -> datetime | None:
    from sqlalchemy import func, select

    from models import Brand, Mention, Source
    from reports.collect import when_column

    with context.sessions() as session:
        first = session.scalar(
            select(func.min(when_column()))
            .join(Source, Source.id == Mention.source_id)
            .join(Brand)
            .where(Brand.slug == slug)
        )
    return first.replace(hour=0, minute=0, second=0, microsecond=0) if first else None
