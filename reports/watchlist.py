"""What needs handling now: products rated low over their last N reviews, replies past their deadline, crises."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from models import Alert, AlertKind, Mention, MentionStatus, Source
from models.alert_payloads import CrisisPayload
from models.relevance import on_topic
from reports.collect import when_column
from reports.deadlines import CLOSED, past_deadline, past_deadline_parts, waiting
from reports.figures import Backlog, Crisis, LateReply, ProductRating
from reports.topic_figures import _quote_text

LATE_SHOWN = 10


def low_products(
    session: Session,
    source_ids: Sequence[int],
    end: datetime,
    last_n: int,
    max_rating: float,
    candidates: Sequence[str] | None = None,
) -> list[ProductRating]:
    """Products whose last `last_n` rated reviews before `end` average `max_rating` or less (on 5).

    One small query per product, each reading its last reviews from ix_mention_product_when (product, date): a
    window over every rated review sorted a million rows on SQLite. `candidates`: names that include every
    product rated before `end` (reports/rollup_figures.product_names), else they are read from the rows (every
    rated review: seconds at ten million)."""
    when = when_column()
    rated = (
        Mention.source_id.in_(list(source_ids)),
        on_topic(),
        Mention.product.is_not(None),
        Mention.rating_normalised.is_not(None),
        when < end,
    )
    if candidates is None:
        products = session.scalars(select(Mention.product).where(*rated).group_by(Mention.product)).all()
    else:
        products = list(candidates)
    found = []
    for product in products:
        last = (
            select((1 + 4 * Mention.rating_normalised).label("rating"), when.label("when"))
            .where(Mention.product == product, *rated)
            .order_by(when.desc(), Mention.id.desc())
            .limit(last_n)
            .subquery()
        )
        reviews, average, latest = session.execute(
            select(func.count(), func.avg(last.c.rating), func.max(last.c.when))
        ).one()
        if reviews and average <= max_rating:
            found.append(ProductRating(str(product), reviews, float(average), latest))
    return sorted(found, key=lambda p: (p.average_rating, p.product))


def late_replies(session: Session, source_ids: Sequence[int], as_of: datetime) -> tuple[list[LateReply], Counter[str]]:
    """Reviews past their reply deadline at `as_of` (reports/deadlines.py, as every count of the report): the
    oldest ones, and the count per assignee."""
    brand = (Mention.source_id.in_(list(source_ids)), on_topic())
    late = (*brand, past_deadline(as_of))
    per_assignee: Counter[str] = Counter()
    for half in past_deadline_parts(as_of):
        counted = select(Mention.assignee, func.count()).where(*brand, half).group_by(Mention.assignee)
        for assignee, n in session.execute(counted):
            per_assignee[assignee or "unassigned"] += n
    when = when_column()
    rows = session.execute(
        select(Mention.id, Source.name, Mention.assignee, Mention.reply_due_at, Mention.text, Mention.url, when)
        .join(Source, Source.id == Mention.source_id)
        .where(*late)
        .order_by(Mention.reply_due_at, Mention.id)
        .limit(LATE_SHOWN)
    )
    shown = [
        LateReply(i, source, assignee, due or as_of, _quote_text(text), url, at)
        for i, source, assignee, due, text, url, at in rows
    ]
    return shown, per_assignee


def backlog(session: Session, source_ids: Sequence[int], start: datetime, as_of: datetime) -> Backlog:
    """Work still open at `as_of` that is not the period's news: dated before `start`, or collected as history.
    Open: waiting for moderation or publication, or for a reply (whatever its publication state)."""
    when = when_column()
    replying = or_(
        Mention.status == MentionStatus.TO_REPLY,
        and_(Mention.reply_due_at.is_not(None), waiting(as_of), Mention.status.not_in(CLOSED)),
    )
    moderating = Mention.status.in_((MentionStatus.NEW, MentionStatus.CLASSIFIED))
    publishing = Mention.status == MentionStatus.TO_PUBLISH
    one: Any = literal_column("1")
    zero: Any = literal_column("0")
    row = session.execute(
        select(
            *(func.coalesce(func.sum(case((c, one), else_=zero)), 0) for c in (moderating, publishing, replying)),
            func.coalesce(func.sum(case((Mention.backlog, one), else_=zero)), 0),
            func.coalesce(func.sum(case((past_deadline(as_of), one), else_=zero)), 0),
            func.count(),
        ).where(
            Mention.source_id.in_(list(source_ids)),
            on_topic(),
            or_(when < start, and_(Mention.backlog, when < as_of)),
            or_(moderating, publishing, replying),
        )
    ).one()
    return Backlog(*(int(n) for n in row))


def crises(session: Session, brand_id: int, start: datetime, end: datetime) -> list[Crisis]:
    rows = session.scalars(
        select(Alert)
        .where(
            Alert.brand_id == brand_id,
            Alert.kind == AlertKind.CRISIS,
            Alert.created_at >= start,
            Alert.created_at < end,
        )
        .order_by(Alert.created_at, Alert.id)
    )
    found = []
    for alert in rows:
        crisis = CrisisPayload.from_json(alert.payload)
        found.append(Crisis(alert.created_at, crisis.source or "", (crisis.text or "")[:300]))
    return found
