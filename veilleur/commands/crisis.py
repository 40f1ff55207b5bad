"""`veilleur crisis ...`: the crisis cells (alerts/crisis_cell.py): list them, show one's timeline, close one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from alerts.crisis_cell import CellNotOpen, close
from models.crisis_cells import CrisisCell, CrisisEvent, duration_words, summarise
from veilleur.commands.common import SettingsOption, command_group, open_context, settings_or_exit

app = command_group("Crisis cells: one Slack channel per crisis, its timeline, its summary.")


@app.command("list")
def list_cells(settings: SettingsOption = Path("settings.toml")) -> None:
    """Every crisis cell, open ones first: its id, channel, when it opened, and who closed it."""
    context = open_context(settings, settings_or_exit(settings))
    try:
        with context.sessions.begin() as session:
            cells = session.scalars(select(CrisisCell).order_by(CrisisCell.closed_at.is_not(None), CrisisCell.id))
            for cell in cells:
                state = f"closed by {cell.closed_by} at {cell.closed_at:%Y-%m-%d %H:%M}" if cell.closed_at else "OPEN"
                typer.echo(f"{cell.id}\t#{cell.channel_name}\topened {cell.opened_at:%Y-%m-%d %H:%M} UTC\t{state}")
    finally:
        context.close()


@app.command("show")
def show(cell_id: int, settings: SettingsOption = Path("settings.toml")) -> None:
    """The cell's timeline (alerts, mentions, actions, the closing) and its summary so far."""
    context = open_context(settings, settings_or_exit(settings))
    try:
        with context.sessions.begin() as session:
            cell = session.get(CrisisCell, cell_id)
            if cell is None:
                typer.echo(f"no crisis cell {cell_id}", err=True)
                raise typer.Exit(1)
            events = session.scalars(
                select(CrisisEvent).where(CrisisEvent.cell_id == cell_id).order_by(CrisisEvent.at, CrisisEvent.id)
            )
            for event in events:
                typer.echo(f"{event.at:%Y-%m-%d %H:%M} UTC\t{event.kind}\t{' '.join(event.text.split())[:160]}")
            _print_summary(summarise(session, cell, datetime.now(UTC)))
    finally:
        context.close()


@app.command("close")
def close_command(
    cell_id: int,
    actor: Annotated[str, typer.Option("--by", help="who closes it, for the timeline")] = "cli",
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Close a crisis: its timeline stops, the summary is posted in its channel and goes to the reports."""
    context = open_context(settings, settings_or_exit(settings))
    try:
        with context.sessions.begin() as session:
            summary = close(session, cell_id, f"cli:{actor}" if actor != "cli" else "cli", datetime.now(UTC))
    except CellNotOpen as refusal:
        typer.echo(str(refusal), err=True)
        raise typer.Exit(1) from None
    finally:
        context.close()
    typer.echo(f"crisis {cell_id} closed: the next crisis-cells job posts the summary in its channel")
    _print_summary(summary)


def _print_summary(summary) -> None:  # type: ignore[no-untyped-def]
    peak = f"{summary.peak} in the hour from {summary.peak_at:%Y-%m-%d %H:%M} UTC" if summary.peak_at else "none"
    typer.echo(f"duration {duration_words(summary.duration)}, {summary.mentions} mentions, peak {peak}")
    typer.echo(
        f"reach {summary.reach:,}, replies {summary.replies},"
        f" first reply after {duration_words(summary.first_reply_after)}"
    )
