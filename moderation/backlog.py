"""History is not news. A source's first crawl brings its past (a Trustpilot page of two years of reviews), and
any crawl may bring a review written long ago: both are stored, counted in reports and queued, but announcing
them as news (an alert "negative review to answer", a reply deadline missed on arrival) only buries what is new.

What a community manager expects of such a review is what this module decides for the router: it waits in its
queue like any other, after everything that has a deadline, and carries no deadline of its own. A deadline
counted from collection was the other choice; it would send reminders and "late" marks for the whole backlog a
day after the first crawl, and count it late in the SLA report, though nobody could have answered in time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from models import CrawlRun, Mention


def history_reason(session: Session, mention: Mention, max_age: timedelta | None) -> str | None:
    """Why `mention` is history rather than news, or None when it is news."""
    if _first_crawl(session, mention):
        return "collected by its source's first crawl"
    written = mention.published_at
    if max_age is not None and max_age > timedelta(0) and written is not None:
        if mention.collected_at - written > max_age:
            return f"written {written:%Y-%m-%d}, more than {max_age.days} days before it was collected"
    return None


def _first_crawl(session: Session, mention: Mention) -> bool:
    """Collected by a crawl (not pushed by a survey import or the intake) before any crawl of its source had
    finished well or brought something: that first look at the source is its past, however many runs it took (a
    first run that failed at once did not show the source's past yet)."""
    runs = CrawlRun.source_id == mention.source_id
    crawled = session.scalar(select(exists().where(runs, CrawlRun.started_at <= mention.collected_at)))
    if not crawled:
        return False
    seen_before = exists().where(
        runs,
        CrawlRun.finished_at.is_not(None),
        CrawlRun.finished_at < mention.collected_at,
        or_(CrawlRun.outcome == "ok", CrawlRun.items_new > 0),
    )
    return not session.scalar(select(seen_before))
