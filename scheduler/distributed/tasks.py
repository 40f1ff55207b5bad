"""Celery in the distributed mode. One task, `veilleur.run_job`, runs a job of the job table (scheduler/schedule.py)
by its name, on the job's queue: a team runs `veilleur worker --queues crawl` on small machines and
`--queues classify` on large ones.

A scheduled run carries its tick: the worker claims it in the ledger (models/ticks.py) before running the job and
marks it done after, so a tick enqueued twice or redelivered after a worker died runs once. Tasks are acknowledged
late (after the job): a worker killed mid-job leaves its message unacknowledged, and the broker gives it to another
worker once the visibility timeout is over; the tick's lease says whether the first one may still be at it. A job
that did something enqueues its next stages at once (scheduler/handover.py's table), as the embedded worker does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Celery, Task
from kombu import Queue

from config.settings import Settings, load_settings
from models import ticks
from scheduler.context import Context
from scheduler.handover import CRAWL, next_jobs
from scheduler.jobs import release_models, worker_id
from scheduler.schedule import QUEUES, Job, job_table, what_it_did

log = logging.getLogger("veilleur.distributed")
TASK = "veilleur.run_job"
WAKE_EXPIRES = timedelta(minutes=5)  # a wake-up not run by then is moot: the job's next tick comes anyway
WAKE_GAP = 2.0  # seconds: one process wakes a job at most this often (fifty crawls ending wake classify once)
RETRY_BASE = 30  # seconds before the first retry of a failed job; doubles each time
RELEASE_CHECK_SECONDS = 60.0  # how often a worker process looks for models idle [classifier] idle_unload_minutes


def make_app(settings: Settings, settings_path: Path) -> Celery:
    distributed = settings.distributed
    app = Celery("veilleur", broker=distributed.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged once the job is done: a worker dying mid-job loses nothing
        task_reject_on_worker_lost=True,  # ... even when the pool's child is the one killed
        worker_prefetch_multiplier=1,  # a long crawl does not hold other tasks back in its worker
        task_ignore_result=True,  # the database holds what a job did; no result backend
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="upkeep",
        broker_transport_options={"visibility_timeout": distributed.visibility_timeout_seconds},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # Redis restarted: wait for it, do not exit
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    app.conf.veilleur_settings = str(settings_path)
    app.task(name=TASK, bind=True, max_retries=distributed.task_retries)(run_job)
    return app


def enqueue(app: Celery, job: Job, tick: int | None, countdown: float = 0) -> None:
    """Put `job` on its queue: a scheduled run (tick) or a wake-up (None: in `countdown` seconds, and expires if
    not run soon after)."""
    if tick is None:
        expires = countdown + WAKE_EXPIRES.total_seconds()
        app.send_task(TASK, args=[job.name, None], queue=job.queue, countdown=countdown or None, expires=expires)
    else:
        app.send_task(TASK, args=[job.name, tick], queue=job.queue, task_id=f"{job.name}@{tick}")


# This process's context and job table, made at its first task: a prefork worker's processes are forked from the
# main one, and a database connection must not cross a fork.
_process: dict[str, Any] = {}


def _context(app: Celery) -> tuple[Context, dict[str, Job]]:
    if _process.get("pid") != os.getpid():
        path = Path(app.conf.veilleur_settings)
        context = Context(load_settings(path), path)
        _process.clear()
        _process.update(pid=os.getpid(), context=context, table=job_table(context), woken={})
        if context.settings.classifier.idle_unload_minutes:
            # The embedded worker's "release-models" job runs in its one process; a Celery worker has a pool of
            # processes, each with its own models: each process checks its own, on a thread of its own.
            threading.Thread(target=_release_idle_models, args=(context,), name="release-models", daemon=True).start()
    return _process["context"], _process["table"]


def _release_idle_models(context: Context) -> None:
    """Drop this process's models once unused for [classifier] idle_unload_minutes (1.6 GB for both): a classify
    worker idle overnight holds only its code, as the embedded worker does."""
    while _process.get("context") is context:
        time.sleep(RELEASE_CHECK_SECONDS)
        try:
            dropped = release_models(context)
        except Exception:  # never take the worker down for this; the next check tries again
            log.warning("could not release idle models", exc_info=True)
            continue
        if dropped:
            log.info("released idle models: %s", ", ".join(dropped))


def lease_for(context: Context, job: Job) -> timedelta:
    if job.name.startswith(CRAWL):  # a crawl is killed at its timeout: past it, its claim means nothing
        return timedelta(seconds=context.settings.crawl.timeout_seconds + 30)
    return timedelta(seconds=context.settings.distributed.lease_seconds)


def run_job(task: Task, name: str, tick: int | None) -> str:
    context, table = _context(task.app)
    job = table.get(name)
    if job is None:  # the scheduler's settings name a job this worker's settings do not: say it, do not retry
        log.error(
            "job %s: not in this worker's settings (%s); is it the same settings file?", name, context.settings_path
        )
        return "unknown job"
    me = worker_id()
    if tick is not None:
        with context.sessions.begin() as session:
            if not ticks.claim(session, name, tick, me, datetime.now(UTC), lease_for(context, job)):
                log.debug("job %s tick %s: done or running elsewhere", name, tick)
                return "skipped"
    started = time.monotonic()
    try:
        result = job.run()
    except Exception as error:
        if tick is not None:
            with context.sessions.begin() as session:
                ticks.release(session, name, tick, me)
        retries = task.request.retries
        log.exception("job %s failed (attempt %d)", name, retries + 1)
        raise task.retry(exc=error, countdown=RETRY_BASE * 2**retries) from error
    if tick is not None:
        with context.sessions.begin() as session:
            ticks.finish(session, name, tick, me, datetime.now(UTC))
    said = what_it_did(result)
    if said:
        log.info("%s: %s (%.1f s)", name, said, time.monotonic() - started)
        _wake(task.app, table, next_jobs(name))
    return said


def _wake(app: Celery, table: dict[str, Job], names: tuple[str, ...]) -> None:
    """Wake each job at once, or, if this process woke it less than WAKE_GAP ago, once that gap is over: fifty
    crawls ending together wake classification twice, not fifty times, and the last one's mentions are never left
    for the job's next interval."""
    woken: dict[str, float] = _process["woken"]  # when this process's latest wake-up of each job runs
    now = time.monotonic()
    for name in names:
        if name not in table or woken.get(name, -WAKE_GAP) > now:
            continue  # not scheduled here, or a wake-up still to come covers this
        at = max(now, woken.get(name, -WAKE_GAP) + WAKE_GAP)
        try:
            enqueue(app, table[name], None, countdown=at - now)
        except Exception:  # the broker is down: the job's next tick does the work
            log.warning("could not wake %s (broker unreachable)", name, exc_info=True)
            continue
        woken[name] = at
