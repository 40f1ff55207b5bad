"""Console sessions as an attacker would try them: the cookie's flags, a cookie saved before logout, `?back=`
pointing elsewhere, a weak secret key, and logins that must not stall the server while a password is checked."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from config.settings import ConsoleSettings, SettingsError, load_settings
from models import Mention, MentionStatus, utcnow
from scheduler.context import Context
from tests.conftest import write_settings
from tests.console.browser import serve
from tests.console.conftest import Console
from tests.console.support import PASSWORD, console_settings, csrf_of, make_context, seed
from web.app import create_app
from web.console import passwords
from web.console.app import create_console


def cookie_of(tmp_path: Path, database_url: str, serve_section: str, **console: str) -> str:
    path = write_settings(tmp_path, database_url, "", serve=serve_section, **console_settings(**console))
    context = Context(load_settings(path), path)
    try:
        with TestClient(create_app(context)) as client:
            return client.get("/console/login").headers["set-cookie"].lower()
    finally:
        context.close()


def test_the_cookie_is_secure_when_the_console_is_reached_over_https(tmp_path: Path, database_url):
    cookie = cookie_of(tmp_path, database_url, 'public_url = "https://veilleur.example.org"')
    assert "; secure" in cookie and "samesite=lax" in cookie and "httponly" in cookie


def test_the_cookie_is_not_secure_for_the_local_demo_over_http(tmp_path: Path, database_url):
    cookie = cookie_of(tmp_path, database_url, 'public_url = "http://127.0.0.1:8080"')
    assert "; secure" not in cookie and "samesite=lax" in cookie  # else the browser would never send it back


def test_secure_cookie_can_be_forced_behind_a_tls_proxy(tmp_path: Path, database_url):
    cookie = cookie_of(tmp_path, database_url, 'public_url = ""', secure_cookie="true")
    assert "; secure" in cookie


def test_a_cookie_saved_before_logout_no_longer_acts(console):
    console.login()
    token = csrf_of(console.client.get("/console/").text)
    saved = dict(console.client.cookies)
    console.post("/console/logout", {})
    with TestClient(create_app(console.context), cookies=saved) as replay:
        assert replay.get("/console/", follow_redirects=False).status_code == 303
        answer = replay.post("/console/review/1", data={"action": "approve", "csrf": token}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
    with console.context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.TO_PUBLISH


def test_logging_out_ends_only_that_session(console):
    console.login()
    with TestClient(create_app(console.context)) as other_browser:
        Console(other_browser, console.context).login()
        console.post("/console/logout", {})
        assert other_browser.get("/console/", follow_redirects=False).status_code == 200
    assert console.client.get("/console/", follow_redirects=False).status_code == 303


def test_a_session_ends_after_session_hours_whatever_the_cookie_says(tmp_path: Path, database_url):
    path = write_settings(tmp_path, database_url, "", **console_settings(session_hours="1"))
    context = Context(load_settings(path), path)
    seed(context)
    now = [utcnow()]
    app = Starlette(routes=[Mount("/console", app=create_console(context, clock=lambda: now[0]))])
    with TestClient(app) as client:
        Console(client, context).login()
        assert client.get("/console/", follow_redirects=False).status_code == 200
        now[0] += timedelta(hours=1, minutes=1)  # the cookie's own signature is still fresh
        assert client.get("/console/", follow_redirects=False).status_code == 303
    context.close()


def back_link(html: str) -> str:
    match = re.search(r'<a href="([^"]*)" data-key="b" id="back">', html)
    assert match, "no back link"
    return unescape(match.group(1))


def back_fields(html: str) -> list[str]:
    return [unescape(value) for value in re.findall(r'name="back" value="([^"]*)"', html)]


HOSTILE_BACKS = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "/console/../evil",
    "/console/%2e%2e/evil",
    "javascript:alert(1)",
    "/console/\t/evil",
    "http:/console/queue/flagged",
]


@pytest.mark.parametrize("back", HOSTILE_BACKS)
def test_back_never_leads_out_of_the_console(console, back):
    console.login()
    page = console.client.get("/console/review/1", params={"back": back})
    assert page.status_code == 200
    assert back_link(page.text) == "/console/queue/to_publish"
    # The forms carry it back on their POST: empty, or this very page (the undo form's `here`).
    assert all(value == "" or value.startswith("/console/review/1?") for value in back_fields(page.text))
    answer = console.post("/console/review/1", {"action": "assign", "back": back}, follow=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/review/1"


def test_back_to_a_console_page_is_kept(console):
    console.login()
    back = "/console/queue/flagged?brand=acme"
    page = console.client.get("/console/review/1", params={"back": back})
    assert back_link(page.text) == back
    answer = console.post("/console/review/1", {"action": "assign", "back": back}, follow=False)
    assert answer.headers["location"] == back


def test_a_short_secret_key_is_refused_without_showing_it():
    with pytest.raises(ValidationError) as raised:
        ConsoleSettings(secret_key="guessable-but-private")
    message = raised.value.errors()[0]["msg"]
    assert "secret_key" in message and "32" in message and "secrets.token_urlsafe(32)" in message
    assert "guessable-but-private" not in message
    assert ConsoleSettings(secret_key="").secret_key == ""  # empty: the console stays off
    good = "q8Zr-3vK_w1mT9xYbN4pLc7HdS2fJ6gA"
    assert ConsoleSettings(secret_key=good).secret_key == good


@pytest.mark.parametrize("plain", ["k" * 32, " " * 35, "changeme" * 4])
def test_a_long_but_plain_secret_key_is_refused(plain: str):
    # Long enough, yet guessable: fewer than ten distinct characters.
    with pytest.raises(ValidationError) as raised:
        ConsoleSettings(secret_key=plain)
    assert "too short or too plain" in raised.value.errors()[0]["msg"]


def test_a_short_secret_key_is_an_error_at_start_up_naming_the_key(tmp_path: Path):
    path = write_settings(tmp_path, "sqlite://", "", **console_settings(secret="x"))
    with pytest.raises(SettingsError, match=r"console\.secret_key"):
        load_settings(path)


class HeldHash:
    """Stands for a slow password hash: holds the checking thread until the test lets it go."""

    def __init__(self) -> None:
        self.real = passwords._scrypt
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: object, **kwargs: object) -> bytes:
        self.started.set()
        self.release.wait(timeout=60)
        return self.real(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "status"), [("mia", 303), ("nobody", 401)])
def test_the_server_answers_while_a_password_is_checked(tmp_path: Path, database_url, monkeypatch, name, status):
    # "nobody" takes the path that wastes a hash's time for an unknown name: it must not block either.
    context = make_context(tmp_path, database_url)
    held = HeldHash()
    monkeypatch.setattr(passwords, "_scrypt", held)
    answers: list[int | str] = []
    try:
        with serve(create_app(context)) as base, httpx.Client(base_url=base, timeout=30) as browser:
            token = csrf_of(browser.get("/console/login").text)
            form = {"name": name, "password": PASSWORD, "csrf": token}

            def log_in() -> None:
                try:
                    answers.append(browser.post("/console/login", data=form).status_code)
                except httpx.HTTPError as error:  # the server went away: the assertion below says so
                    answers.append(repr(error))

            login = threading.Thread(target=log_in)
            login.start()
            assert held.started.wait(timeout=30), "the login never reached the password check"
            # The check is held in its thread: the server must still answer (it did not while hashing on the loop).
            assert httpx.get(f"{base}/health", timeout=10).text == "ok"
            held.release.set()
            login.join(timeout=30)
    finally:
        held.release.set()
        context.close()
    assert answers == [status]
