"""The `veilleur` command."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from config.settings import Settings, SettingsError
from veilleur.commands.common import SettingsOption, command_group, open_context, print_error, settings_or_exit

app = command_group("Veilleur: e-reputation monitoring and review moderation.")
console = Console(markup=False)  # prints outside text: see veilleur/commands/common.py


def _context(path: Path):  # type: ignore[no-untyped-def]
    return open_context(path, settings_or_exit(path))


@app.command()
def demo(settings: SettingsOption = Path("settings.toml")) -> None:
    """Serve the demo pages locally, run one full cycle, and print where the report and Slack sink are."""
    from veilleur.commands.demo import next_steps
    from veilleur.commands.surveys import demo as survey_demo
    from veilleur.cycle import run_cycle
    from veilleur.pages_server import PagesServer

    config = settings_or_exit(settings)
    context = _context(settings)
    try:
        pages = PagesServer(config.path(config.demo.pages_dir), config.demo.host, config.demo.port)
    except OSError as error:  # the port is taken (a demo still running?), or the pages folder is missing
        print_error(console, f"{settings}: [demo] port, host or pages_dir: {error}")
        raise typer.Exit(2) from None
    with pages:
        result = run_cycle(context, console)
    _print_cycle(result, config)
    survey_demo(context, config)
    next_steps(context, config, console)


@app.command()
def cycle(settings: SettingsOption = Path("settings.toml")) -> None:
    """Run one full cycle on the configured sources (crawl, classify, route, send, report)."""
    from veilleur.cycle import run_cycle

    config = settings_or_exit(settings)
    _print_cycle(run_cycle(_context(settings), console), config)


def _print_cycle(result, config: Settings) -> None:  # type: ignore[no-untyped-def]
    for source, status in result.crawled.items():
        # An exit status of 0 says the crawl process ran, not that the source is fine: its health says that.
        reason = result.unhealthy.get(source, "")
        said = Text("failed", "red") if status else Text("unhealthy", "red") if reason else Text("ok")
        console.print(Text(f"crawl {source}: ") + said + Text(f": {reason}" if reason else ""))
    console.print(
        f"classified {result.classified}, routed {result.routed}"
        + (f" ({result.history} as history: queued without alert or deadline)" if result.history else "")
        + f", alerts sent {result.sent}"
        f" (failed {result.send_failed}), published automatically {result.published},"
        f" reply reminders {result.reminders}, notices sent {result.notified}"
    )
    for period in result.periods:
        console.print(f"report period: {period}")
    for path in result.reports:
        console.print(f"report: {path}")
    if not config.slack.bot_token:
        console.print(f"Slack sink (no bot token set): {config.path(config.slack.sink_path)}")


@app.command()
def worker(
    settings: SettingsOption = Path("settings.toml"),
    queues: Annotated[
        str | None,
        typer.Option(help="Distributed mode: the queues this worker takes, e.g. crawl,classify (all by default)."),
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Distributed mode: processes running tasks at once.")] = 1,
) -> None:
    """Run the jobs until stopped (Ctrl-C or SIGTERM: the running jobs finish first). With [distributed] broker_url
    set, a Celery worker taking the jobs `veilleur scheduler` enqueues; otherwise the embedded worker runs them all."""
    from veilleur.commands import distributed

    config = settings_or_exit(settings)
    distributed.log_to_stderr()
    if not config.distributed.broker_url and queues is None:
        from scheduler.worker import run

        run(_context(settings))
        return
    problem = distributed.refusal(config) or (distributed.queues_problem(queues) if queues else "")
    if problem:
        print_error(console, f"{settings}: {problem}" if "--queues" not in problem else problem)
        raise typer.Exit(2)
    distributed.run_worker(config, settings, queues or ",".join(distributed.QUEUES), concurrency)


@app.command()
def scheduler(settings: SettingsOption = Path("settings.toml")) -> None:
    """Distributed mode: enqueue each job on its interval for the workers. Run one or more: one leads, the others
    stand by and take over within [distributed] leader_check_seconds when it dies."""
    from veilleur.commands import distributed

    config = settings_or_exit(settings)
    problem = distributed.refusal(config)
    if problem:
        print_error(console, f"{settings}: {problem}")
        raise typer.Exit(2)
    distributed.log_to_stderr()
    distributed.run_scheduler(config, settings)


@app.command()
def crawl(brand: str, source: str, settings: SettingsOption = Path("settings.toml")) -> None:
    """Crawl one source now (in a child process, as the worker does)."""
    from scheduler import jobs

    declared = settings_or_exit(settings, brand).brand(brand)
    if source not in {s.name for s in declared.sources}:
        known = ", ".join(s.name for s in declared.sources) or "none"
        print_error(console, f"no source {source!r} in brand {brand!r} (its sources: {known})")
        raise typer.Exit(2)
    crawled = jobs.crawl_source(_context(settings), brand, source)
    run = crawled.run
    console.print(f"{brand}/{source}: {run.items_seen} seen, {run.items_new} new, HTTP {run.http_statuses}")
    health = Text("healthy") if crawled.healthy else Text.assemble(("unhealthy", "red"), f": {crawled.health_reason}")
    console.print(Text(f"{brand}/{source}: ") + health)
    raise typer.Exit(0 if crawled.status == 0 and crawled.healthy else 1)


def _date(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        print_error(console, f"{option} {value!r}: expected a date like 2026-11-01")
        raise typer.Exit(2) from None


@app.command()
def status(settings: SettingsOption = Path("settings.toml")) -> None:
    """Source health, queue sizes, and the outboxes: what waits, since when, and the last error."""
    from scheduler.distributed import refusal
    from scheduler.status import overview

    config = settings_or_exit(settings)
    context = _context(settings)
    try:
        with context.sessions.begin() as session:
            view = overview(session)
            if config.distributed.broker_url and not refusal(config):
                from scheduler.distributed.status import overview as distributed_overview
                from scheduler.distributed.tasks import make_app

                view += distributed_overview(session, make_app(config, settings), config.distributed.broker_url)
    finally:
        context.close()
    for title, rows, columns in view:
        if not rows:
            console.print(f"{title}: none")
            continue
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
    """Serve the HTTP side: Slack's buttons (/slack/actions), the console (/console), the survey form and the
    intakes (/survey, /intake), the brand's feed, widget and disclosure page (/feed, /disclosure)."""
    import uvicorn

    from web.app import create_app

    config = settings_or_exit(settings)
    uvicorn.run(create_app(_context(settings)), host=config.serve.host, port=config.serve.port)


