from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from models.db import make_engine, make_session_factory, upgrade
from reports.build import Options, build_report
from reports.figures import Report
from reports.topics import topics_from
from tests.reports import fixture

NOW = datetime(2026, 3, 20, tzinfo=UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def loaded(sessions: sessionmaker[Session]) -> tuple[sessionmaker[Session], dict[int, int]]:
    with sessions.begin() as session:
        ids = fixture.load(session)
    return sessions, ids


def make_report(sessions: sessionmaker[Session], **options: object) -> Report:
    with sessions.begin() as session:
        return build_report(
            session,
            "acme",
            fixture.START,
            fixture.END,
            Options(topics=topics_from([]), **options),
            now=NOW,  # type: ignore[arg-type]
        )


@pytest.fixture
def report(loaded: tuple[sessionmaker[Session], dict[int, int]]) -> Report:
    return make_report(loaded[0])
