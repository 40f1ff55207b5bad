"""Orders in: a file through the command, a body through the signed endpoint; all or nothing, every bad row named
with its line (or entry) and field; importing the same order again records its delivery, nothing else."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from models import SurveyOrder
from tests.console.browser import serve
from tests.surveys.support import TOKEN, orders_csv, survey_context
from veilleur.cli import app
from web.app import create_app


@pytest.fixture
def context(tmp_path, database_url):
    context = survey_context(tmp_path, database_url)
    yield context
    context.close()


def _import(context, tmp_path, body: bytes, name: str = "orders.csv"):
    path = tmp_path / name
    path.write_bytes(body)
    return CliRunner().invoke(
        app, ["survey", "orders", "import", str(path), "--brand", "acme", "--settings", str(context.settings_path)]
    )


def test_a_file_is_imported_and_a_later_delivery_recorded(context, tmp_path):
    placed = orders_csv(
        [
            {"order_ref": "A-1", "email": "Camille@Example.com", "products": "P1|P2"},
            {"order_ref": "A-2", "email": "jo@example.com", "language": "en", "campaign": "box"},
        ]
    )
    result = _import(context, tmp_path, placed)
    assert result.exit_code == 0, result.output
    assert "2 orders, 2 new" in result.output
    delivered = orders_csv([{"order_ref": "A-1", "email": "camille@example.com", "delivered_at": "2026-11-24"}])
    assert "1 newly delivered" in _import(context, tmp_path, delivered).output
    with context.sessions() as session:
        orders = {o.order_ref: o for o in session.query(SurveyOrder)}
    assert orders["A-1"].email == "camille@example.com"  # compared case-folded by the cap and the opt-outs
    assert orders["A-1"].products == ["P1", "P2"]
    assert orders["A-1"].delivered_at is not None and orders["A-1"].campaign == "post-purchase"
    assert orders["A-2"].campaign == "box" and orders["A-2"].delivered_at is None


def test_one_bad_row_imports_nothing_and_each_problem_names_its_line_and_field(context, tmp_path):
    body = orders_csv(
        [
            {"order_ref": "B-1", "email": "ok@example.com"},
            {"order_ref": "B-2", "email": "not-an-address"},
            {"order_ref": "B-3", "email": "x@example.com", "language": "de"},
            {"order_ref": "B-4", "email": "y@example.com", "delivered_at": "2026-11-01"},  # before ordered_at
            {"order_ref": "B-1", "email": "z@example.com"},
        ]
    )
    result = _import(context, tmp_path, body)
    assert result.exit_code == 1
    assert "4 problem(s), nothing imported" in result.output
    assert "line 3: email: 'not-an-address' is not an e-mail address" in result.output
    assert "line 4: language: 'de' is neither fr nor en" in result.output
    assert "line 5: delivered_at" in result.output
    assert "line 6: order_ref: 'B-1' already on line 2" in result.output
    with context.sessions() as session:
        assert session.query(SurveyOrder).count() == 0


def test_the_endpoint_wants_the_token_and_checks_the_whole_body(context):
    good = [
        {"order_ref": "C-1", "ordered_at": "2026-11-20", "email": "a@example.com", "language": "fr", "products": ["P1"]}
    ]
    bad = [
        *good,
        {"order_ref": "C-2", "ordered_at": "yesterday", "email": "b@example.com", "language": "fr"},
        {"order_ref": "C-3", "email": "c@example.com", "language": "en", "colour": "blue"},
    ]
    with serve(create_app(context)) as url:
        post = f"{url}/intake/orders/acme"
        json_type = {"Content-Type": "application/json"}
        assert httpx.post(post, content=json.dumps(good), headers=json_type).status_code == 401
        wrong = {**json_type, "Authorization": "Bearer nope"}
        assert httpx.post(post, content=json.dumps(good), headers=wrong).status_code == 401
        signed = {**json_type, "Authorization": f"Bearer {TOKEN}"}
        refused = httpx.post(post, content=json.dumps(bad), headers=signed)
        assert refused.status_code == 422
        assert refused.json()["problems"] == [
            "entry 2: ordered_at: 'yesterday' is not a date (expected e.g. 2026-11-28 or 2026-11-28T14:00:00+01:00)",
            "entry 3: ordered_at: required, colour: unknown field",
        ]
        with context.sessions() as session:
            assert session.query(SurveyOrder).count() == 0
        accepted = httpx.post(post, content=json.dumps(good), headers=signed)
        assert accepted.status_code == 200 and accepted.json()["new"] == 1
        assert httpx.post(f"{url}/intake/orders/nobody", content=b"[]", headers=signed).status_code == 404


def test_a_line_break_in_an_order_field_is_refused_it_would_reach_the_mail_headers(context):
    # The invitation's subject names the order: "A1\r\nBcc: ..." from the brand's shop (or anyone holding the
    # token) was stored as is, and every invitation run then failed on it.
    hostile = [
        {"order_ref": "D-1\r\nBcc: victim@example.org", "ordered_at": "2026-11-20", "email": "a@example.com",
         "language": "fr"},
        {"order_ref": "D-2", "ordered_at": "2026-11-20", "email": "b@example.com", "language": "fr",
         "first_name": "Ca\u2028mille", "products": ["P1\nP2"]},
    ]  # fmt: skip
    with serve(create_app(context)) as url:
        signed = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        refused = httpx.post(f"{url}/intake/orders/acme", content=json.dumps(hostile), headers=signed)
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        "entry 1: order_ref: holds a line break or another control character",
        "entry 2: first_name: holds a line break or another control character",
    ]
    with context.sessions() as session:
        assert session.query(SurveyOrder).count() == 0
