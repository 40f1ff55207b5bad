"""`veilleur report --brand B [--from D --to D] --format html|pdf|csv --out PATH`: the reputation report of a
brand for a period (by default the schedule's last full week or month), recomputed from the database, with
progress bars for the long steps."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from veilleur.commands.common import open_context, print_error, settings_or_exit

console = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, markup=False)


def _day(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        print_error(err, f"{option} {value!r}: expected a date like 2026-11-01")
        raise typer.Exit(2) from None


def _tag_period(context, brand: str, start: datetime, end: datetime, progress: Progress) -> int:  # type: ignore[no-untyped-def]
    """Tag the topics of the period's mentions the worker has not tagged yet (none, when it runs)."""
    from sqlalchemy import func, select

    from models import Brand, Mention, Source
    from reports.output import options_for
    from reports.tagging import cached_tagger, tag_pending, untagged_count

    settings = context.settings
    when = func.coalesce(Mention.published_at, Mention.collected_at)
    sources = select(Source.id).join(Brand).where(Brand.slug == brand)
    scope = [Mention.source_id.in_(sources), when >= start - (end - start), when < end]
    topics = options_for(settings).topics_for(brand)  # the brand's own list ([[brands]] industry)
    tagger = cached_tagger(topics, settings.path(settings.classifier.cache_dir))
    with context.sessions.begin() as session:
        waiting = untagged_count(session, tagger.version, scope)
    if not waiting:
        return 0
    task = progress.add_task("tagging topics", total=waiting)
    return tag_pending(context.sessions, tagger, scope=scope, progress=lambda n: progress.advance(task, n))


def report(
    brand: Annotated[str, typer.Option("--brand")],
    start: Annotated[
        str | None, typer.Option("--from", help="first day (YYYY-MM-DD); default: the last full week or month")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day, included (YYYY-MM-DD)")] = None,
    fmt: Annotated[Literal["html", "pdf", "csv"], typer.Option("--format")] = "html",
    out: Annotated[
        Path | None, typer.Option("--out", help="file (a folder for csv); default in [reports] out_dir")
    ] = None,
    tag: Annotated[bool, typer.Option("--tag/--no-tag", help="tag the period's untagged mentions first")] = True,
    settings: Annotated[Path, typer.Option("--settings", help="settings file")] = Path("settings.toml"),
) -> None:
    """Write the reputation report of a brand for a period (compared with the period before it)."""
    from scheduler.jobs import report as write_report

    config = settings_or_exit(settings, brand)
    if start is None and end is None:
        # What the weekly report would cover now: the last full week, or month (`[scheduler] report_hours`).
        from reports.periods import scheduled

        period = scheduled(datetime.now(UTC), config.scheduler.report_hours)
        first, last = period.start, period.end
        named = {"week": "the last full week", "month": "the last full month"}.get(period.unit, "the schedule's period")
        err.print(f"period: {first.date()} to {period.last_day.date()}, {named} (--from and --to choose another)")
    elif start is None or end is None:
        print_error(err, "give both --from and --to, or neither (the last full week or month)")
        raise typer.Exit(2)
    else:
        first, last = _day(start, "--from"), _day(end, "--to") + timedelta(days=1)
    if last <= first:
        print_error(err, "--to is before --from")
        raise typer.Exit(2)
    if out is not None:
        _check_out(out, fmt)
    context = open_context(settings, config)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, console=err, transient=True) as progress:
            if tag:
                _tag_period(context, brand, first, last, progress)
            steps = ["mentions", "topics", "examples", "watchlist"]
            task = progress.add_task("computing the report", total=len(steps) + 1)
            path = write_report(context, brand, first, last, out, fmt, lambda _: progress.advance(task))
            progress.update(task, completed=len(steps) + 1)
    except OSError as error:  # the disk is full, the folder was removed meanwhile...
        print_error(err, f"the report could not be written to {out or error.filename}: {error.strerror}")
        raise typer.Exit(1) from None
    finally:
        context.close()
    console.print(f"report: {path}")


def _check_out(out: Path, fmt: str) -> None:
    """Before minutes of counting: --out must be a place this format can be written to."""
    problem = ""
    if fmt == "csv" and out.exists() and not out.is_dir():
        problem = "is a file, and csv writes a folder of tables: give a folder"
    elif fmt != "csv" and out.is_dir():
        problem = f"is a folder: give a file name (e.g. {out / ('report.' + fmt)})"
    else:
        folder = out if fmt == "csv" else out.parent
        existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
        if not existing.is_dir() or not os.access(existing, os.W_OK):
            problem = f"cannot be created: {existing} is not a folder this user can write to"
    if problem:
        print_error(err, f"--out {out} {problem}")
        raise typer.Exit(2)
