"""The survey intake endpoint over HTTP: token required, a malformed export imports nothing and names its
lines, a good one is stored once however often it is sent."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from config.settings import load_settings
from models import Mention
from scheduler import jobs
from tests.conftest import FIXTURES, write_settings
from web.intake import intake_routes

BODY = """
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "survey"
kind = "survey"
urls = ["file:///dev/null"]
own = true
"""


@pytest.fixture
def client(tmp_path, database_url):
    path = write_settings(tmp_path, database_url, BODY)
    context = jobs.Context(load_settings(path), path)
    app = Starlette(routes=intake_routes(context.sessions, "s3cret", "key"))
    with TestClient(app) as client:
        yield client, context
    context.close()


def test_the_token_is_required(client):
    http, _ = client
    csv = (FIXTURES / "crawlers" / "survey" / "export_fr_SYNTHETIC.csv").read_bytes()
    assert http.post("/intake/survey/acme/survey", content=csv).status_code == 401
    wrong = http.post("/intake/survey/acme/survey", content=csv, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_an_export_is_imported_once(client):
    http, context = client
    csv = (FIXTURES / "crawlers" / "survey" / "export_fr_SYNTHETIC.csv").read_bytes()
    headers = {"Authorization": "Bearer s3cret", "Content-Type": "text/csv"}
    first = http.post("/intake/survey/acme/survey", content=csv, headers=headers)
    again = http.post("/intake/survey/acme/survey", content=csv, headers=headers)
    assert first.status_code == 200 and first.json()["imported"] == first.json()["rows"] > 0
    assert again.json()["imported"] == 0
    with context.sessions.begin() as session:
        mentions = session.query(Mention).all()
        assert len(mentions) == first.json()["rows"]
        assert all(m.order_ref for m in mentions)


def test_a_malformed_export_imports_nothing_and_names_the_lines(client):
    http, context = client
    broken = (FIXTURES / "crawlers" / "survey" / "export_broken_SYNTHETIC.csv").read_bytes()
    response = http.post("/intake/survey/acme/survey", content=broken, headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 422
    assert any("line 3" in problem for problem in response.json()["problems"])
    with context.sessions.begin() as session:
        assert session.query(Mention).count() == 0
    unknown = http.post("/intake/survey/acme/nope", content=broken, headers={"Authorization": "Bearer s3cret"})
    assert unknown.status_code == 404


GOOD_ROW = {
    "order_ref": "ORD-1",
    "submitted_at": "2024-06-05T09:00:00Z",
    "experienced_at": "2024-06-01",
    "rating": 4,
    "text": "Arrived on time.",
    "consent": True,
}
HOSTILE_ROWS = [
    ({"rating_best": "inf"}, "rating_best"),
    ({"rating_best": 1e308}, "rating_best"),
    ({"rating": {"value": 4}}, "rating"),
    ({"rating": [4]}, "rating"),
    ({"rating": True}, "rating"),
    ({"submitted_at": {"date": "2024-06-05"}}, "submitted_at"),
    ({"experienced_at": ["2024-06-01"]}, "experienced_at"),
    ({"submitted_at": 1e20}, "submitted_at"),
    ({"submitted_at": 10**400}, "submitted_at"),
    ({"submitted_at": "2024-06-05 " + "x" * 100_000}, "submitted_at"),
    ({"title": {"a": 1}}, "title"),
    ({"author": "A" * 301}, "author"),
    ({"language": "fr-FR-x-" + "a" * 20}, "language"),
    ({"text": "x" * 500_001}, "text"),
]


@pytest.mark.parametrize(("change", "column"), HOSTILE_ROWS, ids=[column for _, column in HOSTILE_ROWS])
def test_a_hostile_value_is_a_422_naming_its_row_and_column(client, change, column):
    http, context = client
    rows = [GOOD_ROW, {**GOOD_ROW, "order_ref": "ORD-2", **change}]
    headers = {"Authorization": "Bearer s3cret", "Content-Type": "application/json"}
    response = http.post("/intake/survey/acme/survey", content=json.dumps(rows), headers=headers)
    assert response.status_code == 422, response.text
    [problem] = response.json()["problems"]
    assert problem.startswith(f"entry 2: {column}"), problem
    with context.sessions.begin() as session:
        assert session.query(Mention).count() == 0


def test_a_csv_rating_scale_of_inf_is_a_422(client):
    http, _ = client
    csv = "order_ref;submitted_at;experienced_at;rating;rating_best;consent\nO-1;2024-06-05;2024-06-01;4;inf;oui\n"
    response = http.post("/intake/survey/acme/survey", content=csv, headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 422
    assert response.json()["problems"] == ["line 2: rating_best 'inf' is not a finite number"]
