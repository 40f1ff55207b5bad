"""The distributed mode's ledger (models/ticks.py) and the leader's requeue (scheduler/distributed/leader.py), on
SQLite and PostgreSQL: a tick is run by one worker at a time, taken over only once its lease is over, and a tick
whose message was lost is sent again, unless a newer tick of its job does the work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from config.settings import load_settings
from models import ScheduledTick, ticks
from scheduler.context import Context
from scheduler.distributed.leader import requeue
from scheduler.schedule import Job
from tests.conftest import write_settings

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
LEASE = timedelta(minutes=5)


class Broker:
    """Records what would be put on the broker (a fake of Celery's send_task, for the requeue's unit test)."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def send_task(self, name: str, args: list[Any], queue: str, **options: Any) -> None:
        self.sent.append((args[0], args[1], queue))


def context_on(tmp_path: Path, database_url: str) -> Context:
    section = 'broker_url = "redis://127.0.0.1:9/0"\nrequeue_after_seconds = 60'
    path = write_settings(tmp_path, database_url, "", distributed=section)
    return Context(load_settings(path), path)


def test_a_tick_runs_once_and_is_taken_over_only_after_its_lease(tmp_path, database_url):
    context = context_on(tmp_path, database_url)
    with context.sessions.begin() as session:
        assert ticks.record(session, "crawl:acme/shop", 7, NOW)
        assert not ticks.record(session, "crawl:acme/shop", 7, NOW)  # a second scheduler: not enqueued again
    with context.sessions.begin() as session:
        assert ticks.claim(session, "crawl:acme/shop", 7, "a:1", NOW, LEASE)
        assert not ticks.claim(session, "crawl:acme/shop", 7, "b:2", NOW + LEASE / 2, LEASE)  # a runs it
        assert ticks.claim(session, "crawl:acme/shop", 7, "b:2", NOW + LEASE * 2, LEASE)  # a died: b takes it
        ticks.finish(session, "crawl:acme/shop", 7, "a:1", NOW + LEASE * 2)  # a's late word changes nothing
        assert not session.scalar(select(ScheduledTick.done_at))
        ticks.finish(session, "crawl:acme/shop", 7, "b:2", NOW + LEASE * 3)
        assert not ticks.claim(session, "crawl:acme/shop", 7, "c:3", NOW + LEASE * 9, LEASE)  # done: never again
        row = session.scalars(select(ScheduledTick)).one()
        assert (row.claimed_by, row.attempts) == ("b:2", 2)
    context.close()


def test_a_failed_tick_is_free_for_its_retry_at_once(tmp_path, database_url):
    context = context_on(tmp_path, database_url)
    with context.sessions.begin() as session:
        ticks.record(session, "classify", 3, NOW)
        assert ticks.claim(session, "classify", 3, "a:1", NOW, LEASE)
        ticks.release(session, "classify", 3, "a:1")
        assert ticks.claim(session, "classify", 3, "a:1", NOW + timedelta(seconds=30), LEASE)
    context.close()


def test_requeue_sends_lost_ticks_again_and_lets_superseded_ones_go(tmp_path, database_url):
    context = context_on(tmp_path, database_url)
    table = {
        name: Job(name, lambda: None, timedelta(minutes=5), queue)
        for name, queue in (("crawl:acme/a", "crawl"), ("crawl:acme/b", "crawl"), ("classify", "classify"))
    }
    old = NOW - timedelta(minutes=10)
    with context.sessions.begin() as session:
        ticks.record(session, "crawl:acme/a", 1, old)  # lost: sent again
        ticks.record(session, "crawl:acme/b", 1, old)  # superseded by tick 2
        ticks.record(session, "crawl:acme/b", 2, NOW)  # just sent: waits
        ticks.record(session, "classify", 1, old)  # its queue has a backlog: its message is still there
        ticks.record(session, "crawl:acme/gone", 1, old)  # no longer in the settings: let go
        ticks.record(session, "crawl:acme/busy", 1, old)
        ticks.claim(session, "crawl:acme/busy", 1, "a:1", NOW - timedelta(minutes=1), LEASE)  # running
    broker = Broker()
    depths = {"crawl": 0, "classify": 40}
    sent, dropped = requeue(context, broker, table, depths.__getitem__, now=NOW)  # type: ignore[arg-type]
    assert broker.sent == [("crawl:acme/a", 1, "crawl")]
    assert (sent, dropped) == (1, 2)
    sent, _ = requeue(context, broker, table, depths.__getitem__, now=NOW + timedelta(seconds=5))  # type: ignore[arg-type]
    assert sent == 0  # sent again once per requeue_after_seconds, not at every sweep
    with context.sessions() as session:
        superseded = set(session.scalars(select(ScheduledTick.job).where(ScheduledTick.claimed_by == "superseded")))
    assert superseded == {"crawl:acme/b", "crawl:acme/gone"}
    context.close()
