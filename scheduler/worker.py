"""The long-running worker: APScheduler runs each job on its interval from settings, and a job that did
something starts the next stage at once (scheduler/handover.py), so a crawled review reaches Slack in seconds.

`max_instances=1` and `coalesce=True` on every job: a slow crawl is never run twice at once, and missed
runs (the machine slept) collapse into one. SIGINT (Ctrl-C) or SIGTERM (systemd, docker stop) stops it cleanly:
no new job starts, the running ones finish; a second signal stops it at once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler.context import Context
from scheduler.handover import Handover
from scheduler.schedule import job_table, what_it_did

log = logging.getLogger("veilleur.scheduler")


def _safe(name: str, handover: Handover, function, *args):  # type: ignore[no-untyped-def]
    # A failing job is logged and retried at its next run; it never stops the other jobs. A job that did
    # something says what, in one line, and hands over to the next stage; an idle run says nothing.
    def run() -> None:
        started = time.monotonic()
        handover.started(name)
        said = ""
        try:
            result = function(*args)
        except Exception:
            log.exception("job %s failed; it runs again at its next interval", name)
            return
        else:
            said = what_it_did(result)
            if said:
                log.info("%s: %s (%.1f s)", name, said, time.monotonic() - started)
        finally:
            handover.finished(name, bool(said))

    run.__name__ = name
    return run


def run(context: Context) -> None:
    """Run the jobs until SIGINT or SIGTERM, then let the running ones finish."""
    scheduler = build_scheduler(context)
    # Shut down from a thread of its own: the main loop returns at once, and this thread waits for the jobs.
    stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, name="worker-stop")

    def stop(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if stopper.is_alive() or stopper.ident is not None:
            log.warning("%s again: stopping now, without waiting for the running jobs", name)
            os._exit(1)
        log.info("%s: no new job starts; waiting for the running ones to finish", name)
        stopper.start()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    names = [job.id for job in scheduler.get_jobs()]
    log.info("worker started: %d jobs (%s)", len(names), ", ".join(names))
    scheduler.start()  # returns once the scheduler is shut down
    if stopper.ident is not None:
        stopper.join()
    context.close()
    log.info("worker stopped")


def waker(scheduler: BaseScheduler) -> Callable[[str, datetime], None]:
    """Move a job's next run to now, from a thread of its own and only while the scheduler runs. APScheduler's
    shutdown holds its job-store lock while it waits for the running jobs: a job ending then and waking the next
    stage from its own thread with `modify_job` would wait for that lock forever, and so would the shutdown (a
    SIGTERM during a hand-over hung the worker)."""

    def modify(name: str, now: datetime) -> None:
        try:
            scheduler.modify_job(name, next_run_time=now)
        except Exception:  # stopped meanwhile (the job is no longer looked up): nothing to wake
            log.debug("could not wake %s", name, exc_info=True)

    def wake(name: str, now: datetime) -> None:
        if scheduler.state == STATE_RUNNING:
            threading.Thread(target=modify, args=(name, now), name=f"wake-{name}", daemon=True).start()

    return wake


def build_scheduler(context: Context) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    names: list[str] = []
    handover = Handover(waker(scheduler), names)

    for job in job_table(context).values():
        names.append(job.name)
        scheduler.add_job(
            _safe(job.name, handover, job.run),
            "interval",
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            next_run_time=_now(),
            seconds=job.every.total_seconds(),
        )
    return scheduler


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
