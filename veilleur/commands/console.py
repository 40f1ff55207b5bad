"""`veilleur console hash-password`: the hash to put in `[console] users` for a local account."""

from __future__ import annotations

import sys

import typer

from veilleur.commands.common import command_group
from web.console.passwords import hash_password

app = command_group("The moderation console (served by `veilleur serve` at /console).")


@app.command("hash-password")
def hash_password_command() -> None:
    """Ask for a password (twice) and print its scrypt hash, for `password_hash` in `[console] users`."""
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:  # piped: `printf '%s' "$PASSWORD" | veilleur console hash-password`
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        typer.echo("error: use at least 8 characters", err=True)
        raise typer.Exit(2)
    typer.echo(hash_password(password))
