"""The 'source unhealthy' alert (SQLite and PostgreSQL): none for a healthy source, one per source per day while
it stays unhealthy, saying why."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alerts.unhealthy import alert_unhealthy
from models import Alert, AlertKind, Brand, Source
from models.db import make_engine, make_session_factory, upgrade


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def add_source(sessions, healthy: bool, reason: str | None = None) -> None:
    with sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        session.add(Source(brand_id=brand.id, name="carrot", kind="schema_org", healthy=healthy, health_reason=reason))


def alerts(sessions) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert)))


def test_a_healthy_source_raises_no_alert(sessions):
    add_source(sessions, healthy=True)
    with sessions.begin() as session:
        alert_unhealthy(session, "acme", "carrot", "#veille")
    assert alerts(sessions) == []


def test_an_unhealthy_source_raises_one_alert_a_day_with_its_reason(sessions):
    add_source(sessions, healthy=False, reason="blocked: HTTP 403 and no page fetched")
    for _ in range(2):  # the next crawl the same day finds it still unhealthy
        with sessions.begin() as session:
            alert_unhealthy(session, "acme", "carrot", "#veille")
    [alert] = alerts(sessions)
    assert alert.kind == AlertKind.SOURCE_UNHEALTHY
    assert alert.channel == "#veille"
    assert alert.payload["source"] == "acme/carrot"
    assert alert.payload["text"] == "blocked: HTTP 403 and no page fetched"
    assert alert.payload["why"] == {"rule": "source_health", "reason": "blocked: HTTP 403 and no page fetched"}