survey = command_group("The brand's own post-purchase reviews: survey exports, orders, invitations.")


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
            print_error(console, f"{settings}: no source {brand}/{source} of kind survey")
            raise typer.Exit(2)
        try:
            result = import_survey(session, row.id, path, config.crawl.pseudonym_secret)
        except SurveyFileError as error:
            # One line says how many and that nothing was imported; then each problem, once, with its line.
            said = f"{path}: {len(error.problems)} problem(s), nothing imported"
            print_error(console, said)
            for problem in error.problems:
                console.print(f"  {problem}", highlight=False)
            raise typer.Exit(1) from None
    console.print(f"{path}: {result.rows} rows, {result.imported} imported, {result.already_stored} already stored")


# Subcommands by name: (module, attribute, "group" or "command"). Only the one asked for is imported, so that
# `veilleur extract` does not pay for scipy (signals) or the console's web stack at start-up; help lists them all.
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "queue": ("veilleur.commands.queue", "app", "group"),
    "alerts": ("veilleur.commands.alerts", "app", "group"),
    "signals": ("veilleur.commands.signals", "app", "group"),
    "crisis": ("veilleur.commands.crisis", "app", "group"),
    "model": ("veilleur.commands.model", "app", "group"),
    "survey": ("veilleur.commands.surveys", "mount", "survey"),
    "publish": ("veilleur.commands.publish", "app", "group"),
    "privacy": ("veilleur.commands.privacy", "app", "group"),
    "console": ("veilleur.commands.console", "app", "group"),
    "classify": ("veilleur.commands.classify", "classify", "command"),
    "extract": ("veilleur.commands.extract", "extract_command", "command"),
    "report": ("veilleur.commands.report", "report", "command"),
    "rollups": ("veilleur.commands.rollups", "rollups", "command"),
}


def _program_args() -> list[str]:
    """The command line when this process is `veilleur` itself; empty when another program (a test runner, whose
    arguments mean something else) imports the app, which then gets every subcommand."""
    program = Path(sys.argv[0])
    return sys.argv if program.name == "veilleur" or program.parent.name == "veilleur" else []


def _mount(argv: list[str]) -> None:
    import importlib

    asked = next((arg for arg in argv[1:] if not arg.startswith("-")), None)
    names = [asked] if asked in SUBCOMMANDS else list(SUBCOMMANDS)
    for name in names:
        module, attribute, kind = SUBCOMMANDS[name]
        target = getattr(importlib.import_module(module), attribute)
        if kind == "group":
            app.add_typer(target, name=name)
        elif kind == "command":
            app.command(name)(target)
        else:  # the survey group is declared here (orders import) and completed by its module
            target(survey)
            app.add_typer(survey, name=name)


_mount(_program_args())


def main() -> None:
    try:
        app()
    except SettingsError as error:  # raised from deeper code paths, e.g. a child job
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
