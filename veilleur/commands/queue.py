"""`veilleur queue list|show|approve|reject|reply|assign|handled|dismiss|correct|undo|corrections`: moderation from the
terminal. Every action goes through moderation/workflow.py, as Slack buttons and the console do, and is
audited with `cli:<user>` as the actor."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Classification, Correction, Mention, MentionStatus, ModerationEvent, RejectionReason
from veilleur.commands.common import SettingsOption, command_group, open_context, print_error, settings_or_exit

if TYPE_CHECKING:
    from config.people import People
    from config.settings import Settings
    from scheduler.context import Context

app = command_group("Moderation queues: list, show and act on reviews.")
console = Console(highlight=False, markup=False)
ActorOption = Annotated[str | None, typer.Option("--as", help="who acts (default: your login name)")]
IdsArgument = Annotated[list[int], typer.Argument(help="mention ids")]
AssigneeOption = Annotated[
    str | None,
    typer.Option(help="only those assigned to this console account (or Slack user: slack:U…); none: unassigned"),
]


@contextmanager
def _context(path: Path) -> Iterator[Context]:
    """The database and settings for one command, closed however the command ends."""

    context = open_context(path, settings_or_exit(path))
    try:
        yield context
    finally:
        context.close()


def _actor(name: str | None) -> str:
    return f"cli:{name or getpass.getuser()}"


@app.command("list")
def list_queue(
    queue: Annotated[
        str | None, typer.Argument(help="to_publish, to_reply, flagged, rejected or published (none: every queue)")
    ] = None,
    brand: Annotated[str | None, typer.Option(help="brand slug")] = None,
    rule: Annotated[str | None, typer.Option(help="only mentions routed by this rule (e.g. abusive, troll)")] = None,
    assignee: AssigneeOption = None,
    limit: Annotated[int, typer.Option(help="rows shown")] = 50,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """The queue, most urgent first: id, source, rating, language, SLA, assignee, why it is there, first words.
    Without a queue: every queue and how many it holds."""
    from moderation.deadlines import sla_state
    from moderation.queues import queue_query

    if queue is None:
        _list_queues(settings, brand, rule, assignee)
        return
    with _context(settings) as context:
        people = context.settings.console.people()
        try:
            query = queue_query(queue, brand, rule, _assignees(people, assignee))
        except ValueError as error:
            print_error(console, str(error))
            raise typer.Exit(2) from None
        now = datetime.now(UTC)
        near = timedelta(hours=context.settings.moderation.reply_reminder_hours)
        with context.sessions() as session:
            rows = session.execute(query.limit(limit)).all()
            total = _count(session, query) if len(rows) == limit else len(rows)
            lines, styles = [], []
            for mention, routed_by in rows:
                # History (a first crawl, an old review) has no deadline: "backlog" says why.
                due = mention.reply_due_at.strftime("%d/%m %H:%M") if mention.reply_due_at else ""
                due = due or ("backlog" if mention.backlog and queue == "to_reply" else "")
                state = sla_state(mention, now, near)
                lines.append(
                    (
                        str(mention.id),
                        mention.source.name,
                        f"{mention.rating:g}/{mention.rating_best or 5:g}" if mention.rating is not None else "",
                        mention.language or "",
                        f"{due} {state}" if state else due,
                        people.shown(mention.assignee) if mention.assignee else "",
                        (mention.relevance_reason or "") if queue == "off_topic" else (routed_by or ""),
                        " ".join((((mention.title + ". ") if mention.title else "") + mention.text).split())[:200],
                    )
                )
                styles.append("red" if state == "late" else None)
        # One line per mention, whatever the terminal's width: columns empty in every row are left out, then the
        # least needed ones while the text would get under 20 characters; the text is cut with an ellipsis.
        names = ("id", "source", "rating", "lang", "reply due", "assignee", "rule", "text")
        widths = [max([len(name)] + [len(line[i]) for line in lines]) for i, name in enumerate(names)]
        shown = [i for i, name in enumerate(names) if name in ("id", "text") or any(line[i] for line in lines)]
        for dropped in ("lang", "assignee", "source", "rule", "rating"):
            room = console.width - sum(widths[i] + 3 for i in shown if names[i] != "text") - 4
            if room >= 20 or names.index(dropped) not in shown:
                continue
            shown.remove(names.index(dropped))
        room = console.width - sum(widths[i] + 3 for i in shown if names[i] != "text") - 4
        title = f"{queue} ({len(rows)} of {total} shown)"
        table = Table(title=title, min_width=len(title))
        for i in shown:
            width = min(widths[i], max(room, 12)) if names[i] == "text" else widths[i]
            table.add_column(names[i], no_wrap=True, overflow="ellipsis", width=width)
        for line, style in zip(lines, styles, strict=True):
            table.add_row(*[line[i] for i in shown], style=style)
        console.print(table)


def _count(session: Session, query) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _assignees(people: People, assignee: str | None) -> set[str] | None:
    """Every stored spelling of the person `--assignee` names ("alice", and "slack:U0123" when her account names
    that Slack user); "none": no names, the unassigned; no option: None, anyone's."""
    if assignee is None:
        return None
    return set() if assignee == "none" else people.names(assignee)


