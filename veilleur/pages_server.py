"""A small local HTTP server for saved pages: the demo's sources, and the tests' crawl target."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the stdlib's name)
        pass


class PagesServer:
    """Serves a folder on host:port (port 0 picks a free one) in a background thread."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        if not folder.is_dir():
            raise FileNotFoundError(f"pages folder not found: {folder}")
        handler = functools.partial(_QuietHandler, directory=str(folder))
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as error:
            raise OSError(f"cannot serve pages on {host}:{port}: {error.strerror}") from None
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}" if isinstance(host, str) else f"http://{host.decode()}:{port}"

    def __enter__(self) -> PagesServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
