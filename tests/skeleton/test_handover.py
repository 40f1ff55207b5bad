"""Stages hand over at once: a review crawled by the real worker's scheduler reaches Slack (the local sink) in
seconds, with every interval set to an hour, so that only the hand-over can carry it there in time."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from sqlalchemy import select

from config.settings import load_settings
from models import CrawlRun, Source, utcnow
from reports import output
from reports.topics import LexicalTagger
from scheduler import jobs
from scheduler.handover import Handover, next_jobs
from scheduler.worker import build_scheduler, waker
from tests.conftest import FIXTURES, write_settings
from tests.skeleton.test_end_to_end import WordClassifier

PAGE = (FIXTURES / "synthetic" / "boutique_microdata_fr_SYNTHETIC.html").read_bytes()
HOUR = "classify_minutes = 60\nroute_minutes = 60\nsend_minutes = 60"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_crawled_review_reaches_slack_without_waiting_for_the_intervals(tmp_path, database_url, monkeypatch):
    first_runs = {"classify", "route", "send"}
    executed: set[str] = set()
    ran_once = threading.Event()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path != "/shop.html":
                self.send_error(404)
                return
            # The review appears once the worker's first classify, route and send runs are over: from then on
            # each of them is scheduled an hour later.
            ran_once.wait(120)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    sink = tmp_path / "sink.jsonl"
    body = '[[brands]]\nslug = "acme"\nname = "Acme"\n\n[[brands.sources]]\nname = "shop"\nkind = "schema_org"\n'
    body += f'urls = ["http://127.0.0.1:{site.server_address[1]}/shop.html"]\ninterval_minutes = 60\n'
    path = write_settings(
        tmp_path,
        database_url,
        body,
        scheduler=HOUR,
        slack=f'sink_path = "{sink}"\nchannel = "#alerts"',
        signals="check_minutes = 60",
        publishing="send_minutes = 60",
        reports=f'out_dir = "{tmp_path / "reports"}"\nweekly_formats = ["html"]',
        moderation="backfill_days = 0",
    )
    settings = load_settings(path)
    lexical = LexicalTagger(output.options_from(settings.reports).topics)
    monkeypatch.setattr(jobs, "cached_tagger", lambda *args, **kwargs: lexical)
    context = jobs.Context(settings, path)
    context._classifier = WordClassifier()
    # News, not history (moderation/backlog.py): the shop was crawled before, and the review counts as just written.
    with context.sessions.begin() as session:
        for source in session.scalars(select(Source)):
            session.add(CrawlRun(source_id=source.id, outcome="ok", items_seen=0, finished_at=utcnow()))
    scheduler = build_scheduler(context)

    def on_event(event) -> None:  # type: ignore[no-untyped-def]
        executed.add(event.job_id)
        if first_runs <= executed:
            ran_once.set()

    scheduler.add_listener(on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    worker = threading.Thread(target=scheduler.start, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 180
        lines: list[str] = []
        while not any("Trois semaines" in line for line in lines):
            assert time.monotonic() < deadline, f"no alert in the sink; it holds {lines}"
            time.sleep(0.1)
            lines = sink.read_text(encoding="utf-8").splitlines() if sink.exists() else []
        assert ran_once.is_set()
        later = datetime.now(UTC) + timedelta(minutes=30)
        # The intervals stay as a safety net: each stage is still scheduled, an hour after its last run.
        for name in ("classify", "route", "send"):
            assert scheduler.get_job(name).next_run_time > later
        # (A daily digest may be there too, depending on the hour the test runs.)
        assert all(json.loads(line)["channel"] == "#alerts" for line in lines)
    finally:
        ran_once.set()
        scheduler.shutdown(wait=True)
        worker.join(60)
        site.shutdown()
        site.server_close()
        context.close()


def test_a_job_woken_while_it_runs_runs_again_when_it_ends_and_never_twice_at_once():
    woken: list[str] = []
    handover = Handover(lambda name, now: woken.append(name), ["crawl:acme/shop", "classify", "route", "topics"])
    handover.started("classify")
    handover.finished("crawl:acme/shop", did_something=True)  # new mentions while classify runs
    assert woken == []  # not a second classify beside the running one
    handover.finished("classify", did_something=True)
    assert woken == ["classify", "route", "topics"]  # again (what the crawl stored), then the next stages


def test_an_idle_or_failed_run_wakes_nothing_and_unknown_jobs_are_not_woken():
    woken: list[str] = []
    handover = Handover(lambda name, now: woken.append(name), ["route"])
    handover.finished("crawl:acme/shop", did_something=False)
    handover.finished("classify", did_something=True)  # "topics" is not scheduled here
    assert woken == ["route"]
    assert next_jobs("crawl:other/feed") == ("classify",)
    assert "send" in next_jobs("route") and "send" in next_jobs("crises")


def test_a_job_handing_over_while_the_worker_stops_does_not_hang_the_stop() -> None:
    """APScheduler's shutdown holds its job-store lock while it waits for the running jobs: a hand-over made by a job
    that ends during the shutdown must not wait for that lock (the worker hung on SIGTERM)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    handover = Handover(waker(scheduler), ["crawl:b/s", "classify"])
    started, release = threading.Event(), threading.Event()

    def crawl() -> None:
        handover.started("crawl:b/s")
        started.set()
        release.wait(30)
        handover.finished("crawl:b/s", did_something=True)  # wakes classify, during the shutdown

    scheduler.add_job(crawl, "interval", id="crawl:b/s", hours=1, next_run_time=datetime.now(UTC))
    scheduler.add_job(lambda: None, "interval", id="classify", hours=1)
    scheduler.start()
    assert started.wait(30), "the crawl job never started"
    stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    stopper.start()
    deadline = time.monotonic() + 30
    while _free(scheduler._jobstores_lock) and time.monotonic() < deadline:  # the shutdown holds it
        time.sleep(0.01)
    release.set()
    stopper.join(30)
    assert not stopper.is_alive(), "the shutdown hung on a hand-over"


def _free(lock) -> bool:  # type: ignore[no-untyped-def]
    if lock.acquire(blocking=False):
        lock.release()
        return True
    return False
