"""The distributed mode with real parts (issue 22): `veilleur scheduler` and `veilleur worker` processes on a local
PostgreSQL and a Redis server of their own, crawling a local site with Scrapy, classifying, alerting a fake Slack.

Each test ends with the same promises (tests/support/cluster.py `check_once`): every source crawled exactly once per
tick, every review stored once, classified once, and each alerted review posted to Slack exactly once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import func, select

from models import Classification, CrawlRun, Mention, ScheduledTick, Source
from scheduler.distributed.status import leader
from tests.conftest import ROOT
from tests.support.cluster import check_once, settled, wait_until

SETTLE_SECONDS = 900


def settle(setup, total: int) -> None:  # type: ignore[no-untyped-def]
    def done() -> bool:
        with setup.sessions() as session:
            return settled(session, total)

    wait_until(done, SETTLE_SECONDS, setup.cluster.logs)


def drain(setup) -> None:  # type: ignore[no-untyped-def]
    """Let the workers finish every tick enqueued (the leader still sends again those whose message was lost), then
    stop the schedulers (no new tick) and let the workers finish what was enqueued meanwhile."""

    def idle() -> bool:
        with setup.sessions() as session:
            return not session.scalar(select(func.count()).where(ScheduledTick.done_at.is_(None)))

    wait_until(idle, 300, lambda: "ticks never finished\n" + setup.cluster.logs())
    for name in list(setup.cluster.processes):
        if name.startswith("scheduler") and setup.cluster.processes[name].poll() is None:
            setup.cluster.stop(name)
    wait_until(idle, 120, lambda: "ticks enqueued last never finished\n" + setup.cluster.logs())


def leading_pid(setup) -> int | None:  # type: ignore[no-untyped-def]
    with setup.sessions() as session:
        name = str(leader(session)[0][0])
    match = re.search(r":(\d+)$", name)
    return int(match.group(1)) if match else None


def test_two_schedulers_and_two_workers_do_each_thing_once(make_setup) -> None:  # type: ignore[no-untyped-def]
    setup = make_setup(sources=50, reviews=3)
    cluster = setup.cluster
    for name in ("scheduler-a", "scheduler-b"):
        cluster.scheduler(name)
    for name in ("worker-a", "worker-b"):
        cluster.worker(name)
    total = 50 * 3
    settle(setup, total)
    assert leading_pid(setup) in {cluster.pid("scheduler-a"), cluster.pid("scheduler-b")}
    leads = [name for name in ("scheduler-a", "scheduler-b") if "leads" in cluster.log(name)]
    assert len(leads) == 1, cluster.logs()
    # `veilleur status` shows the leader, both workers alive and the depth of each queue.
    shown = subprocess.run(
        [sys.executable, "-m", "veilleur", "status", "--settings", str(setup.settings)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert shown.returncode == 0, shown.stderr
    assert f":{cluster.pid(leads[0])}" in shown.stdout
    for name in ("worker-a", "worker-b"):
        assert re.search(rf"veilleur-{cluster.pid(name)}@\S+ +. alive", shown.stdout), shown.stdout
    for queue in ("crawl", "classify", "topics", "reports", "send", "upkeep"):
        assert re.search(rf"{queue} +. \d+ ", shown.stdout), shown.stdout
    drain(setup)
    cluster.stop_all()
    with setup.sessions() as session:
        check_once(session, setup.references, setup.after_run, setup.slack.posted())
    # Both workers took crawls: the queue was shared, not served by one.
    assert all("crawl acme/" in cluster.log(name) for name in ("worker-a", "worker-b"))
    assert cluster.tracebacks() == {}


def test_killed_workers_and_leader_lose_and_repeat_nothing(make_setup) -> None:  # type: ignore[no-untyped-def]
    setup = make_setup(sources=12, reviews=12, batch_size=1)
    cluster = setup.cluster
    for name in ("scheduler-a", "scheduler-b"):
        cluster.scheduler(name)
    cluster.worker("crawler-a", "crawl", concurrency=1)
    cluster.worker("crawler-b", "crawl", concurrency=1)
    cluster.worker("classifier-a", "classify,topics", concurrency=1)
    cluster.worker("others", "reports,send,upkeep", concurrency=1)

    # kill -9 a crawl worker while it crawls: a crawl tick claimed by one of its processes, the run of that tick's
    # source open (any open run would do when the other worker's is, and this one's crawl may have just ended).
    def crawling() -> bool:
        with setup.sessions() as session:
            claimed = session.execute(
                select(ScheduledTick.claimed_by, ScheduledTick.job).where(
                    ScheduledTick.job.like("crawl:%"),
                    ScheduledTick.done_at.is_(None),
                    ScheduledTick.lease_until > datetime.now(UTC),
                )
            ).all()
            open_sources = set(
                session.scalars(
                    select(Source.name)
                    .join(CrawlRun, CrawlRun.source_id == Source.id)
                    .where(CrawlRun.id > setup.after_run, CrawlRun.outcome == "running")
                )
            )
        return any(
            _group(by) == cluster.pid("crawler-a") and job.rsplit("/", 1)[-1] in open_sources for by, job in claimed
        )

    wait_until(crawling, 300, cluster.logs)
    cluster.kill("crawler-a")

    # kill -9 the only classify worker while the mentions are half classified, then start another.
    total = 12 * 12

    def half_classified() -> bool:
        with setup.sessions() as session:
            done = session.scalar(select(func.count(func.distinct(Classification.mention_id)))) or 0
        return 0 < done < total

    wait_until(half_classified, 300, cluster.logs)
    cluster.kill("classifier-a")
    with setup.sessions() as session:
        assert (session.scalar(select(func.count(Classification.id))) or 0) < total  # it was killed mid-way
    cluster.worker("classifier-b", "classify,topics", concurrency=1)

    # kill -9 the leading scheduler: the other leads within a minute.
    first = leading_pid(setup)
    assert first in {cluster.pid("scheduler-a"), cluster.pid("scheduler-b")}
    cluster.kill("scheduler-a" if first == cluster.pid("scheduler-a") else "scheduler-b")
    killed_at = datetime.now(UTC)
    wait_until(lambda: leading_pid(setup) not in (None, first), 60, "no new leader within a minute")
    assert (datetime.now(UTC) - killed_at).total_seconds() < 60

    settle(setup, total)
    drain(setup)
    cluster.stop_all()
    with setup.sessions() as session:
        check_once(session, setup.references, setup.after_run, setup.slack.posted())
        abandoned = session.scalar(select(func.count()).where(CrawlRun.outcome.in_(("running", "abandoned"))))
        retried = session.scalar(select(func.count()).where(ScheduledTick.attempts > 1))
        # Ticks are aligned on the clock: when the job's next tick came before the killed one was sent again, the
        # newer one did its work and the killed one was let go ("superseded"), which is right too.
        superseded = session.scalar(select(func.count()).where(ScheduledTick.claimed_by == "superseded"))
        outcomes = session.execute(select(CrawlRun.outcome, func.count()).group_by(CrawlRun.outcome)).all()
    # the killed crawl was closed, and its tick done by another worker or by the job's next tick
    assert abandoned == 1 and retried + superseded >= 1, (outcomes, retried, superseded, cluster.logs())
    survivors = {n: log for n, log in cluster.tracebacks().items() if n not in ("crawler-a", "classifier-a")}
    assert survivors == {}


def test_redis_restarted_mid_run_resumes_without_duplicates(make_setup) -> None:  # type: ignore[no-untyped-def]
    setup = make_setup(sources=16, reviews=3)
    cluster = setup.cluster
    cluster.scheduler("scheduler-a")
    cluster.worker("worker-a", concurrency=1)

    def some_crawled() -> bool:
        with setup.sessions() as session:
            crawled = session.scalar(select(func.count(func.distinct(Mention.source_id)))) or 0
        return 0 < crawled < 16

    wait_until(some_crawled, 300, cluster.logs)
    setup.redis.kill()  # everything the broker held is gone
    setup.redis.start()
    settle(setup, 16 * 3)
    drain(setup)
    cluster.stop_all()
    with setup.sessions() as session:
        check_once(session, setup.references, setup.after_run, setup.slack.posted())
    assert "sent again" in cluster.log("scheduler-a")  # the lost ticks came back from the ledger


def _group(claimed_by: str | None) -> int | None:
    """The process group (the worker's main process) of the process that claimed a tick ("host:pid")."""
    try:
        return os.getpgid(int((claimed_by or "").rsplit(":", 1)[1]))
    except (IndexError, ValueError, ProcessLookupError):
        return None
