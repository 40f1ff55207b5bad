"""Work shared by several worker processes on one database: claim queue rows, hold a named lock, insert once.

On PostgreSQL any number of workers can run the same jobs: a claimed row stays locked until the claiming
transaction ends and the other workers skip it (`SKIP LOCKED`) instead of waiting for it or doing it again. SQLite
has no row locks and ignores the clause: it takes one writer at a time (WAL, busy_timeout), so run one worker on
a SQLite database. The insert that skips duplicates is the last guard on both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import Executable, Select, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from models.schema import Base

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def claim(statement: Query) -> Query:
    """`statement` locking the rows it returns until the transaction ends, skipping rows another holds."""
    # NO KEY UPDATE rather than UPDATE: rows that point at a claimed one by a foreign key (its classification,
    # its topics, a moderation event) can still be inserted by others meanwhile.
    return statement.with_for_update(skip_locked=True, key_share=True)


def insert_once(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` of `model`, skipping each one a unique constraint says is stored already (by another
    worker). A Core insert: Python-side column defaults apply, the session's identity map is not filled."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    statement: Executable
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:
        statement = insert(table)  # no portable ON CONFLICT: a duplicate raises
    session.execute(statement, list(rows))


def lock_key(name: str) -> int:
    """The 64-bit key of PostgreSQL's advisory lock named `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def serialise(session: Session, name: str) -> None:
    """Wait until no other transaction holds the lock `name`, and hold it until this one ends (PostgreSQL; a
    no-op on SQLite, whose writers already take turns)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(lock_key(name))))


@contextmanager
def exclusive(sessions: sessionmaker[Session], name: str) -> Iterator[bool]:
    """Whether this process holds the lock `name` for the block: False while another process holds it (it is
    doing that work now). A PostgreSQL advisory lock, released when the block ends or the process dies; always
    True on SQLite, which has one writer."""
    with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            yield True
            return
        with session.begin():
            yield bool(session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(name)))))