def _list_queues(settings: Path, brand: str | None, rule: str | None, assignee: str | None) -> None:
    """Every queue with its total, so none is forgotten because another was shown by default."""
    from moderation.queues import QUEUES, queue_query

    with _context(settings) as context, context.sessions() as session:
        names = _assignees(context.settings.console.people(), assignee)
        totals = {name: _count(session, queue_query(name, brand, rule, names)) for name in QUEUES}
    table = Table(title="queues")
    for name in ("queue", "total", "what it holds"):
        table.add_column(name, no_wrap=name != "what it holds", justify="right" if name == "total" else "left")
    for name, what in QUEUES.items():
        table.add_row(name, str(totals[name]), what)
    console.print(table)
    console.print("veilleur queue list QUEUE shows one; `queue dismiss` / `queue handled` empty the flagged queue.")


@app.command()
def show(mention_id: int, settings: SettingsOption = Path("settings.toml")) -> None:
    """One review: its text, dates, what the model said, why it was routed, its audit history."""
    with _context(settings) as context:
        with context.sessions() as session:
            mention = session.get(Mention, mention_id)
            if mention is None:
                print_error(console, f"no mention {mention_id}")
                raise typer.Exit(1)
            _print_mention(session, mention, context.settings)


def _when(moment: datetime | None, day_only: bool = False) -> str:
    if moment is None:
        return "-"
    return f"{moment:%Y-%m-%d}" if day_only else f"{moment:%Y-%m-%d %H:%M} UTC"


def _print_mention(session: Session, mention: Mention, settings: Settings) -> None:
    author = mention.author
    what = f" {mention.kind.value} from {mention.source.name} · {mention.status}"
    console.print(Text.assemble((f"#{mention.id}", "bold"), what))
    console.print(f"url: {mention.url or '-'}")
    console.print(
        f"author: {(author.display_name or '-') if author else '-'} ({author.handle[:12] if author else '-'})"
    )
    rating = f"{mention.rating:g}/{mention.rating_best or 5:g}" if mention.rating is not None else "-"
    product = settings.product_label(mention.source.brand.slug, mention.product) if mention.product else "-"
    console.print(f"rating: {rating} · language: {mention.language or '-'} · product: {product}")
    console.print(f"written: {_when(mention.published_at)} · experienced: {_when(mention.experienced_at, True)}")
    assignee = settings.console.people().shown(mention.assignee) if mention.assignee else "-"
    console.print(f"reply due: {_when(mention.reply_due_at)} · assignee: {assignee}")
    if mention.relevance_reason:
        flag = "OFF-TOPIC" if mention.off_topic else "about the brand"
        console.print(f"relevance: {flag} ({mention.relevance_reason})", style="yellow" if mention.off_topic else None)
    if mention.title:
        console.print(mention.title, style="bold")
    console.print(mention.text)
    if mention.reply_text:
        console.print(f"reply ({_when(mention.reply_at)}):")
        console.print(mention.reply_text)
    classification = session.scalars(
        select(Classification).where(Classification.mention_id == mention.id).order_by(Classification.id.desc())
    ).first()
    if classification is not None:
        console.print(
            f"model {classification.model_name}@{classification.model_version}: {classification.sentiment}, "
            f"{classification.stars:.1f} stars, toxic {classification.toxic:.2f}, spam {classification.spam:.2f}"
        )
    events = session.scalars(
        select(ModerationEvent).where(ModerationEvent.mention_id == mention.id).order_by(ModerationEvent.id)
    ).all()
    for event in events:
        console.print(
            f"  {event.at:%Y-%m-%d %H:%M} {event.actor}: {event.action} {event.from_status} -> {event.to_status}"
            f" ({event.reason})",
        )


