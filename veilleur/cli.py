"""The `veilleur` command."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.settings import Settings, SettingsError
from veilleur.commands.common import SettingsOption, settings_or_exit

app = typer.Typer(help="Veilleur: e-reputation monitoring and review moderation.", no_args_is_help=True)
console = Console()


def _context(path: Path):  # type: ignore[no-untyped-def]
    from scheduler.context import Context

    return Context(settings_or_exit(path), path)


@app.command()
def demo(settings: SettingsOption = Path("settings.toml")) -> None:
    """Serve the demo pages locally, run one full cycle, and print where the report and Slack sink are."""
    from veilleur.cycle import run_cycle
    from veilleur.pages_server import PagesServer

    config = settings_or_exit(settings)
    context = _context(settings)
    with PagesServer(config.path(config.demo.pages_dir), config.demo.host, config.demo.port):
        result = run_cycle(context, console)
    _print_cycle(result, config)


@app.command()
def cycle(settings: SettingsOption = Path("settings.toml")) -> None:
    """Run one full cycle on the configured sources (crawl, classify, route, send, report)."""
    from veilleur.cycle import run_cycle

    config = settings_or_exit(settings)
    _print_cycle(run_cycle(_context(settings), console), config)


def _print_cycle(result, config: Settings) -> None:  # type: ignore[no-untyped-def]
    for source, status in result.crawled.items():
        console.print(f"crawl {source}: {'ok' if status == 0 else f'failed (exit {status})'}")
    console.print(
        f"classified {result.classified}, routed {result.routed}, alerts sent {result.sent}"
        f" (failed {result.send_failed}), published automatically {result.published},"
        f" reply reminders {result.reminders}, notices sent {result.notified}"
    )
    for path in result.reports:
        console.print(f"report: {path}")
    if not config.slack.bot_token:
        console.print(f"Slack sink (no bot token set): {config.path(config.slack.sink_path)}")


@app.command()
def worker(settings: SettingsOption = Path("settings.toml")) -> None:
    """Run the scheduler until stopped (Ctrl-C or SIGTERM: the running jobs finish first)."""
    from scheduler.worker import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # What each job did is logged by the worker; the libraries' own progress lines are not news.
    for library in ("apscheduler", "alembic", "weasyprint", "fontTools", "httpx"):
        logging.getLogger(library).setLevel(logging.WARNING)
    run(_context(settings))


@app.command()
def crawl(brand: str, source: str, settings: SettingsOption = Path("settings.toml")) -> None:
    """Crawl one source now (in a child process, as the worker does)."""
    from sqlalchemy import select

    from models import Brand, CrawlRun, Source
    from scheduler import jobs

    declared = settings_or_exit(settings, brand).brand(brand)
    if source not in {s.name for s in declared.sources}:
        known = ", ".join(s.name for s in declared.sources) or "none"
        console.print(f"[red]error:[/red] no source {source!r} in brand {brand!r} (its sources: {known})")
        raise typer.Exit(2)
    context = _context(settings)
    status = jobs.crawl(context, brand, source)
    with context.sessions.begin() as session:
        row = session.scalars(select(Source).join(Brand).where(Brand.slug == brand, Source.name == source)).one()
        run = session.scalars(select(CrawlRun).where(CrawlRun.source_id == row.id).order_by(CrawlRun.id.desc())).first()
        if run is not None:
            console.print(f"{brand}/{source}: {run.items_seen} seen, {run.items_new} new, HTTP {run.http_statuses}")
        console.print(
            f"{brand}/{source}: " + ("healthy" if row.healthy else f"[red]unhealthy[/red]: {row.health_reason}")
        )
    raise typer.Exit(0 if status == 0 and row.healthy else 1)


def _date(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        console.print(f"[red]error:[/red] {option} {value!r}: expected a date like 2026-11-01")
        raise typer.Exit(2) from None


@app.command()
def status(settings: SettingsOption = Path("settings.toml")) -> None:
    """Source health, queue sizes, and the outboxes: what waits, since when, and the last error."""
    from scheduler.status import overview

    context = _context(settings)
    with context.sessions.begin() as session:
        view = overview(session)
    for title, rows, columns in view:
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*[str(value) for value in row])
        console.print(table)


@app.command("check-settings")
def check_settings(settings: SettingsOption = Path("settings.toml")) -> None:
    """Validate the settings file (and VEILLEUR__* overrides) and exit."""
    config = settings_or_exit(settings)
    console.print(f"{settings}: ok ({len(config.brands)} brands, {sum(len(b.sources) for b in config.brands)} sources)")


@app.command()
def serve(settings: SettingsOption = Path("settings.toml")) -> None:
    """Serve Slack's button clicks (/slack/actions) and the survey intake (/intake/survey/BRAND/SOURCE)."""
    import uvicorn

    from web.app import create_app

    config = settings_or_exit(settings)
    uvicorn.run(create_app(_context(settings)), host=config.serve.host, port=config.serve.port)


survey = typer.Typer(help="The brand's own post-purchase reviews (survey exports).", no_args_is_help=True)


@survey.command("import")
def survey_import(
    path: Annotated[Path, typer.Argument(help="CSV or JSON export (format: docs/sources.md)")],
    brand: Annotated[str, typer.Option("--brand")],
    source: Annotated[str, typer.Option("--source", help="a source of kind survey")],
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Import a survey export: every row is checked first; one bad row and nothing is imported."""
    from crawlers.survey_import import SurveyFileError, import_survey
    from models.catalogue import find_source

    config = settings_or_exit(settings)
    context = _context(settings)
    with context.sessions.begin() as session:
        row = find_source(session, brand, source)
        if row is None or row.kind != "survey":
            console.print(f"[red]error:[/red] {settings}: no source {brand}/{source} of kind survey")
            raise typer.Exit(2)
        try:
            result = import_survey(session, row.id, path, config.crawl.pseudonym_secret)
        except SurveyFileError as error:
            # One line says how many and that nothing was imported; then each problem, once, with its line.
            said = f"{path}: {len(error.problems)} problem(s), nothing imported"
            console.print(f"[red]error:[/red] {said}", highlight=False)
            for problem in error.problems:
                console.print(f"  {problem}", highlight=False)
            raise typer.Exit(1) from None
    console.print(f"{path}: {result.rows} rows, {result.imported} imported, {result.already_stored} already stored")


def _mount() -> None:
    from veilleur.commands.alerts import app as alerts
    from veilleur.commands.classify import classify
    from veilleur.commands.console import app as console_commands
    from veilleur.commands.extract import extract_command
    from veilleur.commands.model import app as model
    from veilleur.commands.privacy import app as privacy
    from veilleur.commands.publish import app as publish
    from veilleur.commands.queue import app as queue
    from veilleur.commands.report import report
    from veilleur.commands.signals import app as signals

    app.add_typer(queue, name="queue")
    app.add_typer(alerts, name="alerts")
    app.add_typer(signals, name="signals")
    app.add_typer(model, name="model")
    app.add_typer(survey, name="survey")
    app.add_typer(publish, name="publish")
    app.add_typer(privacy, name="privacy")
    app.add_typer(console_commands, name="console")
    app.command("classify")(classify)
    app.command("extract")(extract_command)
    app.command("report")(report)


_mount()


def main() -> None:
    try:
        app()
    except SettingsError as error:  # raised from deeper code paths, e.g. a child job
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
