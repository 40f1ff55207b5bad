"""A crawl run's life. The worker opens the run before it starts the crawl process and hands it its id; the crawl's
health extension (crawlers/health.py) closes it with what it saw. A crawl process killed at its timeout or dead
before closing its run leaves that to the worker, which knows why: `fail`.

No Scrapy here: the worker imports this module without loading the crawler."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from models import CrawlRun, Source, utcnow

# "abandoned": another crawl of the source found this run open and guessed its process had died; the worker that
# owns it knows better and closes it with the reason.
OPEN = ("running", "abandoned")
INTERRUPTED = "interrupted"  # a run's outcome when a signal stopped its crawl: says nothing of the source
INTERRUPTED_EXIT = 3  # crawlers/run.py's exit status then
STOPPED_BY_SIGNAL = "stopped by a signal before the end (the worker was stopping)"


def open_run(session: Session, source_id: int) -> int:
    run = CrawlRun(source_id=source_id)
    session.add(run)
    session.flush()
    return run.id


def fail(session: Session, run_id: int, reason: str) -> None:
    """The crawl process failed: its run closed as failed with `reason` unless the crawl closed it itself, and its
    source unhealthy with `reason` either way."""
    now = utcnow()
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id, CrawlRun.outcome.in_(OPEN))
        .values(outcome="failed", reason=reason, finished_at=now)
    )
    source = session.get_one(Source, session.get_one(CrawlRun, run_id).source_id)
    source.healthy = False
    source.health_reason = reason
    source.last_crawl_at = now


def interrupt(session: Session, run_id: int, reason: str) -> None:
    """A signal stopped the crawl before its health extension closed the run: closed as interrupted, the source's
    health left as it was."""
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id, CrawlRun.outcome.in_(OPEN))
        .values(outcome=INTERRUPTED, reason=reason, finished_at=utcnow())
    )
