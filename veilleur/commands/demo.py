"""`veilleur demo`'s last lines: what to try next, with the ids of this run. Nothing is published without a
moderator (DESIGN: semi-automatic publishing), so the demo's widget stays empty until one approves a review: the
demo says how, rather than approving in the moderator's place."""

from __future__ import annotations

from rich.console import Console
from sqlalchemy import func, select

from config.settings import Settings
from moderation.queues import queue_query
from scheduler.context import Context
from surveys.invitations import base_url


def next_steps(context: Context, config: Settings, console: Console) -> None:
    slug = config.brands[0].slug
    with context.sessions() as session:
        first = session.execute(queue_query("to_publish", slug).limit(1)).first()
        waiting = session.scalar(select(func.count()).select_from(queue_query("to_publish", slug).subquery()))
        published = session.scalar(select(func.count()).select_from(queue_query("published", slug).subquery()))
    site = base_url(config)
    console.print("next, as a moderator (docs/moderation.md):")
    console.print(
        f"  veilleur queue list to_publish    {_reviews(waiting)} with consent waiting for approval", soft_wrap=True
    )
    if first is not None:
        mention = first[0]
        rating = f", {mention.rating:g}/{mention.rating_best or 5:g}" if mention.rating is not None else ""
        console.print(f"  veilleur queue approve {mention.id:<10} publishes the first one{rating}", soft_wrap=True)
    widget = f"{site}/feed/{slug}.html (the widget: {_reviews(published)} published)"
    console.print(
        f"  veilleur serve                    then open {widget} and {site}/disclosure/{slug}.html", soft_wrap=True
    )


def _reviews(count: int) -> str:
    return f"{count} review" + ("" if count == 1 else "s")
