"""The distributed mode's commands refuse what cannot work, naming the key: no broker, a SQLite database, an
unknown queue, a broker URL that is not Redis. And the leader lock: one scheduler leads, another once it is gone."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from config.settings import SettingsError, load_settings
from scheduler.context import Context
from scheduler.distributed.leader import Leadership
from scheduler.distributed.status import leader
from tests.conftest import write_settings
from veilleur.cli import app

BRAND = '[[brands]]\nslug = "acme"\nname = "Acme"\n'


def run(*arguments: str):  # type: ignore[no-untyped-def]
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, list(arguments))


def test_the_scheduler_refuses_sqlite_and_a_missing_broker(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    path = write_settings(tmp_path, url, BRAND)
    result = run("scheduler", "--settings", str(path))
    assert result.exit_code == 2 and "[distributed] broker_url" in result.output, result.output
    path = write_settings(tmp_path, url, BRAND, distributed='broker_url = "redis://127.0.0.1:9/0"')
    result = run("scheduler", "--settings", str(path))
    assert result.exit_code == 2 and "needs PostgreSQL: [database] url is SQLite" in result.output, result.output
    result = run("worker", "--queues", "crawl", "--settings", str(path))
    assert result.exit_code == 2 and "needs PostgreSQL" in result.output, result.output


def test_a_worker_asked_for_an_unknown_queue_names_the_known_ones(tmp_path):
    if not os.environ.get("VEILLEUR_TEST_POSTGRES_URL"):
        pytest.skip("the queue check comes after the PostgreSQL check")
    url = os.environ["VEILLEUR_TEST_POSTGRES_URL"]
    path = write_settings(tmp_path, url, BRAND, distributed='broker_url = "redis://127.0.0.1:9/0"')
    result = run("worker", "--queues", "crawl,clasify", "--settings", str(path))
    assert result.exit_code == 2, result.output
    assert "no queue clasify (queues: crawl, classify, topics, reports, send, upkeep)" in result.output


def test_a_broker_url_that_is_not_redis_names_the_key(tmp_path):
    path = write_settings(tmp_path, "sqlite:///x.db", BRAND, distributed='broker_url = "amqp://guest@localhost//"')
    with pytest.raises(SettingsError) as caught:
        load_settings(path, {})
    assert "broker_url" in str(caught.value) and "redis://" in str(caught.value)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_one_scheduler_leads_and_another_takes_over_when_it_is_gone(tmp_path, database_url):
    path = write_settings(tmp_path, database_url, BRAND)
    context = Context(load_settings(path), path)
    first, second = Leadership(database_url), Leadership(database_url)
    try:
        assert first.try_lead() and first.holds()
        assert not second.try_lead()
        with context.sessions() as session:
            assert str(leader(session)[0][0]).startswith("veilleur-scheduler ")
        first.close()  # its connection closed, as when its process dies
        assert second.try_lead()
        assert not first.try_lead()
    finally:
        first.close()
        second.close()
        context.close()


def test_each_worker_process_releases_its_own_idle_models(tmp_path, monkeypatch):
    # A Celery worker's processes kept their models for ever ([classifier] idle_unload_minutes was applied by the
    # embedded worker only): a classify machine idle overnight held 1.6 GB per process. Each process now checks.
    import time

    from celery import Celery

    from scheduler.distributed import tasks

    path = write_settings(tmp_path, f"sqlite:///{tmp_path}/db.sqlite", BRAND)
    celery = Celery("test", set_as_current=False)
    celery.conf.veilleur_settings = str(path)
    monkeypatch.setattr(tasks, "RELEASE_CHECK_SECONDS", 0.05)
    monkeypatch.setattr(tasks, "_process", {})
    context, _ = tasks._context(celery)  # this process's first task
    try:
        assert context.settings.classifier.idle_unload_minutes == 10
        context._classifier = held = object()  # a loaded model, used now: kept
        context._used["classifier"] = time.monotonic()
        time.sleep(0.3)
        assert context._classifier is held
        context._used["classifier"] -= 11 * 60  # unused for 11 minutes: dropped at the next check
        deadline = time.monotonic() + 10
        while context._classifier is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert context._classifier is None
    finally:
        tasks._process.clear()  # the checking thread ends with its process's context
        context.close()
