"""Which job wakes which: a stage that did something starts the next one at once, instead of leaving its work
for the next stage's interval (three intervals of 5 + 5 + 1 minutes put a review in Slack 9-11 minutes after its
crawl). The intervals stay, as a safety net: a hand-over lost to a crash or another process's work (several
workers on one PostgreSQL database) is picked up by the next scheduled run.

A job is never run twice at once: a job woken while it runs is marked, and runs again as soon as it ends (what was
committed during its run may have missed its query). What is held (cooldown, quiet hours, digests) is still
decided by the send job's fatigue rules: waking the sender only makes it look sooner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from datetime import UTC, datetime

log = logging.getLogger("veilleur.scheduler")

CRAWL = "crawl:"  # every crawl job's id starts with this: "crawl:BRAND/SOURCE"

# After a job that did something, these jobs run now. Every stage that queues an alert wakes the sender; routing
# also queues notices (authors, product owners) and feed changes for the brand's site.
NEXT: dict[str, tuple[str, ...]] = {
    CRAWL: ("classify",),  # new mentions stored (an unhealthy source's alert waits for the send interval)
    "classify": ("route", "topics"),
    "route": ("send", "notify", "webhook", "crises"),
    "crises": ("send",),
    "publish": ("webhook",),
    "reply-reminders": ("send",),
    "report": ("send",),
    "report-rewrite": ("send",),
}


def next_jobs(job_id: str) -> tuple[str, ...]:
    return NEXT.get(CRAWL if job_id.startswith(CRAWL) else job_id, ())


class Handover:
    """Wakes jobs of one scheduler. `wake(job_id)` moves the job's next run to now (APScheduler wakes its loop),
    or, if the job is running, marks it to run again when it ends."""

    def __init__(self, reschedule: Callable[[str, datetime], None], known: Collection[str]) -> None:
        self._reschedule = reschedule
        self._known = known  # the scheduler's job ids (a job not scheduled here is not woken)
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._again: set[str] = set()

    def started(self, job_id: str) -> None:
        with self._lock:
            self._running.add(job_id)
            self._again.discard(job_id)

    def finished(self, job_id: str, did_something: bool) -> None:
        """A job ended: it wakes its next stages if it did something, and itself if it was woken meanwhile."""
        with self._lock:
            self._running.discard(job_id)
            again = job_id in self._again
            self._again.discard(job_id)
        if again:
            self.wake(job_id)
        if did_something:
            for name in next_jobs(job_id):
                self.wake(name)

    def wake(self, job_id: str) -> None:
        if job_id not in self._known:
            return
        with self._lock:
            if job_id in self._running:
                self._again.add(job_id)
                return
        try:
            self._reschedule(job_id, datetime.now(UTC))
        except Exception:  # the scheduler is shutting down: nothing to wake
            log.debug("could not wake %s", job_id, exc_info=True)
