"""Signing in, roles, CSRF and the login rate limit, through the HTTP app `veilleur serve` runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from config.settings import load_settings
from models import LoginFailure, Mention, MentionStatus, ModerationEvent
from scheduler import jobs
from tests.conftest import write_settings
from tests.console.conftest import Console
from tests.console.support import PASSWORD, console_settings, csrf_of, make_context
from veilleur.cli import app as cli
from web.app import create_app
from web.console.passwords import hash_password, verify_password


def test_pages_need_a_signed_in_user(console):
    for path in ("/console/", "/console/queue/to_publish", "/console/review/1"):
        answer = console.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"


def test_wrong_password_is_refused(console):
    page = console.client.get("/console/login")
    answer = console.client.post("/console/login", data={"name": "mia", "password": "nope", "csrf": csrf_of(page.text)})
    assert answer.status_code == 401
    assert "Wrong name or password" in answer.text
    assert console.client.get("/console/", follow_redirects=False).status_code == 303


def test_login_is_rate_limited_per_user_name(console):
    for _ in range(3):
        page = console.client.get("/console/login")
        console.client.post("/console/login", data={"name": "mia", "password": "x", "csrf": csrf_of(page.text)})
    page = console.client.get("/console/login")
    form = {"name": "mia", "password": PASSWORD, "csrf": csrf_of(page.text)}
    answer = console.client.post("/console/login", data=form)
    assert answer.status_code == 429  # even the right password waits for the window to pass
    assert console.client.get("/console/", follow_redirects=False).status_code == 303


def test_the_login_limit_holds_after_a_restart_and_keeps_no_name_or_address(console):
    for _ in range(3):
        page = console.client.get("/console/login")
        console.client.post("/console/login", data={"name": "mia", "password": "x", "csrf": csrf_of(page.text)})
    with TestClient(create_app(console.context)) as restarted:  # a new `serve` process on the same database
        page = restarted.get("/console/login")
        form = {"name": "mia", "password": PASSWORD, "csrf": csrf_of(page.text)}
        assert restarted.post("/console/login", data=form).status_code == 429
    with console.context.sessions() as session:
        keys = session.scalars(select(LoginFailure.key)).all()
    assert len(keys) == 6 and not any("mia" in key or "testclient" in key for key in keys)  # 3 x (address, name)


def test_login_without_csrf_token_is_refused(console):
    console.client.get("/console/login")

    answer = console.client.post("/console/login", data={"name": "mia", "password": PASSWORD})
    assert answer.status_code == 403


def test_an_action_without_csrf_token_is_refused_and_changes_nothing(console):
    console.login()
    for token in ({}, {"csrf": "forged"}):
        answer = console.client.post("/console/review/1", data={"action": "approve", **token})
        assert answer.status_code == 403
    answer = console.client.post("/console/bulk", data={"act": "approve", "ids": ["1", "5"]})
    assert answer.status_code == 403
    with console.context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.TO_PUBLISH
        assert session.query(ModerationEvent).filter(ModerationEvent.actor.like("console:%")).count() == 0


def test_a_viewer_reads_but_cannot_act(console):
    console.login("vic")
    page = console.client.get("/console/review/1")
    assert page.status_code == 200 and "Approve (a)" not in page.text
    answer = console.post("/console/review/1", {"action": "approve"})
    assert answer.status_code == 403
    with console.context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.TO_PUBLISH


def test_logout_ends_the_session(console):
    console.login()
    console.post("/console/logout", {})
    assert console.client.get("/console/", follow_redirects=False).status_code == 303


def test_a_changed_password_ends_older_sessions(tmp_path: Path, database_url):
    context = make_context(tmp_path, database_url)
    with TestClient(create_app(context)) as client:
        Console(client, context).login()
        settings = load_settings(context.settings_path)
        changed = hash_password("another one", 2**10)
        users = [user.model_copy(update={"password_hash": changed}) for user in settings.console.users]
        context.settings = settings.model_copy(update={"console": settings.console.model_copy(update={"users": users})})
        with TestClient(create_app(context), cookies=client.cookies) as fresh:
            assert fresh.get("/console/", follow_redirects=False).status_code == 303
    context.close()


def test_console_is_off_without_a_secret_key_and_the_rest_works(tmp_path: Path, database_url):
    path = write_settings(tmp_path, database_url, "", **console_settings(secret=""))

    context = jobs.Context(load_settings(path), path)
    with TestClient(create_app(context)) as client:
        answer = client.get("/console/")
        assert answer.status_code == 503 and "VEILLEUR__CONSOLE__SECRET_KEY" in answer.text
        assert client.get("/health").text == "ok"
    context.close()


def test_reverse_proxy_header_mode(tmp_path: Path, database_url):
    context = make_context(tmp_path, database_url, auth='"header"', header='"X-Remote-User"')
    with TestClient(create_app(context)) as client:
        assert client.get("/console/").status_code == 403
        assert client.get("/console/", headers={"X-Remote-User": "stranger"}).status_code == 403
        page = client.get("/console/queue/to_publish", headers={"X-Remote-User": "mia"})
        assert page.status_code == 200 and "mia · moderator" in page.text
        answer = client.post(
            "/console/review/1",
            data={"action": "approve", "csrf": csrf_of(page.text)},
            headers={"X-Remote-User": "mia"},
        )
        assert answer.status_code == 200
    with context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.PUBLISHED
    context.close()


def test_security_headers(console):
    answer = console.client.get("/console/login")
    assert "script-src" not in answer.headers["content-security-policy"]  # default-src 'self': no inline script
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    assert answer.headers["x-frame-options"] == "DENY"
    cookie = answer.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "path=/console" in cookie.lower()


def test_hash_password_command():
    result = CliRunner().invoke(cli, ["console", "hash-password"], input="a long password\n")
    assert result.exit_code == 0, result.output
    stored = result.output.strip()
    assert stored.startswith("scrypt$") and verify_password("a long password", stored)
    assert not verify_password("another password", stored)
    assert CliRunner().invoke(cli, ["console", "hash-password"], input="short\n").exit_code == 2
