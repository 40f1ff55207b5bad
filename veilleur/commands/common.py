"""What every `veilleur` command shares: the --settings option, settings that load or stop the command with
the error naming the file and the key (exit code 2), and how an error is printed.

The commands' consoles are made with markup=False: what they print quotes names, paths, values and crawled text
from outside, and Rich would read "[demo]" in "brands[demo].sources" as a style tag (and drop it) or fail on
"[/x]". Colour is given with `style=` or Text, never with markup in the string."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from config.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from scheduler.context import Context

SettingsOption = Annotated[Path, typer.Option("--settings", help="settings file")]


def command_group(help: str) -> typer.Typer:
    """A group of commands whose help prints as written. Help is read as Markdown (`code` shows as code): with
    Typer's default, Rich markup, "[distributed] broker_url" printed as " broker_url", the section taken for a
    style tag and dropped (tests/skeleton/test_help.py)."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode="markdown")


_errors = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)  # one line per problem: greppable


def print_error(console: Console, message: str) -> None:
    """'error: MESSAGE', the prefix in red, the message printed exactly as it is."""
    console.print(Text.assemble(("error:", "red"), " ", message))


def settings_or_exit(path: Path, brand: str | None = None, need_brand: bool = True) -> Settings:
    """The settings at `path` (and, if given, check the brand is declared), or exit 2 with the reason.
    need_brand=False: for the commands that only use the classifier settings, a file with no brand is fine."""
    try:
        settings = load_settings(path, need_brand=need_brand)
        if brand is not None:
            settings.brand(brand)
    except SettingsError as error:
        print_error(_errors, str(error))
        raise typer.Exit(2) from None
    return settings


def open_context(path: Path, settings: Settings) -> Context:
    """The jobs' context (settings, database, migrations applied), or exit 2 naming the database when it cannot be
    reached or opened (server down, wrong password, a file it may not write): a sentence, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from scheduler.context import Context

    try:
        return Context(settings, path)
    except (SQLAlchemyError, OSError) as error:  # OSError: the SQLite file's folder cannot be made
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print_error(_errors, f"{path}: database.url: cannot open the database: {cause}")
        raise typer.Exit(2) from None
