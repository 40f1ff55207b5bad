"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database on the server named by
VEILLEUR_TEST_POSTGRES_URL (started by `make test`, see tests/start_postgres.sh)."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

POSTGRES_ENV = "VEILLEUR_TEST_POSTGRES_URL"


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'veilleur-test.db'}"


def create_postgres_database() -> tuple[str, str]:
    """(url of a new empty database, its name). The server URL must name an admin database."""
    admin_url = os.environ[POSTGRES_ENV]
    name = f"veilleur_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def drop_postgres_database(name: str, attempts: int = 20) -> None:
    """Drop a test database. A server process of another role (an autovacuum worker) can hold it for a moment,
    and this role may not terminate it: wait and try again."""
    engine = create_engine(os.environ[POSTGRES_ENV], isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(attempts):
            try:
                with engine.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except DBAPIError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)
    finally:
        engine.dispose()
