"""A local site for end-to-end crawls: saved pages behind routes with pagination, a robots.txt, a 429 that
passes on retry, a 500, a 403, a redirect loop, a changed layout, hostile bodies and hostile review links.
Records every request it answers."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.crawlers.conftest import REALDATA, SYNTHETIC

Answer = tuple[int, str, bytes]
HTML, JSON, XML = "text/html; charset=utf-8", "application/json", "application/atom+xml"
EMPTY_FEED = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>none</title></feed>'


def _file(relative: str, kind: str) -> Callable[[dict[str, list[str]]], Answer]:
    path = (SYNTHETIC if "SYNTHETIC" in relative else REALDATA) / relative
    return lambda query: (200, kind, path.read_bytes())


class SiteServer:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.once_429: set[str] = set()
        routes: dict[str, Callable[[dict[str, list[str]]], Answer]] = {
            "/robots.txt": lambda query: (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/tp/review/acme": self._trustpilot,
            "/changed/review/acme": lambda query: (200, HTML, b"<html><body><h1>Notre nouveau site</h1></body></html>"),
            "/feed/alerts.xml": _file("feeds/google-alerts_slack.atom.xml", XML),
            "/private/alerts.xml": _file("feeds/google-alerts_slack.atom.xml", XML),
            "/down/feed.xml": lambda query: (500, "text/plain", b"Internal Server Error"),
            "/hn/good.json": _file("hackernews/hn-algolia_search_by-url.json", JSON),
            "/hn/deep.json": lambda query: (200, JSON, b"[" * 50_000 + b"]" * 50_000),
            "/hn/invalid-utf8.json": lambda query: (200, JSON, b'{"hits": [{"objectID": "\xff\xfe"}]}'),
            "/hn/huge.json": lambda query: (200, JSON, b'{"hits": "' + b"x" * (5 * 1024 * 1024) + b'"}'),
            "/hn/broken.json": lambda query: (200, HTML, b"<html><body><div>Oops</di"),
            "/reddit/search.rss": lambda query: (
                (200, XML, EMPTY_FEED) if "after" in query else _file("reddit/search_acme_SYNTHETIC.rss", XML)(query)
            ),
            "/reddit/search.json": lambda query: (403, JSON, b'{"message": "Forbidden", "error": 403}'),
            "/urls/reviews.html": _file("schema_org/hostile_urls_SYNTHETIC.html", HTML),
        }
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                parts = urlsplit(self.path)
                server.hits[self.path] += 1
                # A redirect to itself, and an endless chain of redirects to new URLs.
                hop = int(parts.path.removeprefix("/hop/")) if parts.path.startswith("/hop/") else None
                if parts.path == "/loop/feed.xml" or hop is not None:
                    self.send_response(302)
                    self.send_header("Location", self.path if hop is None else f"/hop/{hop + 1}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                route = routes.get(parts.path)
                status, kind, body = route(parse_qs(parts.query)) if route else (404, "text/plain", b"not found")
                if self.path in server.once_429_paths:
                    status, kind, body = server._maybe_429(self.path, status, kind, body)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.once_429_paths = {"/tp/review/acme?page=3"}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _maybe_429(self, path: str, status: int, kind: str, body: bytes) -> Answer:
        # The first request for the path is refused with 429; the retry gets the page.
        if path not in self.once_429:
            self.once_429.add(path)
            return 429, "text/plain", b"Too Many Requests"
        return status, kind, body

    def _trustpilot(self, query: dict[str, list[str]]) -> Answer:
        page = query.get("page", ["1"])[0]
        relative = {
            "1": "trustpilot/trustpilot_burgerking-fr_2024-06_fr.html",
            "2": "trustpilot/acme_p2_reply_SYNTHETIC.html",
            "3": "trustpilot/acme_p3_SYNTHETIC.html",
        }.get(page)
        return _file(relative, HTML)(query) if relative else (404, "text/plain", b"no such page")

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
