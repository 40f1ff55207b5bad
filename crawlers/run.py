"""Run one source's crawl in this process: `python -m crawlers.run --settings S --brand B --source NAME`.

The worker starts this as a child process for every crawl, so a spider that crashes or leaks cannot take
the worker down, with `--run ID`: the crawl run it opened for it (crawlers/runs.py; without it, the crawl opens
its own). Exit status: 0 crawled (the source may still be unhealthy: see its CrawlRun), 2 bad arguments or
settings, 3 stopped by a signal (SIGINT, SIGTERM: its run says "interrupted", its source's health is unchanged),
1 the crawl itself failed.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings
from scrapy.spiderloader import SpiderLoader

from config.settings import SettingsError, load_settings
from crawlers.runs import INTERRUPTED_EXIT
from crawlers.settings import scrapy_settings
from models.catalogue import find_source, sync_brands
from models.db import make_engine, make_session_factory, upgrade


def main(argv: list[str] | None = None) -> int:
    # Until Scrapy installs its own handlers (once its reactor runs), a SIGINT would be a KeyboardInterrupt in the
    # middle of whatever runs, a traceback and exit 1, and the worker could not tell it from a failed crawl.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    parser = argparse.ArgumentParser(prog="python -m crawlers.run")
    parser.add_argument("--settings", default="settings.toml")
    parser.add_argument("--brand", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--run", type=int, help="the crawl run the worker opened for this crawl (crawlers/runs.py)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.settings)
        declared = next((s for s in settings.brand(args.brand).sources if s.name == args.source), None)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if declared is None:
        print(f"error: {args.settings}: brand {args.brand!r} has no source {args.source!r}", file=sys.stderr)
        return 2
    url = settings.database_url()
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        sync_brands(session, settings.brands)
        source = find_source(session, args.brand, args.source)
        assert source is not None  # just synced from the same settings
        source_id = source.id
    engine.dispose()

    crawl_settings = scrapy_settings(settings)
    if args.run is not None:
        crawl_settings["VEILLEUR_CRAWL_RUN_ID"] = args.run
    process = _Process(crawl_settings, install_root_handler=True)
    _running.append(process)
    spider_class = SpiderLoader(ScrapySettings({"SPIDER_MODULES": ["crawlers.spiders"]})).load(declared.kind)
    crawler = process.create_crawler(spider_class)
    process.crawl(
        crawler,
        source_id=source_id,
        source_name=f"{args.brand}/{args.source}",
        urls=declared.urls,
        max_pages=declared.max_pages,
    )
    process.start()
    try:
        reason = crawler.stats.get_value("finish_reason")
    except RuntimeError:  # stopped while it was starting: Scrapy had not made its stats yet
        reason = None
    if process.signalled or reason == "shutdown":
        return INTERRUPTED_EXIT  # SIGINT or SIGTERM: not the source's fault (the worker closes a run left open)
    return 0 if reason == "finished" else 1


class _Process(CrawlerProcess):
    """Scrapy's process, noting that a signal asked it to stop."""

    signalled = False

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self.signalled = True
        super()._signal_shutdown(signum, frame)


_running: list[_Process] = []


def _stop(signum: int, frame: Any) -> None:
    """A signal before Scrapy's handlers: before the crawl, exit at once; once the process exists, its graceful
    stop (which runs as soon as the reactor does)."""
    if not _running:
        raise SystemExit(INTERRUPTED_EXIT)
    _running[0]._signal_shutdown(signum, frame)


if __name__ == "__main__":
    sys.exit(main())
