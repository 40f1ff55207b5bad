"""`veilleur rollups [--rebuild] [--check]`: the daily rollups reports count from (models/rollups.py). Without an
option: recompute the days changed since the last report. Reports refresh them themselves; this is for an
upgrade (compute them all before the first report) and for peace of mind (compare them with the rows)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from veilleur.commands.common import open_context, print_error, settings_or_exit

console = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, markup=False)


def rollups(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="recompute every day from the rows")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="compare the rollups with the rows; exit 1 if they differ")
    ] = False,
    settings: Annotated[Path, typer.Option("--settings", help="settings file")] = Path("settings.toml"),
) -> None:
    """Refresh, rebuild or check the daily rollups of mentions and topics."""
    from models import rollups as daily

    config = settings_or_exit(settings, need_brand=False)
    context = open_context(settings, config)
    try:
        began = time.perf_counter()
        with context.sessions.begin() as session:
            if rebuild:
                daily.rebuild(session)
                console.print(f"rollups rebuilt from the rows in {time.perf_counter() - began:.1f} s")
            else:
                days = daily.refresh(session)
                console.print(f"rollups: {days} day(s) of a source recomputed in {time.perf_counter() - began:.1f} s")
        if check:
            with context.sessions.begin() as session:
                problems = daily.check(session)
            for problem in problems:
                print_error(err, problem)
            if problems:
                raise typer.Exit(1)
            console.print("rollups agree with the rows")
    finally:
        context.close()
