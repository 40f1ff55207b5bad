"""`veilleur alerts retry`: queue alerts that failed for good (a refusal, or two days of outage) to be sent again
by the next `send` job, once the cause is fixed (the bot invited to the channel, the token renewed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alerts.outbox import ALERTS
from veilleur.commands.common import SettingsOption, command_group, open_context, settings_or_exit

app = command_group("The alert outbox.")


@app.command("retry")
def retry(
    ids: Annotated[list[int] | None, typer.Option("--id", help="only this failed alert (repeatable)")] = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Queue failed alerts again (all of them, or those given with --id); `veilleur status` lists them."""

    context = open_context(settings, settings_or_exit(settings))
    try:
        with context.sessions.begin() as session:
            queued = ALERTS.revive(session, ids or None)
    finally:
        context.close()
    typer.echo(f"{queued} alert(s) queued again: the next send job delivers them")
    if ids and queued < len(ids):
        typer.echo("the others given were not failed (sent, still pending, or unknown)", err=True)
