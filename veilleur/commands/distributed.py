"""The distributed mode's commands: `veilleur worker --queues ...` (a Celery worker) and `veilleur scheduler`
(the clock that enqueues; one of several leads). See docs/distributed.md."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from pathlib import Path

from config.settings import Settings
from scheduler.context import Context
from scheduler.distributed import refusal
from scheduler.schedule import QUEUES

QUIET = ("apscheduler", "alembic", "fontTools", "httpx", "celery.app.trace", "celery.worker.strategy", "kombu")


def log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # What each job did is logged by Veilleur; the libraries' own progress lines are not news.
    for library in QUIET:
        logging.getLogger(library).setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # CSS it ignores in the PDF report, per rule


def queues_problem(queues: str) -> str:
    unknown = [name for name in queues.split(",") if name not in QUEUES]
    return f"--queues {queues!r}: no queue {', '.join(unknown)} (queues: {', '.join(QUEUES)})" if unknown else ""


def run_worker(settings: Settings, path: Path, queues: str, concurrency: int) -> None:
    """A Celery worker on `queues` (comma-separated), `concurrency` processes. Migrates the database first, so that
    workers started on a fresh one find their tables."""
    from scheduler.distributed.tasks import make_app

    Context(settings, path).close()  # migrations and brands, before the pool's processes fork
    app = make_app(settings, path)
    name = f"veilleur-{os.getpid()}@{socket.gethostname()}"
    app.worker_main(
        ["worker", "--queues", queues, "--concurrency", str(concurrency), "--hostname", name, "--loglevel", "INFO"]
    )


def run_scheduler(settings: Settings, path: Path) -> None:
    from scheduler.distributed.leader import run
    from scheduler.distributed.tasks import make_app

    context = Context(settings, path)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logging.getLogger("veilleur.distributed").info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    try:
        run(context, make_app(settings, path), stop)
    finally:
        context.close()


__all__ = ["QUEUES", "log_to_stderr", "queues_problem", "refusal", "run_scheduler", "run_worker"]
