"""The worker's schedule: every job present, never run twice at once, missed runs coalesced."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Alert, Source
from scheduler import jobs
from scheduler.worker import build_scheduler
from tests.conftest import write_settings
from tests.skeleton.test_end_to_end import brand_body
from veilleur.settings import load_settings


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
            "send",
            "publish",
            "reply-reminders",
            "notify",
            "webhook",
            "retention",
            "topics",
            "report",
            "report-rewrite",
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
