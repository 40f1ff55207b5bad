"""One review as a moderator sees it: the text, who wrote it and what else they wrote, why it was flagged, what
was done to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Classification, Mention, ModerationEvent, Publication


@dataclass
class ReviewView:
    mention: Mention
    brand: str
    source: str
    author_name: str | None
    author_handle: str | None
    other_posts: list[Mention]
    classification: Classification | None
    flag: dict[str, Any] | None  # the routing decision: rule, score, threshold, model
    events: list[ModerationEvent]
    publication: Publication | None


def load_review(session: Session, mention_id: int) -> ReviewView | None:
    mention = session.get(Mention, mention_id)
    if mention is None:
        return None
    author = mention.author
    others: list[Mention] = []
    if author is not None:
        others = list(
            session.scalars(
                select(Mention)
                .where(Mention.author_id == author.id, Mention.id != mention.id)
                .order_by(Mention.collected_at.desc(), Mention.id.desc())
                .limit(20)
            )
        )
    classification = session.scalars(
        select(Classification).where(Classification.mention_id == mention_id).order_by(Classification.id.desc())
    ).first()
    events = list(
        session.scalars(
            select(ModerationEvent).where(ModerationEvent.mention_id == mention_id).order_by(ModerationEvent.id)
        )
    )
    route = next((event for event in reversed(events) if event.action == "route"), None)
    return ReviewView(
        mention=mention,
        brand=mention.source.brand.slug,
        source=mention.source.name,
        # Minimised name and a short pseudonymous handle: enough to recognise a repeat author, no more.
        author_name=author.display_name if author else None,
        author_handle=author.handle[:8] if author else None,
        other_posts=others,
        classification=classification,
        flag=dict(route.details, reason=route.reason) if route else None,
        events=events,
        publication=session.scalar(select(Publication).where(Publication.mention_id == mention_id)),
    )


def last_action(session: Session, mention_id: int) -> ModerationEvent | None:
    """The event `workflow.undo` would put back (corrections are not undone)."""
    return session.scalars(
        select(ModerationEvent)
        .where(ModerationEvent.mention_id == mention_id, ModerationEvent.action != "correct")
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    ).first()
