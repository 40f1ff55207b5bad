"""The distributed mode: Celery workers on a Redis broker, one leading scheduler, a shared PostgreSQL database
(docs/distributed.md). The embedded mode (scheduler/worker.py) stays the default."""

from __future__ import annotations

from config.settings import Settings


def refusal(settings: Settings) -> str:
    """Why the distributed mode cannot run on these settings; "" when it can."""
    if not settings.distributed.broker_url:
        return "the distributed mode needs a broker: set [distributed] broker_url (e.g. redis://127.0.0.1:6379/0)"
    if not settings.database_url().startswith("postgresql"):
        return (
            "the distributed mode needs PostgreSQL: [database] url is SQLite, a file that workers on several "
            'machines cannot share (set url = "postgresql+psycopg://...")'
        )
    return ""
