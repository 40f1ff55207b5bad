"""What `veilleur status` adds in the distributed mode: the leading scheduler, the workers alive, each queue's
depth on the broker, and the ledger's ticks waiting or running."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from celery import Celery
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from models import ScheduledTick
from models.claims import lock_key
from scheduler.distributed import broker
from scheduler.distributed.leader import LEADER_LOCK
from scheduler.schedule import QUEUES

Section = tuple[str, list[tuple[Any, ...]], list[str]]


def leader(session: Session) -> list[tuple[Any, ...]]:
    """The session holding the leader lock: its name (host:pid), address and since when."""
    key = lock_key(LEADER_LOCK) & 0xFFFFFFFFFFFFFFFF
    rows = session.execute(
        text(
            "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid::bigint = :high AND l.objid::bigint = :low AND l.objsubid = 1"
        ),
        {"high": key >> 32, "low": key & 0xFFFFFFFF},
    ).all()
    return [tuple(row) for row in rows] or [("none: no scheduler leads (start `veilleur scheduler`)", "", "")]


def queue_depths(broker_url: str) -> list[tuple[Any, ...]]:
    connection = broker.client(broker_url)
    try:
        rows: list[tuple[Any, ...]] = [(name, broker.depth(connection, name)) for name in QUEUES]
        rows.append(("taken, not yet acknowledged", broker.unacked(connection)))
        return rows
    except Exception as error:  # redis.RedisError, or a refused connection
        return [("broker unreachable", f"{broker_url}: {error}")]
    finally:
        connection.close()


def workers(app: Celery, timeout: float = 1.5) -> list[tuple[Any, ...]]:
    try:
        replies = app.control.ping(timeout=timeout)
    except Exception as error:  # the broker is down
        return [("unknown", f"broker unreachable: {error}")]
    return [(name, "alive") for reply in replies for name in reply] or [("none answered", "")]


def ledger(session: Session, now: datetime | None = None) -> list[tuple[Any, ...]]:
    now = now or datetime.now(UTC)
    waiting = ScheduledTick.done_at.is_(None)
    running = waiting & (ScheduledTick.lease_until > now)
    free = waiting & or_(ScheduledTick.lease_until.is_(None), ScheduledTick.lease_until <= now)
    count = session.scalar(select(func.count()).where(waiting)) or 0
    busy = session.scalar(select(func.count()).where(running)) or 0
    oldest = session.scalar(select(func.min(ScheduledTick.enqueued_at)).where(free))
    return [
        ("running", busy),
        ("waiting for a worker", count - busy),
        ("oldest waiting since", oldest or "-"),
    ]


def overview(session: Session, app: Celery, broker_url: str) -> list[Section]:
    return [
        ("Leading scheduler", leader(session), ["scheduler", "address", "since"]),
        ("Workers", workers(app), ["worker", "state"]),
        ("Broker queues", queue_depths(broker_url), ["queue", "tasks"]),
        ("Scheduled ticks", ledger(session), ["state", "ticks"]),
    ]
