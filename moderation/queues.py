"""The moderators' queues as queries: which mentions each queue holds, why they are there, in what order.

`veilleur queue list`, the console's queue pages and its dashboard all build on these, so they always agree."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, or_, select
from sqlalchemy.orm import aliased

from models import Brand, Mention, MentionStatus, ModerationEvent, Source
from models.relevance import on_topic

S = MentionStatus

QUEUES = {
    "to_publish": "own reviews with consent waiting for approval",
    "to_reply": "reviews waiting for the brand's answer (SLA)",
    "flagged": "mentions to watch (abusive posts, troll signals, negative mentions)",
    "rejected": "rejected reviews, with their reason",
    "published": "reviews on the brand's site",
    "off_topic": "mentions that are not about the brand (its query, its relevance score, a moderator's mark)",
}


def queue_condition(queue: str) -> ColumnElement[bool]:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}: one of {', '.join(QUEUES)}")
    if queue == "off_topic":
        return ~on_topic()
    # Off-topic mentions are listed apart, in their own queue only.
    return and_(on_topic(), _queue_condition(queue))


def _queue_condition(queue: str) -> ColumnElement[bool]:
    if queue == "to_reply":
        # Waiting for the brand's answer whatever its publication state (the reply queue is orthogonal).
        waiting = and_(
            Mention.reply_due_at.is_not(None),
            Mention.reply_text.is_(None),
            Mention.status.not_in((S.REJECTED, S.WITHDRAWN)),
        )
        return or_(waiting, Mention.status == S.TO_REPLY)
    status = {"to_publish": S.TO_PUBLISH, "flagged": S.WATCH, "rejected": S.REJECTED, "published": S.PUBLISHED}
    return Mention.status == status[queue]


def written_at() -> ColumnElement[Any]:
    """When the mention was written, or collected when the source does not say."""
    return func.coalesce(Mention.published_at, Mention.collected_at)


def most_urgent_first() -> tuple[Any, ...]:
    """The reply deadline first; then the oldest mention (the publication delay runs from its date)."""
    return (Mention.reply_due_at.is_(None), Mention.reply_due_at, written_at(), Mention.id)


def latest(model: Any, *where: ColumnElement[bool]) -> Subquery:
    """The newest row of `model` per mention (by id), as a subquery of (mention_id, latest_id)."""
    return (
        select(model.mention_id, func.max(model.id).label("latest_id")).where(*where).group_by(model.mention_id)
    ).subquery()


def with_route_rule(query: Any) -> tuple[Any, ColumnElement[str]]:
    """`query` joined to the router's latest decision on each mention, and the rule it applied (e.g. `abusive`)."""
    latest_route = latest(ModerationEvent, ModerationEvent.action == "route")
    route = aliased(ModerationEvent)
    query = query.outerjoin(latest_route, latest_route.c.mention_id == Mention.id).outerjoin(
        route, route.id == latest_route.c.latest_id
    )
    return query, route.details["rule"].as_string()


def assigned_to(names: Collection[str]) -> ColumnElement[bool]:
    """Assigned to one of these names (every stored spelling of one person: config/people.py); none given,
    unassigned. The console's assignee filter and `queue list --assignee` both."""
    return Mention.assignee.in_(sorted(names)) if names else Mention.assignee.is_(None)


def queue_query(
    queue: str, brand: str | None = None, rule: str | None = None, assignees: Collection[str] | None = None
) -> Select[Any]:
    """Rows of (mention, rule) in `queue`, most urgent first; only `brand`'s, only those routed by `rule`, only
    those `assigned_to(assignees)` when given."""
    condition = queue_condition(queue)
    query, applied = with_route_rule(select(Mention).join(Source, Mention.source_id == Source.id))
    query = query.add_columns(applied).where(condition)
    if brand is not None:
        query = query.join(Brand, Source.brand_id == Brand.id).where(Brand.slug == brand)
    if rule is not None:
        query = query.where(applied == rule)
    if assignees is not None:
        query = query.where(assigned_to(assignees))
    return query.order_by(*most_urgent_first())
