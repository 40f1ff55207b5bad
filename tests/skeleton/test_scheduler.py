"""The worker's schedule: every job present, never run twice at once, missed runs coalesced."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config.settings import load_settings
from models import Alert, CrawlRun, Mention, MentionKind, Source, utcnow
from scheduler import jobs
from scheduler.worker import build_scheduler
from tests.conftest import write_settings
from tests.skeleton.test_end_to_end import brand_body


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_job_is_scheduled_with_one_instance_and_coalescing(tmp_path, database_url):
    path = write_settings(tmp_path, database_url, brand_body("http://127.0.0.1:9"), scheduler="classify_minutes = 2")
    context = jobs.Context(load_settings(path), path)
    try:
        scheduler = build_scheduler(context)
        scheduled = {job.id: job for job in scheduler.get_jobs()}
        assert set(scheduled) == {
            "crawl:acme/carrot",
            "crawl:acme/book",
            "crawl:acme/shop",
            "classify",
            "route",
            "crises",
            "crisis-cells",
            "send",
            "publish",
            "reply-reminders",
            "notify",
            "webhook",
            "retention",
            "topics",
            "report",
            "report-rewrite",
            "release-models",
            "survey-invite",
            "survey-file",
        }
        assert all(job.max_instances == 1 and job.coalesce for job in scheduled.values())
        assert scheduled["classify"].trigger.interval.total_seconds() == 120
        assert scheduled["crawl:acme/carrot"].trigger.interval.total_seconds() == 3600
    finally:
        context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_crashing_crawl_cannot_take_the_worker_down(tmp_path, database_url, monkeypatch):
    """The crawl runs in a child process; here the child aborts (as a segfault would) and the worker lives on."""
    monkeypatch.setattr(jobs, "CRAWL_MODULE", "tests.support.crashing_crawl")
    path = write_settings(tmp_path, database_url, brand_body("http://127.0.0.1:9"))
    context = jobs.Context(load_settings(path), path)
    try:
        status = jobs.crawl(context, "acme", "carrot")
        with context.sessions.begin() as session:
            source = session.scalars(select(Source).where(Source.name == "carrot")).one()
            assert status != 0
            assert not source.healthy and "exited" in source.health_reason
            alert = session.scalars(select(Alert)).one()
            assert alert.kind.value == "source_unhealthy"
    finally:
        context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_hung_crawl_closes_its_own_run_as_failed_and_alerts_once(tmp_path, database_url, monkeypatch, caplog):
    """A site that never answers: the crawl is killed at its timeout, its run (not another worker's, opened
    meanwhile) is closed as failed with the reason, the source is unhealthy and alerts. A crawl that then crashes
    closes its run too; the alert is not repeated the same day."""
    caplog.set_level(logging.INFO, logger="veilleur.scheduler")
    release = threading.Event()

    class Silent(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            # Another worker's crawl of the same source finishes meanwhile: a newer run than ours.
            with context.sessions.begin() as session:
                if session.scalar(select(func.count()).where(CrawlRun.items_seen == 99)) == 0:
                    session.add(CrawlRun(source_id=carrot, outcome="ok", items_seen=99, finished_at=utcnow()))
            release.wait(120)  # and never answer

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    path = write_settings(tmp_path, database_url, brand_body(f"http://127.0.0.1:{site.server_address[1]}"))
    path.write_text(path.read_text().replace("[crawl]\n", "[crawl]\ntimeout_seconds = 10\n"))
    context = jobs.Context(load_settings(path), path)
    with context.sessions.begin() as session:
        carrot = session.scalars(select(Source).where(Source.name == "carrot")).one().id
    try:
        assert jobs.crawl(context, "acme", "carrot") == -1
        with context.sessions.begin() as session:
            ours, other = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
            assert (ours.outcome, ours.reason) == ("failed", "crawl timed out after 10s")
            assert ours.finished_at is not None
            assert (other.outcome, other.items_seen) == ("ok", 99)  # the other worker's run is left alone
            source = session.get_one(Source, carrot)
            assert not source.healthy and source.health_reason == "crawl timed out after 10s"
            alert = session.scalars(select(Alert)).one()
            assert alert.kind.value == "source_unhealthy" and alert.payload["text"] == "crawl timed out after 10s"
        logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("crawl acme/carrot: ")]
        assert logged == ["crawl acme/carrot: 0 seen, 0 new; unhealthy: crawl timed out after 10s"]

        monkeypatch.setattr(jobs, "CRAWL_MODULE", "tests.support.crashing_crawl")
        assert jobs.crawl(context, "acme", "carrot") != 0
        with context.sessions.begin() as session:
            runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
            assert [run.outcome for run in runs] == ["failed", "ok", "failed"]
            assert runs[-1].reason.startswith("crawl process exited")
            assert session.scalar(select(func.count()).select_from(Alert)) == 1  # once a day while unhealthy
    finally:
        release.set()
        site.shutdown()
        site.server_close()
        context.close()


def stopped_while_crawling(tmp_path, database_url, stop: Callable[[subprocess.Popen[str]], None]) -> tuple[Path, str]:
    """A worker whose crawls wait on a slow site, `stop` called once one reached it; its settings and output."""
    asked = threading.Event()

    class SlowSite(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            asked.set()
            time.sleep(3)  # the crawl is in flight while the test stops the worker
            self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), SlowSite)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    path = write_settings(tmp_path, database_url, brand_body(f"http://127.0.0.1:{site.server_address[1]}"))
    environment = {**os.environ, "VEILLEUR__CLASSIFIER__MODEL": "baseline", "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "veilleur", "worker", "--settings", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
        start_new_session=True,  # its own process group, as a shell gives a command
    )
    try:
        assert asked.wait(timeout=120), "no crawl reached the site"
        stop(worker)
        output, _ = worker.communicate(timeout=240)
    finally:
        site.shutdown()
        site.server_close()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert worker.returncode == 0, output
    assert "Traceback" not in output
    return path, output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sigterm_lets_the_running_jobs_finish_then_the_worker_exits_cleanly(tmp_path, database_url):
    """As systemd or `docker stop` would: SIGTERM while a crawl waits on a slow site; it finishes (and says so),
    then the worker exits 0."""
    _, output = stopped_while_crawling(tmp_path, database_url, lambda worker: worker.send_signal(signal.SIGTERM))
    stopping, stopped = output.index("SIGTERM: no new job starts"), output.index("worker stopped")
    crawled = [output.find(f"crawl acme/{name}: ") for name in ("carrot", "book", "shop")]
    assert any(stopping < at < stopped for at in crawled)  # a crawl running when asked to stop still finished
    assert "executed successfully" not in output  # the worker says what jobs did, not APScheduler's chatter


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ctrl_c_to_the_worker_and_its_crawls_leaves_the_sources_healthy(tmp_path, database_url):
    """Ctrl-C in a terminal signals the whole process group (a service manager may stop every process of the
    service alike): the crawls stop too. Each source was then marked unhealthy ("crawl process exited 1: 'scheduler/
    enqueued/memory': 3, ...", Scrapy's stats dump) and alerted. Now their runs say "interrupted", health unchanged."""
    path, output = stopped_while_crawling(tmp_path, database_url, lambda worker: os.killpg(worker.pid, signal.SIGINT))
    assert "crawl process exited" not in output and "interrupted (stopping)" in output, output
    context = jobs.Context(load_settings(path), path)
    try:
        with context.sessions() as session:
            outcomes = set(session.scalars(select(CrawlRun.outcome)))
            assert "interrupted" in outcomes and "failed" not in outcomes, outcomes
            assert all(source.healthy for source in session.scalars(select(Source)))
            kinds = [alert.kind.value for alert in session.scalars(select(Alert))]
            assert "source_unhealthy" not in kinds, kinds  # the weekly report's alert may be there
    finally:
        context.close()


def test_the_worker_says_what_a_job_did_and_nothing_for_an_idle_run():
    from alerts.send import SendResult
    from scheduler.schedule import what_it_did as _what_it_did

    assert _what_it_did(SendResult(sent=2, failed=1)) == "sent 2, failed 1"
    assert _what_it_did(jobs.Rewritten(written=[Path("a.html")])) == "written 1"
    assert [_what_it_did(idle) for idle in (0, None, [], (0, 0), SendResult(), jobs.Rewritten())] == [""] * 6
    assert _what_it_did((3, 0)) == "(3, 0)" and _what_it_did(5) == "5"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_crawl_command_names_an_unknown_source_and_its_brand_sources(tmp_path, database_url):
    from typer.testing import CliRunner

    from veilleur.cli import app

    path = write_settings(tmp_path, database_url, brand_body("http://127.0.0.1:9"))
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["crawl", "acme", "nope", "--settings", str(path)])
    assert result.exit_code == 2
    assert "no source 'nope' in brand 'acme' (its sources: carrot, book, shop)" in result.output
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["crawl", "other", "carrot", "--settings", str(path)])
    assert result.exit_code == 2 and "no brand 'other'" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_classify_job_loads_no_model_while_nothing_is_new(tmp_path, database_url):
    path = write_settings(tmp_path, database_url, brand_body("http://127.0.0.1:9"))
    context = jobs.Context(load_settings(path), path)
    try:
        assert jobs.classify(context) == 0
        assert context._classifier is None  # an idle worker keeps 1.3 GB free
    finally:
        context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_topics_job_loads_no_encoder_while_every_mention_is_tagged(tmp_path, database_url, monkeypatch):
    def no_load(*args, **kwargs):
        raise AssertionError("the encoder was loaded with nothing to tag")

    monkeypatch.setattr(jobs, "cached_tagger", no_load)
    path = write_settings(tmp_path, database_url, brand_body("http://127.0.0.1:9"))
    context = jobs.Context(load_settings(path), path)
    try:
        assert jobs.tag_topics(context) == 0  # no mention at all
        with context.sessions.begin() as session:
            source = session.scalars(select(Source)).first()
            session.add(Mention(source_id=source.id, external_id="1", kind=MentionKind.POST, text="colis perdu"))
        with pytest.raises(AssertionError, match="encoder was loaded"):
            jobs.tag_topics(context)  # one untagged mention: now it loads
    finally:
        context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_idle_models_are_released_and_loaded_again_when_there_is_work(tmp_path, database_url, monkeypatch):
    """[classifier] idle_unload_minutes: the worker drops a model unused that long (the clock is driven here by
    moving its last use back) and loads it again for the next work."""
    from reports import output
    from reports.topics import LexicalTagger

    loads: list[str] = []
    path = write_settings(tmp_path, database_url, brand_body("http://127.0.0.1:9"))
    settings = load_settings(path)
    assert settings.classifier.idle_unload_minutes == 10

    def load(*args, **kwargs):  # type: ignore[no-untyped-def]
        loads.append("tagger")
        return LexicalTagger(output.options_from(settings.reports).topics)

    monkeypatch.setattr(jobs, "cached_tagger", load)
    context = jobs.Context(settings, path)
    try:
        with context.sessions.begin() as session:
            source = session.scalars(select(Source)).first()
            session.add(Mention(source_id=source.id, external_id="1", kind=MentionKind.POST, text="colis perdu"))
        assert jobs.tag_topics(context) == 1
        context._classifier = object()  # type: ignore[assignment]
        assert jobs.release_models(context) == []  # both used just now
        context._used["tagger"] -= 9 * 60
        assert jobs.release_models(context) == []  # 9 minutes: still kept
        context._used["tagger"] -= 60
        context._used["classifier"] -= 10 * 60
        assert jobs.release_models(context) == ["classifier", "tagger"]
        assert context._classifier is None and context._tagger is None
        with context.sessions.begin() as session:
            session.add(Mention(source_id=source.id, external_id="2", kind=MentionKind.POST, text="livraison"))
        assert jobs.tag_topics(context) == 1
        assert loads == ["tagger", "tagger"]  # loaded again for the new mention
    finally:
        context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_idle_unload_minutes_zero_keeps_the_models_and_schedules_no_release(tmp_path, database_url):
    path = write_settings(tmp_path, database_url, brand_body("http://127.0.0.1:9"))
    path.write_text(path.read_text().replace("[classifier]\n", "[classifier]\nidle_unload_minutes = 0\n"))
    context = jobs.Context(load_settings(path), path)
    try:
        assert "release-models" not in {job.id for job in build_scheduler(context).get_jobs()}
        context._classifier = object()  # type: ignore[assignment]
        context._used["classifier"] -= 24 * 3600
        assert jobs.release_models(context) == [] and context._classifier is not None
    finally:
        context.close()
