"""`veilleur scheduler`: the one clock of the distributed mode. APScheduler fires each job of the job table on its
interval and only enqueues it; the workers run it.

Several schedulers may run, for safety: the one holding a PostgreSQL advisory lock leads, the others wait. The lock
lives on a connection of its own: when the leader dies (kill -9, machine lost), PostgreSQL closes the connection and
frees the lock, and a standby takes it at its next try (every [distributed] leader_check_seconds). The leader checks
its connection as often and stops enqueuing the moment it is gone.

A run is identified by its tick (the epoch's seconds // the interval), so two schedulers firing around a hand-over
name the same run, and the ledger (models/ticks.py) writes it once. The leader also enqueues again the ticks whose
message was lost (Redis restarted empty), and lets an older tick of a job go when a newer one exists.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from celery import Celery
from sqlalchemy import Connection, create_engine, func, select, text, update
from sqlalchemy.pool import NullPool

from models import ScheduledTick, ticks
from models.claims import lock_key
from scheduler.context import Context
from scheduler.distributed import broker
from scheduler.distributed.tasks import enqueue
from scheduler.jobs import worker_id
from scheduler.schedule import Job, job_table

log = logging.getLogger("veilleur.distributed")
LEADER_LOCK = "veilleur:scheduler-leader"
APPLICATION = "veilleur-scheduler"  # the lock connection's application_name: `veilleur status` shows the leader
KEEP_DONE = timedelta(days=2)  # done ticks older than this are forgotten


class Leadership:
    """The leader lock: a session-level advisory lock held on one autocommit connection."""

    def __init__(self, url: str) -> None:
        name = f"{APPLICATION} {worker_id()}"
        self._engine = create_engine(url, poolclass=NullPool, connect_args={"application_name": name[:63]})
        self._connection: Connection | None = None

    def try_lead(self) -> bool:
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except Exception:
            log.warning("cannot reach the database to take the lead", exc_info=True)
            return False
        try:
            if connection.scalar(select(func.pg_try_advisory_lock(lock_key(LEADER_LOCK)))):
                self._connection = connection
                return True
        except Exception:  # the server went away between connecting and asking: try again later
            log.warning("could not ask for the leader lock", exc_info=True)
        connection.close()
        return False

    def holds(self) -> bool:
        """Whether the lock's connection is still alive (a server restart or a network cut ends it)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:
            log.error("lost the database connection that holds the leader lock", exc_info=True)
            self.resign()
            return False

    def resign(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:
                log.debug("closing the leader connection", exc_info=True)
        self._connection = None

    def close(self) -> None:
        self.resign()
        self._engine.dispose()


def tick_of(job: Job, now: datetime) -> int:
    return int(now.timestamp() // job.every.total_seconds())


def enqueue_tick(context: Context, app: Celery, job: Job, now: datetime | None = None) -> bool:
    """Write the job's current tick and put it on the broker; False if it was enqueued already (by a scheduler
    that led before). A broker that does not answer loses nothing: the row stays and `requeue` sends it later."""
    now = now or datetime.now(UTC)
    tick = tick_of(job, now)
    with context.sessions.begin() as session:
        if not ticks.record(session, job.name, tick, now):
            return False
    try:
        enqueue(app, job, tick)
    except Exception:
        log.warning("could not enqueue %s (broker unreachable); it is sent again later", job.name, exc_info=True)
    return True


def requeue(
    context: Context,
    app: Celery,
    table: dict[str, Job],
    depth: Callable[[str], int],
    now: datetime | None = None,
) -> tuple[int, int]:
    """(ticks enqueued again, older ticks let go). A tick not started `requeue_after_seconds` after it was sent,
    while its queue on the broker is empty (`depth`), has lost its message: it is sent again. A tick behind a
    backlog still has its message and waits. If a newer tick of its job exists, that one does the work instead."""
    now = now or datetime.now(UTC)
    try:
        empty = {queue for queue in {job.queue for job in table.values()} if depth(queue) == 0}
    except Exception:
        log.warning("requeue: the broker does not answer; trying again later", exc_info=True)
        return 0, 0
    after = timedelta(seconds=context.settings.distributed.requeue_after_seconds)
    sent: list[int] = []
    dropped = 0
    with context.sessions.begin() as session:
        for row in ticks.stranded(session, now, after):
            job = table.get(row.job)
            newest = session.scalar(select(func.max(ScheduledTick.tick)).where(ScheduledTick.job == row.job))
            if job is None or (newest is not None and newest > row.tick):
                session.execute(
                    update(ScheduledTick)
                    .where(ScheduledTick.id == row.id, ScheduledTick.done_at.is_(None))
                    .values(done_at=now, claimed_by="superseded")
                )
                dropped += 1
                continue
            if job.queue not in empty:
                continue
            try:
                enqueue(app, job, row.tick)
            except Exception:
                log.warning("could not enqueue %s again (broker unreachable)", row.job, exc_info=True)
                break
            sent.append(row.id)
        ticks.requeued(session, sent, now)
        ticks.prune(session, now - KEEP_DONE)
    if sent or dropped:
        log.info("requeue: %d ticks sent again, %d superseded by a newer tick", len(sent), dropped)
    return len(sent), dropped


def run(context: Context, app: Celery, stop: threading.Event) -> None:
    """Lead when the lock is free, stand by when it is not, until `stop` is set."""
    check = context.settings.distributed.leader_check_seconds
    leadership = Leadership(context.settings.database_url())
    try:
        while not stop.is_set():
            if leadership.try_lead():
                log.info("scheduler %s leads: it enqueues the jobs", worker_id())
                lead(context, app, leadership, stop)
                if not stop.is_set():
                    log.warning("scheduler %s no longer leads; standing by", worker_id())
            else:
                stop.wait(check)
    finally:
        leadership.close()


def lead(context: Context, app: Celery, leadership: Leadership, stop: threading.Event) -> None:
    check = context.settings.distributed.leader_check_seconds
    table = {name: job for name, job in job_table(context).items() if job.queue != "local"}
    scheduler = BackgroundScheduler(timezone="UTC")
    now = datetime.now(UTC)
    for job in table.values():
        seconds = job.every.total_seconds()
        # Fired one second after each tick begins (ticks start at multiples of the interval since the epoch),
        # and once now: a new leader enqueues the current ticks its predecessor may not have sent.
        start = datetime.fromtimestamp((tick_of(job, now) + 1) * seconds + 1, UTC)
        scheduler.add_job(
            _safe(enqueue_tick, context, app, job),
            "interval",
            seconds=seconds,
            start_date=start,
            id=job.name,
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(_safe(enqueue_tick, context, app, job), id=f"{job.name}:now", next_run_time=now)
    sweep = min(context.settings.distributed.requeue_after_seconds / 2, 60)
    connection = broker.client(context.settings.distributed.broker_url)
    depth = functools.partial(broker.depth, connection)
    scheduler.add_job(_safe(requeue, context, app, table, depth), "interval", seconds=sweep, id="requeue")
    scheduler.start()
    try:
        while not stop.wait(check) and leadership.holds():
            pass
    finally:
        scheduler.shutdown(wait=True)
        connection.close()
        leadership.resign()


def _safe(function, *args):  # type: ignore[no-untyped-def]
    def run() -> None:
        try:
            function(*args)
        except Exception:  # the database is unreachable for a moment: the next firing tries again
            log.exception("scheduler: %s failed", getattr(function, "__name__", function))

    return run
