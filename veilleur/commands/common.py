"""What every `veilleur` command shares: the --settings option, and settings that load or stop the command with
the error naming the file and the key (exit code 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from config.settings import Settings, SettingsError, load_settings

SettingsOption = Annotated[Path, typer.Option("--settings", help="settings file")]
_errors = Console(stderr=True, highlight=False)


def settings_or_exit(path: Path, brand: str | None = None) -> Settings:
    """The settings at `path` (and, if given, check the brand is declared), or exit 2 with the reason."""
    try:
        settings = load_settings(path)
        if brand is not None:
            settings.brand(brand)
    except SettingsError as error:
        _errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    return settings
