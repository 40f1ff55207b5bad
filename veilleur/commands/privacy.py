"""`veilleur privacy erase|retention`: remove a person everywhere; apply the retention periods now."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from veilleur.commands.common import SettingsOption, command_group, open_context, print_error, settings_or_exit

app = command_group("Personal data: erasure on request and retention.")
console = Console(highlight=False, markup=False)


@app.command()
def erase(
    author: Annotated[str | None, typer.Option("--author", help="author handle (or its first 12 characters)")] = None,
    name: Annotated[str | None, typer.Option("--name", help="the author's name, exactly (any case)")] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help="the person's e-mail address (reviews and survey orders)")
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="who asks (audit); default cli:USER")] = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Remove a person from every table, the outbox and the published feed (the site is told), with an audit;
    write again the report files that quote them."""
    from moderation.privacy import PrivacyError, erase_author
    from scheduler import jobs

    # No brand needed: the data stays when brands leave the settings, and so does the duty to erase it.
    context = open_context(settings, settings_or_exit(settings, need_brand=False))
    try:
        with context.sessions.begin() as session:
            result = erase_author(
                session, handle=author, name=name, contact=contact, actor=actor or f"cli:{getpass.getuser()}"
            )
        rewritten = jobs.rewrite_reports(context) if result.reports_to_rewrite else jobs.Rewritten()
        mails = jobs.erase_from_mail_sink(context, result.needles)
    except PrivacyError as error:
        print_error(console, str(error))
        raise typer.Exit(1) from None
    finally:
        context.close()
    console.print(
        f"erased {result.authors} author(s): {result.mentions} review(s) ({result.withdrawn} withdrawn from the"
        f" feed), {result.alerts} alert(s) scrubbed, {result.notices_deleted} unsent notice(s) deleted,"
        f" {result.notices_scrubbed} sent notice(s) scrubbed"
    )
    surveys = result.surveys
    if surveys.orders or surveys.opt_outs:
        console.print(
            f"{surveys.orders} survey order(s) stripped of them: {surveys.messages_deleted} unsent invitation(s)"
            f" deleted, {surveys.messages_scrubbed} sent one(s) scrubbed, {surveys.answers_deleted} unfiled"
            f" answer(s) deleted, {surveys.answers_scrubbed} filed one(s) scrubbed; {surveys.opt_outs} opt-out(s)"
            " kept as a keyed hash of the address (a later import of it is still refused an invitation)"
        )
    console.print(
        f"{result.messages_rewritten} message(s) already posted to Slack (or the local sink) queued to be rewritten"
        " without them: the worker's alert job sends the edits; one it cannot make shows in `veilleur status`."
    )
    console.print(
        f"{len(rewritten.written)} report file(s) quoting them written again"
        + (f", {len(rewritten.forgotten)} deleted since" if rewritten.forgotten else "")
    )
    if rewritten.uploads_queued:
        console.print(
            f"{rewritten.uploads_queued} weekly report(s) already posted to Slack queued to be uploaded again"
            " (the earlier copy deleted)"
        )
    for path, reason in rewritten.failed:
        why = f" {path}: {reason} (the worker tries again; or delete the file)"
        console.print(Text.assemble(("not written again:", "red"), why))
    if mails:
        console.print(f"{mails} message(s) about them replaced in the local mail sink")
    console.print(
        "Not reached: e-mails already sent, report copies downloaded or forwarded, and report files written"
        " before Veilleur recorded them (migration 0008): write those again or delete them."
    )


@app.command()
def retention(settings: SettingsOption = Path("settings.toml")) -> None:
    """Apply privacy.pseudonymise_after_months and keep_removed_days now (the worker does it daily)."""
    from scheduler import jobs

    context = open_context(settings, settings_or_exit(settings, need_brand=False))
    try:
        authors, removed = jobs.retention(context)
        orders = jobs.survey_retention(context)
    finally:
        context.close()
    console.print(
        f"pseudonymised {authors} author(s); text dropped from {removed} removed review(s);"
        f" {orders} survey order(s) stripped of their customer"
    )