def _act(settings: Path, ids: list[int], action) -> None:  # type: ignore[no-untyped-def]
    """Run the action on each id in its own savepoint; report each; exit 1 if any did not apply."""
    from moderation.workflow import bulk

    with _context(settings) as context:
        with context.sessions.begin() as session:
            result = bulk(session, ids, lambda mention_id: action(session, mention_id))
        for mention_id in result.done:
            console.print(f"#{mention_id}: done")
        for mention_id, error in result.failed.items():
            console.print(f"#{mention_id}: {error}", style="red")
    if result.failed:
        raise typer.Exit(1)


@app.command()
def approve(ids: IdsArgument, who: ActorOption = None, settings: SettingsOption = Path("settings.toml")) -> None:
    """Publish these reviews (one or many)."""
    from moderation.workflow import publish

    _act(settings, ids, lambda session, mention_id: publish(session, mention_id, _actor(who)))


@app.command()
def reject(
    ids: IdsArgument,
    reason: Annotated[str, typer.Option(help=", ".join(r.value for r in RejectionReason))],
    note: Annotated[str, typer.Option(help="a note for the audit log")] = "",
    yes: Annotated[bool, typer.Option("--yes", help="withdraw published reviews without asking")] = False,
    who: ActorOption = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Reject (or withdraw, if published) with one reason from the fixed list; the author is told. Withdrawing a
    published review asks for confirmation (--yes, or a question on a terminal)."""
    from moderation.workflow import reject as reject_one

    try:
        chosen = RejectionReason(reason)
    except ValueError:
        print_error(console, f"unknown reason {reason!r}: one of {', '.join(r.value for r in RejectionReason)}")
        raise typer.Exit(2) from None
    published = _published(settings, ids)
    if published and not yes:
        # Taking a review off the brand's site is seen by the public and the author: never by a slip of an id.
        listed = ", ".join(f"#{i}" for i in published)
        what = (
            f"{listed} {'is' if len(published) == 1 else 'are'} published: rejecting withdraws "
            f"{'it' if len(published) == 1 else 'them'} from the brand's site (the site is told), "
            f"and the author is told why ({chosen.value})."
        )
        if not sys.stdin.isatty():
            print_error(console, f"{what} Nothing done: run again with --yes to withdraw.")
            raise typer.Exit(2)
        if not typer.confirm(f"{what} Withdraw?", default=False):
            console.print("nothing done")
            raise typer.Exit(1)
    _act(settings, ids, lambda session, mention_id: reject_one(session, mention_id, _actor(who), chosen, note))


def _published(settings: Path, ids: list[int]) -> list[int]:
    with _context(settings) as context, context.sessions() as session:
        published = select(Mention.id).where(Mention.id.in_(ids), Mention.status == MentionStatus.PUBLISHED)
        return list(session.scalars(published.order_by(Mention.id)))


@app.command()
def reply(
    mention_id: int,
    text: Annotated[str | None, typer.Option(help="the reply")] = None,
    template: Annotated[
        str | None, typer.Option(help="a reply template name from [moderation.reply_templates]")
    ] = None,
    who: ActorOption = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Record the brand's reply (shown with the review when it is published)."""
    from moderation.replies import TemplateError, render_template
    from moderation.workflow import reply as reply_one

    if (text is None) == (template is None):
        print_error(console, "give either --text or --template")
        raise typer.Exit(2)
    with _context(settings) as context:
        templates = context.settings.moderation.reply_templates
        with context.sessions() as session:
            mention = session.get(Mention, mention_id)
            try:
                body = text if text is not None else render_template(templates, mention, template or "")
            except TemplateError as error:
                print_error(console, str(error))
                raise typer.Exit(2) from None
    _act(settings, [mention_id], lambda session, one: reply_one(session, one, _actor(who), body))


@app.command()
def assign(
    ids: IdsArgument,
    to: Annotated[str, typer.Option(help="who will handle it")],
    who: ActorOption = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Give these reviews to someone (--to): the console and `queue list` show who handles each."""
    from moderation.workflow import assign as assign_one

    _act(settings, ids, lambda session, mention_id: assign_one(session, mention_id, _actor(who), to))


@app.command()
def offtopic(
    ids: IdsArgument,
    relevant: Annotated[bool, typer.Option("--relevant", help="mark them about the brand after all")] = False,
    who: ActorOption = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Mark these mentions off-topic (not about the brand), or --relevant; the relevance score learns from both."""
    from moderation.relevance.marks import mark

    _act(settings, ids, lambda session, mention_id: mark(session, mention_id, _actor(who), relevant))


@app.command()
def handled(ids: IdsArgument, who: ActorOption = None, settings: SettingsOption = Path("settings.toml")) -> None:
    """The brand answered elsewhere: take these out of the reply queue."""
    from moderation.workflow import mark_handled

    _act(settings, ids, lambda session, mention_id: mark_handled(session, mention_id, _actor(who)))


@app.command()
def dismiss(
    ids: Annotated[list[int] | None, typer.Argument(help="mention ids in the flagged queue")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="every flagged mention (narrowed by --rule and --brand)")
    ] = False,
    rule: Annotated[str | None, typer.Option(help="with --all: only those routed by this rule (e.g. post)")] = None,
    brand: Annotated[str | None, typer.Option(help="with --all: only this brand's")] = None,
    who: ActorOption = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Seen, nothing to do: take these watched mentions out of the flagged queue (undo puts one back)."""
    from moderation.queues import queue_query
    from moderation.workflow import dismiss as dismiss_one

    if bool(ids) == every:
        print_error(console, "give mention ids, or --all (with --rule / --brand to narrow it)")
        raise typer.Exit(2)
    if every:
        with _context(settings) as context, context.sessions() as session:
            ids = [mention.id for mention, _ in session.execute(queue_query("flagged", brand, rule))]
        if not ids:
            console.print("nothing to dismiss")
            return
    _act(settings, ids or [], lambda session, mention_id: dismiss_one(session, mention_id, _actor(who)))


@app.command()
def correct(
    mention_id: int,
    task: Annotated[str, typer.Option(help="sentiment, stars, toxic or spam")],
    label: Annotated[str, typer.Option(help="negative|neutral|positive, 1-5, or 0|1")],
    who: ActorOption = None,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Correct the classifier ("this is not abusive": --task toxic --label 0); kept as a training label."""
    from moderation.workflow import correct as correct_one

    _act(settings, [mention_id], lambda session, one: correct_one(session, one, _actor(who), task, label))


@app.command()
def undo(mention_id: int, who: ActorOption = None, settings: SettingsOption = Path("settings.toml")) -> None:
    """Undo the last action on a review, within [moderation] undo_minutes."""
    from moderation.workflow import undo as undo_one

    window = timedelta(minutes=settings_or_exit(settings).moderation.undo_minutes)
    _act(settings, [mention_id], lambda session, one: undo_one(session, one, _actor(who), window))


@app.command()
def corrections(
    out: Annotated[Path, typer.Option(help="JSONL file for `veilleur model train --corrections`")],
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Export moderators' corrections as training labels ({"text", "task", "label"} per line)."""
    rows = stored_corrections(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as file:
        for text, task, label in rows:
            file.write(json.dumps({"text": text, "task": task, "label": label}, ensure_ascii=False) + "\n")
    console.print(f"{out}: {len(rows)} corrections")


def stored_corrections(settings: Path) -> list[tuple[str, str, str]]:
    """(text, task, label) for every stored correction, oldest first. The model reads the title with the text
    (moderation/jobs.py): so does its training."""
    with _context(settings) as context, context.sessions() as session:
        rows = session.execute(
            select(Mention.title, Mention.text, Correction.task, Correction.label)
            .join(Mention, Mention.id == Correction.mention_id)
            .order_by(Correction.id)
        ).all()
    return [(f"{title}. {text}" if title else text, task, label) for title, text, task, label in rows]
