"""Source health: one CrawlRun row per crawl, and the source marked unhealthy when the crawl says so.

"Unhealthy" is distinct from "nothing new": a blocked source (403/429), a crawl that errored, or a page
that parsed zero mentions where mentions used to be, all raise it; an unchanged page does not.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from scrapy import signals
from sqlalchemy import func, select, update

from crawlers.runs import INTERRUPTED, STOPPED_BY_SIGNAL, open_run
from models import CrawlRun, Mention, Source, utcnow
from models.db import make_engine, make_session_factory

BLOCKED = {401, 403, 429}


def _exceptions(stats) -> str:  # type: ignore[no-untyped-def]
    """'DNSLookupError x2, ConnectionRefusedError x1' from Scrapy's download exception counters."""
    prefix = "downloader/exception_type_count/"
    found = {
        key[len(prefix) :].rsplit(".", 1)[-1]: value
        for key, value in stats.get_stats().items()
        if key.startswith(prefix)
    }
    return ", ".join(f"{name} x{count}" for name, count in sorted(found.items()))


def judge(
    statuses: Counter[int],
    items_seen: int,
    errors: int,
    had_mentions: bool,
    unparsed: int,
    exceptions: str = "",
    loops: Sequence[str] = (),
) -> str | None:
    """The reason a crawl makes its source unhealthy, or None. `loops`: the first URL of each redirect chain
    that looped or went past Scrapy's limit (no response of theirs reaches `statuses`). Pure, so tested as a table."""
    ok_pages = sum(count for status, count in statuses.items() if 200 <= status < 300)
    blocked = sorted(status for status in statuses if status in BLOCKED)
    if blocked and ok_pages == 0:
        return f"blocked: HTTP {', '.join(map(str, blocked))} and no page fetched"
    if loops and ok_pages == 0 and not statuses:
        return f"no page fetched: redirect loop (or too many redirects) from {', '.join(loops)}"
    if ok_pages == 0:
        seen = ", ".join(f"HTTP {status} x{count}" for status, count in sorted(statuses.items()))
        return f"no page fetched ({seen or exceptions or 'no response'}; {errors} errors)"
    if blocked:
        # e.g. Reddit's anonymous JSON: 403 beside pages that worked is still a source that lost data.
        shown = ", ".join(f"HTTP {status} x{statuses[status]}" for status in blocked)
        return f"partly blocked: {shown} beside {ok_pages} page(s) fetched"
    if unparsed:
        return f"{unparsed} page(s) not recognised: layout changed?"
    failed = sorted(status for status in statuses if status >= 400)
    if failed or loops:
        shown = ", ".join(
            [
                *(f"HTTP {status} x{statuses[status]}" for status in failed),
                *(f"redirect loop from {url}" for url in loops),
            ]
        )
        return f"some pages failed ({shown}) beside {ok_pages} page(s) fetched"
    if items_seen == 0 and had_mentions:
        return f"zero mentions parsed from {ok_pages} page(s) that used to have some: layout changed?"
    if errors:
        return f"{errors} errors while crawling"
    return None


