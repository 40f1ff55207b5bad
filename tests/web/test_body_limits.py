"""Request bodies are limited on every route before authentication, against a real uvicorn server: a declared
oversize body is refused without being read, a chunked one is refused while it streams, and the server's memory
does not follow what the client sends."""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.settings import load_settings
from scheduler.context import Context
from tests.conftest import write_settings
from web.app import create_app
from web.limits import BodyLimit

BRAND = """
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "survey"
kind = "survey"
urls = ["file:///dev/null"]
own = true
"""


class Server:
    def __init__(self, app: Starlette) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def served(tmp_path) -> Iterator[Server]:
    path = write_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        BRAND,
        intake='token = "s3cret"\nmax_body_bytes = 65536',
        console='secret_key = "a-test-key-long-enough-to-sign-sessions"',
    )
    context = Context(load_settings(path), path)
    with Server(create_app(context)) as server:
        yield server
    context.close()


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def read_answer(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_declared_oversize_body_is_refused_unread(served):
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            b"POST /slack/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 300000000\r\n\r\n"
        )
        # Not one byte of the 300 MB is sent: the answer comes anyway.
        assert status_of(read_answer(sock)) == 413


@pytest.mark.parametrize("path", ["/slack/actions", "/console/login", "/intake/survey/acme/survey"])
def test_a_chunked_body_is_refused_while_it_streams(served, path):
    chunk = b"a" * 65536
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        sock.settimeout(0.05)
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                try:
                    answer = sock.recv(65536)
                except TimeoutError:
                    continue
                break
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not answer:
            answer = read_answer(sock)
    assert status_of(answer) == 413
    assert sent < 16 * 1024 * 1024, f"the server read {sent} bytes before refusing"


def test_the_intake_has_its_own_larger_limit(served):
    body = b"x" * 100_000  # over the intake's 64 KiB here, under the 1 MiB of other routes
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            b"POST /intake/survey/acme/survey HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )
        assert status_of(read_answer(sock)) == 413
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(b"POST /slack/actions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        assert status_of(read_answer(sock)) == 401  # under the limit: on to the signature check


def test_the_middleware_picks_the_longest_prefix_and_passes_small_bodies():
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"size": len(await request.body())})

    app = Starlette(
        routes=[Route("/{path:path}", echo, methods=["POST"])],
        middleware=[Middleware(BodyLimit, default=10, limits=[("/big/", 100), ("/big/small/", 5)])],
    )
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        assert client.post("/a", content=b"x" * 10).json() == {"size": 10}
        assert client.post("/a", content=b"x" * 11).status_code == 413
        assert client.post("/big/x", content=b"x" * 100).status_code == 200
        assert client.post("/big/small/x", content=b"x" * 6).status_code == 413

        def chunks() -> Iterator[bytes]:
            yield b"x" * 8
            yield b"x" * 8

        assert client.post("/a", content=chunks()).status_code == 413


def test_memory_does_not_follow_a_large_upload(served):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(3):
        test_a_chunked_body_is_refused_while_it_streams(served, "/slack/actions")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50, f"peak memory grew {grown_mb:.0f} MB"


def ask(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        answer = read_answer(sock)
        length = int(
            next(line.split(b":")[1] for line in answer.split(b"\r\n") if line.lower().startswith(b"content-length"))
        )
        body = answer.split(b"\r\n\r\n", 1)[1]
        while len(body) < length:
            body += sock.recv(65536)
    return answer.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" + body


@pytest.fixture
def served_on(tmp_path, database_url) -> Iterator[Server]:
    path = write_settings(
        tmp_path, database_url, BRAND, console='secret_key = "a-test-key-long-enough-to-sign-sessions"'
    )
    context = Context(load_settings(path), path)
    with Server(create_app(context)) as server:
        yield server
    context.close()


def test_a_nul_in_the_address_or_a_form_is_refused_before_anything_reads_it(served_on):
    # PostgreSQL refuses a NUL in text: a console login named "mi%00a", a queue filter or an orders URL with one
    # was a 500 error there (a failed login could not even be recorded).
    port = served_on.port
    form = b"name=mi%00a&password=x&csrf=y"
    login = b"POST /console/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    answer = ask(port, login + b"Content-Length: %d\r\n\r\n" % len(form) + form)
    assert status_of(answer) == 400 and b"NUL" in answer
    # Sent in chunks that split "%0" from "0": still seen.
    chunked = login + b"Transfer-Encoding: chunked\r\n\r\n" + b"5\r\nname=\r\n4\r\nmi%0\r\n1\r\n0\r\n0\r\n\r\n"
    assert status_of(ask(port, chunked)) == 400
    for address in (b"/console/queue/to_reply?q=%00", b"/intake/orders/ac%00me", b"/feed/%00.json"):
        answer = ask(port, b"GET " + address + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(answer) == 400 and b"NUL" in answer, address
    # What has no NUL goes on as before.
    assert status_of(ask(port, b"GET /console/queue/to_reply?q=a%20b HTTP/1.1\r\nHost: x\r\n\r\n")) == 303
