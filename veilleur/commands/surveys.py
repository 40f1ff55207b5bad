"""`veilleur survey orders import|send|bounce|link|figures`: the post-purchase survey (surveys/, docs/surveys.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from veilleur.commands.common import SettingsOption, command_group, open_context, print_error, settings_or_exit

if TYPE_CHECKING:
    from config.settings import Settings
    from scheduler.context import Context

console = Console(markup=False, highlight=False, soft_wrap=True)  # a line per result: greppable
orders = command_group("The brand's orders, whose customers are invited to the survey.")
BrandOption = Annotated[str, typer.Option("--brand")]


@contextmanager
def _opened(path: Path, config: Settings) -> Iterator[Context]:
    """The database for one command, closed however the command ends."""
    context = open_context(path, config)
    try:
        yield context
    finally:
        context.close()


@orders.command("import")
def orders_import(
    path: Annotated[Path, typer.Argument(help="CSV or JSON (fields: docs/surveys.md)")],
    brand: BrandOption,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Import orders: every row is checked first; one bad row and nothing is imported."""
    from models import Brand
    from surveys.orders import OrdersFileError, read_orders, store_orders

    config = settings_or_exit(settings, brand)
    try:
        body = path.read_bytes()
    except OSError as error:
        print_error(console, f"{path}: cannot read the file: {error.strerror}")
        raise typer.Exit(2) from None
    with _opened(settings, config) as context:
        with context.sessions.begin() as session:
            row = session.scalar(select(Brand).where(Brand.slug == brand))
            assert row is not None  # settings_or_exit checked the brand; the context mirrored it
            try:
                result = store_orders(session, row.id, read_orders(body, path.name), config.surveys.campaign)
            except OrdersFileError as error:
                print_error(console, f"{path}: {len(error.problems)} problem(s), nothing imported")
                for problem in error.problems:
                    console.print(f"  {problem}")
                raise typer.Exit(1) from None
        console.print(
            f"{path}: {result.rows} orders, {result.new} new, {result.delivered} newly delivered,"
            f" {result.unchanged} unchanged"
        )


def send(settings: SettingsOption = Path("settings.toml")) -> None:
    """Queue the invitations and reminders due, send them, and file answers whose edit window is over."""
    from scheduler.survey_jobs import file_answers, invite

    config = settings_or_exit(settings)
    with _opened(settings, config) as context:
        queued = invite(context)
        filed = file_answers(context)
        console.print(
            f"queued {queued.invitations} invitations and {queued.reminders} reminders"
            f" (not invited: {queued.capped} by the cap, {queued.opted_out} opted out, {queued.stale} too old);"
            f" sent {queued.sent}, failed {queued.failed}; answers filed as reviews {filed}"
        )
        if not config.moderation.smtp.host:
            console.print(f"mail sink (no SMTP host set): {config.path(config.moderation.smtp.sink_path)}")


def bounce(
    email: str,
    brand: BrandOption,
    complaint: Annotated[bool, typer.Option("--complaint", help="a spam complaint rather than a bounce")] = False,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Record a bounce (or a complaint): the address gets no further invitation, and what is queued is dropped."""
    from models import Brand, utcnow
    from surveys.optouts import opt_out

    config = settings_or_exit(settings, brand)
    with _opened(settings, config) as context:
        reason = "complaint" if complaint else "bounce"
        with context.sessions.begin() as session:
            row = session.scalar(select(Brand).where(Brand.slug == brand))
            assert row is not None
            new = opt_out(session, row.id, email, reason, utcnow())
        console.print(f"{email}: {reason} recorded" if new else f"{email}: already opted out (kept as it was)")


def link(
    order_ref: str,
    brand: BrandOption,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """Print the survey link of one order (valid [surveys] link_days from now): to try the form."""
    from models import Brand, SurveyOrder, utcnow
    from surveys.invitations import form_link

    config = settings_or_exit(settings, brand)
    with _opened(settings, config) as context:
        with context.sessions.begin() as session:
            order = session.scalar(
                select(SurveyOrder).join(Brand).where(Brand.slug == brand, SurveyOrder.order_ref == order_ref)
            )
            if order is None:
                print_error(console, f"no order {order_ref!r} for brand {brand!r}")
                raise typer.Exit(1)
            console.print(form_link(session, config, order, utcnow()))


def figures(
    brand: BrandOption,
    days: Annotated[int, typer.Option("--days", help="the period: this many days up to now")] = 30,
    settings: SettingsOption = Path("settings.toml"),
) -> None:
    """True NPS, CSAT and CES from the answers; response rate by campaign; unsubscribe and bounce rates."""
    from models import Brand
    from reports.survey_figures import figure_lines, survey_figures

    config = settings_or_exit(settings, brand)
    with _opened(settings, config) as context:
        end = datetime.now(UTC)
        with context.sessions.begin() as session:
            row = session.scalar(select(Brand).where(Brand.slug == brand))
            assert row is not None
            for line in figure_lines(survey_figures(session, row.id, end - timedelta(days=days), end)):
                console.print(line)


def mount(survey: typer.Typer) -> None:
    survey.add_typer(orders, name="orders")
    survey.command("send")(send)
    survey.command("bounce")(bounce)
    survey.command("link")(link)
    survey.command("figures")(figures)


DEMO_ORDERS = "demo/orders_demo_SYNTHETIC.csv"  # under [demo] pages_dir


def demo(context, config) -> None:  # type: ignore[no-untyped-def]
    """`veilleur demo`'s survey part: import the demo brand's orders with their dates moved so that the latest
    delivery is due today, send the invitations (to the mail sink without an SMTP host), print one survey link."""
    from dataclasses import replace

    from models import Brand, SurveyMessage, SurveyOrder, utcnow
    from scheduler.survey_jobs import invite
    from surveys.invitations import form_link
    from surveys.orders import read_orders, store_orders

    path = config.path(config.demo.pages_dir) / DEMO_ORDERS
    read = read_orders(path.read_bytes(), path.name)
    latest = max(order.delivered_at for order in read if order.delivered_at)
    shift = utcnow() - timedelta(days=config.surveys.delay_days) - latest
    moved = [
        replace(o, ordered_at=o.ordered_at + shift, delivered_at=o.delivered_at and o.delivered_at + shift)
        for o in read
    ]
    slug = config.brands[0].slug
    with context.sessions.begin() as session:
        brand = session.scalar(select(Brand).where(Brand.slug == slug))
        stored = store_orders(session, brand.id, moved, config.surveys.campaign)
    queued = invite(context)
    console.print(
        f"survey: {stored.new} demo orders imported, {queued.invitations} invitations queued"
        f" ({queued.capped} held back by the cap), {queued.sent} sent"
    )
    with context.sessions.begin() as session:
        invited = session.execute(
            select(SurveyOrder, SurveyMessage.sent_at)
            .join(SurveyMessage, SurveyMessage.order_id == SurveyOrder.id)
            .where(SurveyMessage.kind == "invitation", SurveyMessage.sent_at.is_not(None))
            .order_by(SurveyOrder.id)
        ).first()
        if invited is not None:
            order, sent_at = invited
            console.print(f"survey link for order {order.order_ref} (run `veilleur serve`): ", end="")
            console.print(form_link(session, config, order, sent_at), soft_wrap=True)
