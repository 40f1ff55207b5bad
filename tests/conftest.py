from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import POSTGRES_ENV, create_postgres_database, drop_postgres_database, sqlite_url
from tests.support.fake_slack import FakeSlack
from veilleur.pages_server import PagesServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LABELLED = (ROOT.parent / "shared" / "labelled").resolve()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    if not os.environ.get(POSTGRES_ENV):
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} is not set: CI must test PostgreSQL (see tests/start_postgres.sh)")
        pytest.skip(f"{POSTGRES_ENV} not set (run the suite with `make test` to include PostgreSQL)")
    url, name = create_postgres_database()
    yield url
    drop_postgres_database(name)


@pytest.fixture
def pages_server() -> Iterator[PagesServer]:
    # Serves tests/fixtures/: realdata/ (saved real pages) and synthetic/ (hand-written ones).
    with PagesServer(FIXTURES) as server:
        yield server


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def write_settings(folder: Path, database_url: str, body: str, **sections: str) -> Path:
    """A settings file for a test: the given [[brands]] body, a test database and caches in `folder`."""
    extra = "\n".join(f"[{name}]\n{content}\n" for name, content in sections.items())
    text = f"""
[database]
url = "{database_url}"

[crawl]
user_agent = "Veilleur-tests/0.1 (+mailto:tests@example.org)"
download_delay_seconds = 0.0
autothrottle = false

[classifier]
labelled_dir = "{LABELLED}"
cache_dir = "{ROOT / ".cache" / "veilleur"}"

{extra}
{body}
"""
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path
