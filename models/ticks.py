"""The distributed mode's ledger of scheduled work (scheduler/distributed/): one row per job and tick.

The leading scheduler writes the row before it puts the task on the broker; a worker claims it before running the
job and marks it done after. The row, not the broker, is what says whether a tick's work was done: a tick enqueued
twice (two schedulers around a hand-over, a message redelivered after a worker died) runs once; a message lost
with the broker (Redis restarted without its data) is enqueued again from the row. A claim is a lease: a worker
killed mid-job stops renewing nothing, and once its lease is over the redelivered message may take the tick over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, UniqueConstraint, and_, delete, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.claims import insert_once
from models.schema import Base, utcnow


class ScheduledTick(Base):
    """One job's run for one tick of its interval ("crawl:acme/shop" at tick 29431652)."""

    __tablename__ = "scheduled_tick"
    __table_args__ = (UniqueConstraint("job", "tick"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(300))
    tick: Mapped[int]  # seconds since the epoch // the job's interval in seconds
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # "host:pid" of the worker that runs it
    lease_until: Mapped[datetime | None]  # another worker may take the tick over after this
    attempts: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None] = mapped_column(index=True)


def record(session: Session, job: str, tick: int, now: datetime) -> bool:
    """Write the tick's row; False if it exists already (another scheduler enqueued it: do not enqueue again)."""
    before = session.scalar(select(ScheduledTick.id).where(ScheduledTick.job == job, ScheduledTick.tick == tick))
    if before is not None:
        return False
    insert_once(session, ScheduledTick, [{"job": job, "tick": tick, "enqueued_at": now}])
    return True


def claim(session: Session, job: str, tick: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Whether `worker` may run the tick now: not done, and no other worker's lease running. One UPDATE, so two
    workers given the same tick at once cannot both get it."""
    free = or_(ScheduledTick.lease_until.is_(None), ScheduledTick.lease_until < now)
    result = session.execute(
        update(ScheduledTick)
        .where(ScheduledTick.job == job, ScheduledTick.tick == tick, ScheduledTick.done_at.is_(None), free)
        .values(claimed_by=worker, lease_until=now + lease, attempts=ScheduledTick.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def finish(session: Session, job: str, tick: int, worker: str, now: datetime) -> None:
    session.execute(
        update(ScheduledTick)
        .where(ScheduledTick.job == job, ScheduledTick.tick == tick, ScheduledTick.claimed_by == worker)
        .values(done_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def release(session: Session, job: str, tick: int, worker: str) -> None:
    """The job failed: the tick is free for the retry at once (its lease would otherwise hold it)."""
    session.execute(
        update(ScheduledTick)
        .where(ScheduledTick.job == job, ScheduledTick.tick == tick, ScheduledTick.claimed_by == worker)
        .where(ScheduledTick.done_at.is_(None))
        .values(lease_until=None)
        .execution_options(synchronize_session=False)
    )


def stranded(session: Session, now: datetime, after: timedelta, limit: int = 500) -> list[ScheduledTick]:
    """Ticks not done whose message may be lost: enqueued more than `after` ago and not running under a lease
    (never claimed: the broker lost it; claimed, lease over: its worker died and no redelivery came)."""
    lease_over = or_(ScheduledTick.lease_until.is_(None), ScheduledTick.lease_until < now)
    return list(
        session.scalars(
            select(ScheduledTick)
            .where(ScheduledTick.done_at.is_(None), ScheduledTick.enqueued_at < now - after, lease_over)
            .order_by(ScheduledTick.enqueued_at)
            .limit(limit)
        )
    )


def requeued(session: Session, tick_ids: list[int], now: datetime) -> None:
    """The ticks were put on the broker again: their clock for `stranded` starts over."""
    if tick_ids:
        session.execute(
            update(ScheduledTick)
            .where(ScheduledTick.id.in_(tick_ids))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )


def prune(session: Session, before: datetime) -> int:
    """Forget the ticks done before `before` (the ledger only needs to outlive a hand-over and a redelivery)."""
    result = session.execute(delete(ScheduledTick).where(and_(ScheduledTick.done_at < before)))
    return result.rowcount  # type: ignore[attr-defined]
