"""A local fake of Slack's Web API: records every request, answers as Slack would, or as a test scripts it."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier


class FakeSlack:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}  # file id -> bytes uploaded (files_upload_v2)
        # Scripted answers, used first-in first-out: (HTTP status, JSON body, headers).
        self.script: deque[tuple[int, dict[str, Any], dict[str, str]]] = deque()
        self.lock = threading.Lock()
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
                with fake.lock:
                    answer = fake.script.popleft() if fake.script else None
                    if answer is None or answer[0] == 200 and answer[1].get("ok"):
                        fake.requests.append(
                            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                        )
                status, payload, headers = answer or (200, fake.ok(self.path, body), {})
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
        if path.endswith("/conversations.list"):
            return {"ok": True, "channels": [{"id": "C0FAKE", "name": "alerts"}], "response_metadata": {}}
        if path.endswith("/conversations.history"):
            posted = [
                {"ts": f"{n}.000100", "text": b.get("text"), "metadata": b.get("metadata")}
                for n, b in enumerate(self.posted(), start=1)
            ]
            return {"ok": True, "messages": posted[::-1]}
        if path.endswith("/files.getUploadURLExternal"):
            file_id = f"F{len(self.uploads) + len(self.requests):05d}"
            upload_url = self.base_url.replace("/api/", f"/upload/{file_id}")
            return {"ok": True, "upload_url": upload_url, "file_id": file_id}
        if path.endswith("/files.completeUploadExternal"):
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in json.loads(body["files"])]}
        return {"ok": True, "channel": "C0FAKE", "ts": f"{len(self.posted())}.000100", "message": body}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/"

    def posted(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat.postMessage")]

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Slack-Signature header Slack would send with this body."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return signature
