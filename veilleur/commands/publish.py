"""`veilleur publish feed|disclosure|send`: the published feed and disclosure page as files, the webhook push."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console

from config.settings import Settings
from veilleur.commands.common import SettingsOption, command_group, open_context, settings_or_exit

if TYPE_CHECKING:
    from scheduler.context import Context

app = command_group("The published feed, the disclosure page and the webhook push.")
console = Console(highlight=False, markup=False)
BrandOption = Annotated[str, typer.Option("--brand", help="brand slug")]
OutOption = Annotated[Path | None, typer.Option("--out", help="file to write (default: standard output)")]


def _context(path: Path, settings: Settings) -> Context:
    return open_context(path, settings)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(out.suffix + ".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(out)  # the site never reads a half-written file
    console.print(f"wrote {out}", style="dim")


@app.command()
def feed(
    brand: BrandOption,
    format: Annotated[Literal["json", "html", "js"], typer.Option("--format")] = "json",
    language: Annotated[Literal["fr", "en"], typer.Option("--language", help="labels of the widget")] = "fr",
    out: OutOption = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """The brand's published reviews: JSON, or the widget as an HTML fragment or a script (schema.org JSON-LD)."""
    from moderation.publishing.feed import feed_entries, feed_json
    from moderation.publishing.widget import STYLE_HASH, brand_widget, unnamed_products, widget_script

    config = settings_or_exit(settings, brand)
    context = _context(settings, config)
    try:
        with context.sessions() as session:
            entries = feed_entries(session, brand)
    finally:
        context.close()
    if format == "json":
        _write(feed_json(entries), out)
        return
    html = brand_widget(config, entries, brand, language)
    _write(html if format == "html" else widget_script(html), out)
    unnamed = unnamed_products(config, entries, brand)
    if unnamed:
        # Said on stderr: the widget shows these reviews without their product, and Google gets none of them.
        typer.echo(f"no name in [brands.products] for: {', '.join(unnamed)} (shown without a product)", err=True)
    typer.echo(f"Content-Security-Policy for the widget's style: style-src '{STYLE_HASH}'", err=True)


@app.command()
def disclosure(brand: BrandOption, out: OutOption = None, settings: SettingsOption = Path("settings.toml")) -> None:
    """The disclosure page (how reviews are checked, reasons, delays, retention), from settings."""
    from moderation.publishing.disclosure import render_disclosure

    _write(render_disclosure(settings_or_exit(settings, brand), brand), out)


@app.command()
def send(settings: SettingsOption = Path("settings.toml")) -> None:
    """Push every due feed change to publishing.webhook_url once (the worker does this every minute)."""
    from scheduler.jobs import send_webhooks

    config = settings_or_exit(settings)
    if not config.publishing.webhook_url:
        console.print("no publishing.webhook_url in settings: nothing is pushed (changes wait in webhook_delivery)")
        return
    context = _context(settings, config)
    try:
        result = send_webhooks(context)
    finally:
        context.close()
    console.print(f"webhook: {result.sent} delivered, {result.failed} failed (retried later)")
    raise typer.Exit(1 if result.failed else 0)
