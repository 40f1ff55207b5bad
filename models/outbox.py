"""One outbox helper for the three outbox tables (alert, notification, webhook_delivery): which rows are due, a
claim by conditional UPDATE, the lease after which a crashed sender's claim is taken over, the back-off between
attempts, and the permanent failure. Each outbox keeps its own policy (lease, what "due" also excludes, batch
size, first retry, ceiling, attempts limit) in the module that sends it.

Two kinds of lease, both a conditional UPDATE: a table with `claimed_at` and `claimed_by` (the alert) records who
holds the row and since when, so a sender that takes over can tell the last one died mid-send; the other tables
push `next_attempt_at` past the lease, so the row is simply not due until the lease is over.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session


class OutboxRow(Protocol):
    """The columns every outbox table has under the same name."""

    id: int
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


Row = TypeVar("Row", bound=OutboxRow)

ERROR_LENGTH = 2000  # what an error message keeps: enough to read, not a whole HTML page


def backoff(attempts: int, first: timedelta, ceiling: timedelta | None = None) -> timedelta:
    """`first`, then twice as long after each further failure (after the 1st, 2nd, 3rd... attempt), never more
    than `ceiling`. The exponent stops at 20 so a long-failing row cannot overflow a date."""
    delay = first * 2 ** min(max(attempts - 1, 0), 20)
    return delay if ceiling is None else min(delay, ceiling)


@dataclass(frozen=True)
class Retry:
    """How long a transient failure (a 5xx, the network, a 429) is retried: after `first`, then twice as long each
    time up to `ceiling`, and given up only once both `attempts` attempts were made and `window` has passed since
    the row was queued. An outage of hours therefore costs a delay, never a message.

    From the second retry on, each delay is shortened by up to `jitter` (a fraction), at random: rows that failed
    together (every alert of an outage) do not all come back in the same second, and the ceiling stays a ceiling."""

    first: timedelta
    ceiling: timedelta
    window: timedelta = timedelta(hours=48)
    attempts: int = 5
    jitter: float = 0.2

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        delay = backoff(attempts, self.first, self.ceiling)
        if attempts > 1:
            delay *= 1 - self.jitter * (rng or random).random()
        return delay

    def gives_up(self, attempts: int, queued_at: datetime, now: datetime) -> bool:
        return attempts >= self.attempts and now - queued_at >= self.window


class Outbox(Generic[Row]):
    """One outbox table and its policy. The caller owns the session; `mark_*` change the row in it."""

    def __init__(
        self,
        table: type[Row],
        *,
        sent: InstrumentedAttribute[datetime | None],
        lease: timedelta,
        failed: InstrumentedAttribute[datetime | None] | None = None,
        claimed: tuple[InstrumentedAttribute[datetime | None], InstrumentedAttribute[str | None]] | None = None,
        due_also: tuple[ColumnElement[bool], ...] = (),
        batch: int | None = None,
    ) -> None:
        self.table = table
        self.sent = sent  # set when delivered; a row with it set is never sent again
        self.lease = lease  # longer than any send can take: a claim older than this is a dead sender's
        self.failed = failed  # set when given up for good (if the table can give up)
        # (claimed_at, claimed_by) when the table records its claims; else the lease is held in next_attempt_at.
        self.claimed = claimed
        self.due_also = due_also  # what else keeps a row waiting (an alert held by fatigue control)
        self.batch = batch  # at most this many due rows per read

    @property
    def _columns(self) -> Any:
        # The mapped class, for building SQL on the columns every outbox table shares.
        return self.table

    def _pending(self) -> list[ColumnElement[bool]]:
        """Neither sent nor given up."""
        pending: list[ColumnElement[bool]] = [self.sent.is_(None)]
        if self.failed is not None:
            pending.append(self.failed.is_(None))
        return pending

    def _lease_free(self, now: datetime) -> ColumnElement[bool]:
        """Nobody holds the row, or its holder's lease is over."""
        if self.claimed is not None:
            claimed_at = self.claimed[0]
            return or_(claimed_at.is_(None), claimed_at < now - self.lease)
        return self._retry_due(now)

    def _retry_due(self, now: datetime) -> ColumnElement[bool]:
        next_attempt_at = self._columns.next_attempt_at
        return or_(next_attempt_at.is_(None), next_attempt_at <= now)  # type: ignore[no-any-return]

    def due_ids(self, session: Session, now: datetime) -> list[int]:
        """The rows to try now, oldest first."""
        conditions = [*self._pending(), *self.due_also, self._retry_due(now)]
        if self.claimed is not None:
            conditions.append(self._lease_free(now))
        query = select(self._columns.id).where(*conditions).order_by(self._columns.id)
        if self.batch is not None:
            query = query.limit(self.batch)
        return list(session.scalars(query))

    def claim(self, session: Session, row_id: int, now: datetime, worker: str = "") -> Row | None:
        """The row if this sender won it, else None: another sender holds it, or it was sent or given up meanwhile.
        One conditional UPDATE, so of two senders racing for a row exactly one wins it."""
        values: dict[Any, Any] = {self._columns.attempts: self._columns.attempts + 1}
        if self.claimed is not None:
            claimed_at, claimed_by = self.claimed
            values |= {claimed_at: now, claimed_by: worker}
        else:
            values[self._columns.next_attempt_at] = now + self.lease
        won = session.execute(
            update(self.table)
            .where(self._columns.id == row_id, *self._pending(), self._lease_free(now))
            .values(values)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        return session.get(self.table, row_id, populate_existing=True) if won else None

    def mark_sent(self, row: Row, now: datetime) -> None:
        setattr(row, self.sent.key, now)
        row.last_error = None

    def mark_retry(self, row: Row, now: datetime, delay: timedelta, error: str) -> None:
        """Release the claim and try again after `delay`."""
        if self.claimed is not None:
            for column in self.claimed:
                setattr(row, column.key, None)
        row.next_attempt_at = now + delay
        row.last_error = error[:ERROR_LENGTH]

    def mark_failure(self, row: Row, queued_at: datetime, now: datetime, error: str, retry: Retry, final: bool) -> None:
        """A failed attempt: given up for good when the other side refused it (`final`) or `retry` gives up, else
        tried again after its back-off."""
        if final or retry.gives_up(row.attempts, queued_at, now):
            self.mark_failed(row, now, error)
        else:
            self.mark_retry(row, now, retry.delay(row.attempts), error)

    def revive(self, session: Session, ids: list[int] | None = None) -> int:
        """Rows given up for good (all, or those of `ids`) are queued again as new: `veilleur alerts retry` after
        the cause is fixed (the bot invited, the token renewed). Their last error is kept until they are sent."""
        if self.failed is None:
            return 0
        revived = update(self.table).where(self.failed.is_not(None))
        if ids is not None:
            revived = revived.where(self._columns.id.in_(ids))
        values: dict[Any, Any] = {self.failed: None, self._columns.attempts: 0, self._columns.next_attempt_at: None}
        if self.claimed is not None:
            values |= {column: None for column in self.claimed}
        result = session.execute(revived.values(values).execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def mark_failed(self, row: Row, now: datetime, error: str) -> None:
        """Give up for good: the row is never due again."""
        if self.failed is None:
            raise TypeError(f"{self.table.__name__} rows cannot fail for good: they are retried until sent")
        setattr(row, self.failed.key, now)
        row.last_error = error[:ERROR_LENGTH]
