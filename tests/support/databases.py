"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database on the server named by
VEILLEUR_TEST_POSTGRES_URL (started by `make test`, see tests/start_postgres.sh)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

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


def drop_postgres_database(name: str) -> None:
    engine = create_engine(os.environ[POSTGRES_ENV], isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