class SourceHealth:
    def __init__(self, crawler, database_url: str, run_id: int | None = None) -> None:  # type: ignore[no-untyped-def]
        self.crawler = crawler
        self.database_url = database_url
        self.run_id = run_id  # opened by the worker (crawlers/runs.py), else by spider_opened
        self.statuses: Counter[int] = Counter()
        self.loops: list[str] = []  # the first URL of each redirect chain that looped or was too long
        self.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES")
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        run_id = crawler.settings.getint("VEILLEUR_CRAWL_RUN_ID") or None
        return cls(crawler, crawler.settings["VEILLEUR_DATABASE_URL"], run_id)

    def response_received(self, response, request, spider) -> None:  # type: ignore[no-untyped-def]
        if not request.url.endswith("/robots.txt"):
            self.statuses[response.status] += 1

    def response_downloaded(self, response, request, spider) -> None:  # type: ignore[no-untyped-def]
        # A redirect back into its own chain is dropped by the duplicate filter, one past REDIRECT_MAX_TIMES by the
        # redirect middleware (both logged at DEBUG only): no response reaches response_received, and the crawl
        # would read "no response". Seen here, before that.
        location = response.headers.get("Location") if 300 <= response.status < 400 else None
        if location is None or request.url.endswith("/robots.txt"):
            return
        chain = [*request.meta.get("redirect_urls", []), request.url]
        looped = response.urljoin(location.decode("latin-1")) in chain
        if (looped or len(chain) > self.max_redirects) and chain[0] not in self.loops:
            self.loops.append(chain[0])

    def spider_opened(self, spider) -> None:  # type: ignore[no-untyped-def]
        self.started = time.monotonic()
        self.engine = make_engine(self.database_url)
        self.sessions = make_session_factory(self.engine)
        with self.sessions.begin() as session:
            stored = session.scalar(select(func.count(Mention.id)).where(Mention.source_id == spider.source_id))
            self.had_mentions = bool(stored)
            # A crawl still "running" now was cut short by a killed worker: say so rather than leave it open.
            session.execute(
                update(CrawlRun)
                .where(
                    CrawlRun.source_id == spider.source_id,
                    CrawlRun.outcome == "running",
                    CrawlRun.id != (self.run_id or 0),
                )
                .values(outcome="abandoned", reason="the crawl process stopped before finishing")
            )
            if self.run_id is None:
                self.run_id = open_run(session, spider.source_id)

    def spider_closed(self, spider, reason: str) -> None:  # type: ignore[no-untyped-def]
        stats = self.crawler.stats
        items_seen = stats.get_value("item_scraped_count", 0) + stats.get_value("item_dropped_count", 0)
        errors = stats.get_value("log_count/ERROR", 0) + stats.get_value("spider_exceptions/count", 0)
        unparsed = stats.get_value("pages/unrecognised", 0)
        if reason == "shutdown":
            self._interrupted(spider, items_seen, errors)
            return
        with self.sessions.begin() as session:
            source = session.get_one(Source, spider.source_id)
            problem = judge(
                self.statuses, items_seen, errors, self.had_mentions, unparsed, _exceptions(stats), self.loops
            )
            if reason not in ("finished",) and problem is None:
                problem = f"crawl ended early: {reason}"
            run = session.get_one(CrawlRun, self.run_id)
            run.finished_at = utcnow()
            run.items_seen = items_seen
            run.items_new = stats.get_value("mentions/new", 0)
            run.errors = errors
            run.http_statuses = {str(status): count for status, count in sorted(self.statuses.items())}
            run.outcome = "failed" if problem else "ok"
            run.reason = problem
            source.last_crawl_at = run.finished_at
            source.healthy = problem is None
            source.health_reason = problem
            if problem is None:
                source.last_success_at = run.finished_at
        self.engine.dispose()
        spider.logger.info(
            "crawl of %s: %s seen, %s new, statuses %s, %s",
            spider.source_name,
            items_seen,
            run.items_new,
            run.http_statuses,
            problem or "healthy",
        )

    def _interrupted(self, spider, items_seen: int, errors: int) -> None:  # type: ignore[no-untyped-def]
        """Stopped by a signal (Ctrl-C, or a service manager stopping the worker and its crawls together): the
        run says so and the source's health is left as it was: a source is not unhealthy because we stopped."""
        with self.sessions.begin() as session:
            run = session.get_one(CrawlRun, self.run_id)
            run.finished_at = utcnow()
            run.items_seen = items_seen
            run.items_new = self.crawler.stats.get_value("mentions/new", 0)
            run.errors = errors
            run.http_statuses = {str(status): count for status, count in sorted(self.statuses.items())}
            run.outcome, run.reason = INTERRUPTED, STOPPED_BY_SIGNAL
        self.engine.dispose()
        spider.logger.info("crawl of %s interrupted: %s seen, %s new", spider.source_name, items_seen, run.items_new)
