"""A local fake of Slack's Web API: records every request, answers as Slack would, or as a test scripts it.

For crash tests it can also be down for a while (`down`: every call answers that status), hold a request it has
received without answering until the test has killed the sender (`hold`), and keep what it received in a file
(`record`), so that a fake started again after a restart remembers the messages already in the channel."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier


class FakeSlack:
    def __init__(self, record: Path | None = None) -> None:
        self.record = record
        self.requests: list[dict[str, Any]] = []
        if record is not None and record.exists():
            self.requests = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
        self.uploads: dict[str, bytes] = {}  # file id -> bytes uploaded (files_upload_v2)
        # Scripted answers, used first-in first-out: (HTTP status, JSON body, headers).
        self.script: deque[tuple[int, dict[str, Any], dict[str, str]]] = deque()
        # An outage: while set, every call (and webhook post) answers this, and nothing is recorded.
        self.down: tuple[int, dict[str, Any], dict[str, str]] | None = None
        # A request whose path ends with `held_path` is recorded (Slack has it), then left unanswered until
        # `release()`; `holding` is set once it is.
        self.held_path: str | None = None
        self.holding = threading.Event()
        self.released = threading.Event()
        self.lock = threading.Lock()
        # The crisis cell's calls: channels created (name -> id), their members, the messages pinned in them.
        self.channels: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.pins: dict[str, list[str]] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                if self.path.startswith("/upload/"):  # a file's bytes, to the URL files.getUploadURLExternal gave
                    fake.uploads[self.path.rsplit("/", 1)[-1]] = self.rfile.read(length)
                    answer = f"OK - {length}".encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                raw = self.rfile.read(length).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                else:
                    body = {key: values[0] for key, values in parse_qs(raw).items()}
                hold = False
                with fake.lock:
                    answer = fake.down or (fake.script.popleft() if fake.script else None)
                    if answer is None or answer[0] == 200 and answer[1].get("ok"):
                        request = {
                            "path": self.path,
                            "auth": self.headers.get("Authorization"),
                            "body": body,
                            "idempotency_key": self.headers.get("X-Veilleur-Idempotency-Key"),
                        }
                        fake.requests.append(request)
                        if fake.record is not None:
                            with fake.record.open("a") as kept:
                                kept.write(json.dumps(request) + "\n")
                    if fake.held_path and self.path.endswith(fake.held_path):
                        fake.held_path, hold = None, True
                    status, payload, headers = answer or (200, fake.ok(self.path, body), {})
                if hold:
                    fake.holding.set()
                    fake.released.wait()
                    return  # the sender was killed meanwhile: nobody is left to answer
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def ok(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if path.endswith("/conversations.create"):
            if body["name"] in self.channels:
                return {"ok": False, "error": "name_taken"}
            self.channels[body["name"]] = f"C0CELL{len(self.channels) + 1}"
            return {"ok": True, "channel": {"id": self.channels[body["name"]], "name": body["name"]}}
        if path.endswith("/conversations.invite"):
            members = self.members.setdefault(body["channel"], set())
            if body["users"] in members:
                return {"ok": False, "error": "already_in_channel"}
            members.add(body["users"])
            return {"ok": True, "channel": {"id": body["channel"]}}
        if path.endswith("/pins.add"):
            pinned = self.pins.setdefault(body["channel"], [])
            if body["timestamp"] in pinned:
                return {"ok": False, "error": "already_pinned"}
            pinned.append(body["timestamp"])
            return {"ok": True}
        if path.endswith("/conversations.list"):
            created = [{"id": id_, "name": name} for name, id_ in self.channels.items()]
            return {"ok": True, "channels": [{"id": "C0FAKE", "name": "alerts"}, *created], "response_metadata": {}}
        if path.endswith("/conversations.history"):
            posted = [
                {"ts": f"{n}.000100", "text": b.get("text"), "metadata": _json(b.get("metadata"))}
                for n, b in enumerate(self.posted(), start=1)
            ]
            return {"ok": True, "messages": posted[::-1]}
        if path.endswith("/files.list"):
            shared = [
                {**file, "channels": [r["body"].get("channel_id")]}
                for r in self.requests
                if r["path"].endswith("/files.completeUploadExternal")
                for file in json.loads(r["body"]["files"])
            ]
            return {"ok": True, "files": shared[::-1]}
        if path.endswith("/files.getUploadURLExternal"):
            file_id = f"F{len(self.uploads) + len(self.requests):05d}"
            upload_url = self.base_url.replace("/api/", f"/upload/{file_id}")
            return {"ok": True, "upload_url": upload_url, "file_id": file_id}
        if path.endswith("/files.completeUploadExternal"):
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in json.loads(body["files"])]}
        if path.endswith("/views.open"):  # the modal opened, as Slack echoes it
            return {"ok": True, "view": {"id": "V0FAKE", **_json(body.get("view") or {})}}
        # A message to a channel this fake created answers with that channel's id, as Slack would.
        channel = body.get("channel") if body.get("channel") in self.channels.values() else "C0FAKE"
        return {"ok": True, "channel": channel, "ts": f"{len(self.posted())}.000100", "message": body}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/"

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The bodies of the recorded calls to `method` ("conversations.create")."""
        return [r["body"] for r in self.requests if r["path"].endswith("/" + method)]

    def posted(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat.postMessage")]

    def hold(self, path: str) -> None:
        self.holding.clear()
        self.released.clear()
        self.held_path = path

    def release(self) -> None:
        self.released.set()

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()


def _json(value: Any) -> Any:
    """slack-sdk sends a message's metadata JSON-encoded inside a form or a JSON body."""
    return json.loads(value) if isinstance(value, str) else value


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Slack-Signature header Slack would send with this body."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return signature
