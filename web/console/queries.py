"""What the console shows, as queries: the queues with their filters, one review, the dashboard."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from config.people import People
from models import Brand, Classification, Mention, ModerationEvent, Source
from models.urls import QUEUE_IDS_LIMIT
from moderation import queues
from moderation.queues import (
    assigned_to,
    latest,
    most_urgent_first,
    queue_condition,
    with_route_rule,
    written_at,
)

QUEUES = {name: name.replace("_", " ").capitalize() for name in queues.QUEUES}  # "to_publish" -> "To publish"
SENTIMENTS = ("negative", "neutral", "positive")
AGES = {"day": "under a day", "week": "under a week", "older": "a week or more"}
SLA_STATES = ("ok", "near", "late")
SORTS = {"urgent": "most urgent first", "newest": "newest first"}
_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses


class FilterError(ValueError):
    """A filter refused rather than ignored: ignoring it would show more than was asked for."""


@dataclass(frozen=True)
class Filters:
    queue: str = "to_publish"
    brand: str = ""
    source: str = ""
    language: str = ""
    rating: int | None = None
    sentiment: str = ""
    rule: str = ""
    age: str = ""
    sla: str = ""
    q: str = ""
    sort: str = "urgent"
    page: int = 1
    ids: tuple[int, ...] = ()  # only these mentions (those still in the queue): a Slack group's "open these N"
    assignee: str = ""  # "me", "none" (unassigned) or an account name, as the address says it
    # Every stored spelling of that person ("alice", "slack:U0123" assigned from Slack before her account named
    # her Slack user): what the query matches. Not in the address: worked out from `assignee` by parse.
    assignees: tuple[str, ...] = ()

    @classmethod
    def parse(cls, queue: str, params: Mapping[str, str], me: str = "", people: People | None = None) -> Filters:
        """From the query string; a value out of its list is ignored rather than an error, but for `ids`
        (FilterError): ignoring a bad list would show the whole queue as if it were those few. `me`: the signed-in
        account, whom `assignee=me` means; `people`: whose account a Slack user is."""

        def pick(name: str, allowed: object) -> str:
            value = params.get(name, "").strip()
            return value if value in allowed else ""  # type: ignore[operator]

        rating = params.get("rating", "")
        page = params.get("page", "")
        assignee = params.get("assignee", "").strip()[:200]
        person = me if assignee == "me" else assignee
        assignees = (people or People()).names(person) if person and assignee != "none" else set()
        return cls(
            queue=queue,
            brand=params.get("brand", "").strip()[:100],
            source=params.get("source", "").strip()[:100],
            language=params.get("language", "").strip()[:12],
            rating=int(rating) if rating in ("1", "2", "3", "4", "5") else None,
            sentiment=pick("sentiment", SENTIMENTS),
            rule=params.get("rule", "").strip()[:100],
            age=pick("age", AGES),
            sla=pick("sla", SLA_STATES),
            q=params.get("q", "").strip()[:200],
            sort=pick("sort", SORTS) or "urgent",
            page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
            ids=_ids(params.get("ids", "")),
            assignee=assignee,
            # "me" without an account to say who: matches nobody rather than everybody.
            assignees=tuple(sorted(assignees)) or ((assignee,) if assignee != "none" else ()),
        )

    def query_string(self, **changes: Any) -> str:
        values = replace(self, **changes)
        pairs = {name: getattr(values, name) for name in _PARAMS}
        pairs["ids"] = ",".join(str(mention_id) for mention_id in values.ids)
        kept = {k: v for k, v in pairs.items() if v not in ("", None) and (k, v) not in _DEFAULTS}
        return urlencode(kept, safe=",")


def _ids(text: str) -> tuple[int, ...]:
    """`12,15,19`: mention ids, ASCII digits separated by commas, at most QUEUE_IDS_LIMIT; "" for none."""
    if not text.strip():
        return ()
    parts = [part.strip() for part in text.split(",")]
    if not all(_ID.fullmatch(part) for part in parts):
        raise FilterError("ids: mention numbers separated by commas, e.g. ids=12,15,19")
    if len(parts) > QUEUE_IDS_LIMIT:
        raise FilterError(f"ids: at most {QUEUE_IDS_LIMIT} mentions ({len(parts)} given)")
    return tuple(dict.fromkeys(int(part) for part in parts))


_PARAMS = ("brand", "source", "language", "rating", "sentiment", "rule", "age", "sla", "q", "assignee", "sort", "page")
_DEFAULTS = {("sort", "urgent"), ("page", 1)}


@dataclass
class Row:
    mention: Mention
    brand: str
    source: str
    sentiment: str | None
    rule: str | None


@dataclass
class Page:
    rows: list[Row]
    total: int
    pages: int
    filters: Filters
    counts: dict[str, int] = field(default_factory=dict)


def queue_page(session: Session, filters: Filters, page_size: int, now: datetime, near: timedelta) -> Page:
    query = _filtered(filters, now, near)
    total = count_matching(session, filters, now, near)
    pages = max(1, -(-total // page_size))
    rows = session.execute(query.limit(page_size).offset((min(filters.page, pages) - 1) * page_size)).all()
    return Page(
        rows=[Row(mention, brand, source, sentiment, rule) for mention, brand, source, sentiment, rule in rows],
        total=total,
        pages=pages,
        filters=filters,
    )


def count_matching(session: Session, filters: Filters, now: datetime, near: timedelta) -> int:
    return session.scalar(select(func.count()).select_from(_filtered(filters, now, near).subquery())) or 0


def matching_ids(session: Session, filters: Filters, now: datetime, near: timedelta, limit: int) -> list[int]:
    """The ids of the first `limit` mentions the filters match, every page, in the order the queue shows."""
    query = _filtered(filters, now, near).with_only_columns(Mention.id, maintain_column_froms=True)
    return list(session.scalars(query.limit(limit)))


def next_in_queue(session: Session, filters: Filters, mention_id: int, now: datetime, near: timedelta) -> int | None:
    """The mention shown after `mention_id` in its queue and filter; after the last one, the first one left."""
    ids = matching_ids(session, filters, now, near, limit=100_000)
    at = ids.index(mention_id) + 1 if mention_id in ids else 0
    return next((other for other in ids[at:] + ids[:at] if other != mention_id), None)


def _filtered(filters: Filters, now: datetime, near: timedelta) -> Any:
    """The queue's rows (mention, brand, source, sentiment, rule) the filters match, in the chosen order."""
    latest_class = latest(Classification)
    classification = aliased(Classification)
    when = written_at()
    query = (
        select(Mention, Brand.slug, Source.name, classification.sentiment)
        .join(Source, Mention.source_id == Source.id)
        .join(Brand, Source.brand_id == Brand.id)
        .outerjoin(latest_class, latest_class.c.mention_id == Mention.id)
        .outerjoin(classification, classification.id == latest_class.c.latest_id)
    )
    query, rule = with_route_rule(query)
    query = query.add_columns(rule).where(queue_condition(filters.queue))
    if filters.ids:  # with the queue's condition: one handled since the alert no longer shows
        query = query.where(Mention.id.in_(filters.ids))
    if filters.brand:
        query = query.where(Brand.slug == filters.brand)
    if filters.source:
        query = query.where(Source.name == filters.source)
    if filters.language:
        query = query.where(Mention.language == filters.language)
    if filters.rating is not None:
        centre = (filters.rating - 1) / 4  # stars on the source's own scale, normalised to 0-1
        query = query.where(Mention.rating_normalised.between(centre - 0.125, centre + 0.124))
    if filters.sentiment:
        query = query.where(classification.sentiment == filters.sentiment)
    if filters.rule:
        query = query.where(rule == filters.rule)
    if filters.age == "day":
        query = query.where(when >= now - timedelta(days=1))
    elif filters.age == "week":
        query = query.where(when >= now - timedelta(days=7))
    elif filters.age == "older":
        query = query.where(when < now - timedelta(days=7))
    if filters.sla == "late":
        query = query.where(Mention.reply_due_at < now)
    elif filters.sla == "near":
        query = query.where(Mention.reply_due_at >= now, Mention.reply_due_at < now + near)
    elif filters.sla == "ok":
        query = query.where(Mention.reply_due_at >= now + near)
    if filters.assignee:
        query = query.where(assigned_to(filters.assignees))  # "none": no names, unassigned
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Mention.text.ilike(pattern, escape="\\"), Mention.title.ilike(pattern, escape="\\")))
    if filters.sort == "newest":
        return query.order_by(when.desc(), Mention.id.desc())
    return query.order_by(*most_urgent_first())


def queue_counts(session: Session) -> dict[str, int]:
    return {
        queue: session.scalar(select(func.count(Mention.id)).where(queue_condition(queue))) or 0 for queue in QUEUES
    }


def choices(session: Session) -> dict[str, list[str]]:
    """The values the filter menus offer."""
    return {
        "brands": list(session.scalars(select(Brand.slug).order_by(Brand.slug))),
        "sources": list(session.scalars(select(Source.name).distinct().order_by(Source.name))),
        "languages": [
            language
            for language in session.scalars(select(Mention.language).distinct().order_by(Mention.language))
            if language
        ],
        "rules": sorted(
            {
                str(rule)
                for rule in session.scalars(
                    select(ModerationEvent.details["rule"].as_string())
                    .where(ModerationEvent.action == "route")
                    .distinct()
                )
                if rule
            }
        ),
    }


def sla_state(due: datetime | None, now: datetime, near: timedelta) -> str | None:
    if due is None:
        return None
    if due < now:
        return "late"
    return "near" if due < now + near else "ok"
