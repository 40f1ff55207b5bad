"""`veilleur extract KIND PATH_OR_URL`: print what a source kind extracts from one page, as JSON lines."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def extract_command(
    kind: Annotated[str, typer.Argument(help="source kind, e.g. trustpilot, app_store, feed")],
    path_or_url: Annotated[str, typer.Argument(help="a saved page or an http(s) URL")],
) -> None:
    """Print the reviews/mentions one page gives (one JSON object per line), then a line with the count.
    Use it to check a new source before scheduling it; nothing is stored."""
    from crawlers.extract import ExtractError, extract

    try:
        rows = extract(kind, path_or_url)
    except ExtractError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False))
    typer.echo(json.dumps({"count": len(rows)}))
