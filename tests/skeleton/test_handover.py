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

from config.settings import load_settings
from reports import output
from reports.topics import LexicalTagger
from scheduler import jobs
from scheduler.handover import Handover, next_jobs
from scheduler.worker import build_scheduler
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
    )
    settings = load_settings(path)
    lexical = LexicalTagger(output.options_from(settings.reports).topics)
    monkeypatch.setattr(jobs, "cached_tagger", lambda *args, **kwargs: lexical)
    context = jobs.Context(settings, path)
    context._classifier = WordClassifier()
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
