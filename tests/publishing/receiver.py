"""A brand's site receiving Veilleur's webhook: a real HTTP server on 127.0.0.1 that checks the signature."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moderation.publishing.webhook import verify


class Receiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.status = 200  # what it answers (503: "down for maintenance")
        self.delay = 0.0
        self.received: list[dict[str, Any]] = []  # every request, accepted or not
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = verify(receiver.secret, self.headers.get("X-Veilleur-Signature", ""), body, time.time())
                time.sleep(receiver.delay)
                status = receiver.status if signed else 401
                with receiver.lock:
                    receiver.received.append(
                        {
                            "status": status,
                            "signed": signed,
                            "delivery": self.headers.get("X-Veilleur-Delivery"),
                            "event": self.headers.get("X-Veilleur-Event"),
                            "path": self.path,
                            "body": json.loads(body),
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/veilleur"

    def accepted(self) -> list[dict[str, Any]]:
        return [request for request in self.received if 200 <= request["status"] < 300]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
