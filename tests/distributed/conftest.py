"""A distributed Veilleur for the tests of this folder: PostgreSQL (a new database on the server `make test`
starts), a Redis server of its own, a local site of generated review pages, the fake Slack, and the processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from config.settings import load_settings
from scheduler.context import Context
from tests.conftest import write_settings
from tests.support.cluster import Cluster, RedisServer, brands_body, redis_program, seen_before, write_site
from tests.support.databases import POSTGRES_ENV, create_postgres_database, drop_postgres_database
from tests.support.fake_slack import FakeSlack
from veilleur.pages_server import PagesServer


@dataclass
class Setup:
    cluster: Cluster
    redis: RedisServer
    sessions: sessionmaker[Session]
    references: dict[str, list[str]]
    after_run: int  # the test's crawl runs have higher ids
    slack: FakeSlack
    settings: Path


def needs_servers() -> None:
    missing = [
        what for what, ok in (("PostgreSQL", os.environ.get(POSTGRES_ENV)), ("redis-server", redis_program())) if not ok
    ]
    if missing:
        message = f"{' and '.join(missing)} not available (run the suite with `make test`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def make_setup(tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    needs_servers()
    made: list[tuple[Setup, Context, PagesServer, str]] = []

    def make(sources: int, reviews: int, batch_size: int = 8) -> Setup:
        site = tmp_path / "site"
        site.mkdir()
        references = write_site(site, sources, reviews)
        pages = PagesServer(site).__enter__()
        slack = FakeSlack().__enter__()
        redis = RedisServer(tmp_path)
        redis.start()
        url, name = create_postgres_database()
        distributed = (
            f'broker_url = "{redis.url}"\nvisibility_timeout_seconds = 15\nlease_seconds = 30\n'
            "requeue_after_seconds = 10\nleader_check_seconds = 1\ntask_retries = 2"
        )
        path = write_settings(
            tmp_path,
            url,
            brands_body(pages.base_url, sources, interval_minutes=5),
            slack=f'bot_token = "xoxb-test"\nbase_url = "{slack.base_url}"\nchannel = "#alerts"\ncooldown_minutes = 0',
            reports=f'out_dir = "{tmp_path / "reports"}"\npost_to_slack = false',
            moderation="backfill_days = 0",
            distributed=distributed,
        )
        context = Context(load_settings(path), path)  # migrated, brands stored: the processes start on it
        with context.sessions.begin() as session:
            after_run = seen_before(session)
        environment = {
            "VEILLEUR__CLASSIFIER__MODEL": "baseline",
            "VEILLEUR__CLASSIFIER__BATCH_SIZE": str(batch_size),
            "VEILLEUR__CLASSIFIER__IDLE_UNLOAD_MINUTES": "0",
            "VEILLEUR__CRAWL__TIMEOUT_SECONDS": "20",
        }
        setup = Setup(Cluster(path, tmp_path, environment), redis, context.sessions, references, after_run, slack, path)
        made.append((setup, context, pages, name))
        return setup

    yield make
    for setup, context, pages, name in made:
        setup.cluster.stop_all()
        setup.redis.kill()
        setup.slack.__exit__(None, None, None)
        pages.__exit__(None, None, None)
        context.close()
        drop_postgres_database(name)
