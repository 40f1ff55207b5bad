"""A real worker against a local site whose reviews the bench adds while it runs (bench/latency.py, bench/memory.py).

The site serves one schema.org JSON-LD page per brand; `add` puts a review on it and the site notes when a page
holding it is first served (the crawl). The worker is `veilleur worker` in a child process, with the default
settings except: a temporary SQLite database and Slack sink, one source per brand on this site, the crawl interval
given, and the classifier cache of this checkout. `root` runs another checkout's code (e.g. round3) the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


@dataclass
class Review:
    marker: str
    text: str
    rating: int
    added: float = 0.0
    crawled: float | None = None  # first time a page holding it was served


@dataclass
class Site:
    reviews: dict[str, list[Review]] = field(default_factory=dict)  # brand -> its page's reviews
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0  # seconds each answer waits: a slow site (crawls then wait on the network, not the CPU)

    def add(self, brand: str, review: Review) -> None:
        with self.lock:
            review.added = time.monotonic()
            self.reviews.setdefault(brand, []).append(review)

    def page(self, brand: str) -> bytes:
        with self.lock:
            reviews = list(self.reviews.get(brand, []))
            now = time.monotonic()
            for review in reviews:
                review.crawled = review.crawled or now
        today = datetime.now(UTC).date().isoformat()
        items = [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": f"Client {review.marker}"},
                "datePublished": today,
                "reviewRating": {"@type": "Rating", "ratingValue": review.rating, "bestRating": 5},
                "reviewBody": f"{review.text} ({review.marker})",
            }
            for review in reviews
        ]
        data = {"@context": "https://schema.org", "@type": "Product", "name": f"Produit {brand}", "review": items}
        script = json.dumps(data, ensure_ascii=False)
        return f'<html><head><script type="application/ld+json">{script}</script></head><body></body></html>'.encode()

    def serve(self) -> ThreadingHTTPServer:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                time.sleep(site.delay)
                brand = self.path.strip("/").removesuffix(".html")
                if brand not in site.reviews:
                    self.send_error(404)
                    return
                body = site.page(brand)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def write_settings(folder: Path, port: int, brands: list[str], crawl_minutes: int) -> Path:
    """The shipped settings.toml, its brands replaced by ours and its files put in `folder`."""
    text = (HERE / "settings.toml").read_text(encoding="utf-8")
    text = text[: text.index("[[brands]]")]
    cache, labelled = HERE / ".cache" / "veilleur", (HERE.parent / "shared" / "labelled").resolve()
    for old, new in (
        ('url = "sqlite:///var/veilleur.db"', f'url = "sqlite:///{folder / "veilleur.db"}"'),
        ('cache_dir = ".cache/veilleur"', f'cache_dir = "{cache}"'),
        ('labelled_dir = "../shared/labelled"', f'labelled_dir = "{labelled}"'),
        ('sink_path = "var/slack-sink.jsonl"', f'sink_path = "{folder / "sink.jsonl"}"'),
        ('out_dir = "var/reports"', f'out_dir = "{folder / "reports"}"'),
    ):
        assert old in text, f"settings.toml no longer has {old}"
        text = text.replace(old, new)
    for brand in brands:
        text += f'\n[[brands]]\nslug = "{brand}"\nname = "{brand}"\n\n[[brands.sources]]\nname = "shop"\n'
        text += f'kind = "schema_org"\nurls = ["http://127.0.0.1:{port}/{brand}.html"]\n'
        text += f"interval_minutes = {crawl_minutes}\n"
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_worker(root: Path, settings: Path, log: Path) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    environment["PYTHONPATH"] = str(root)
    command = [sys.executable, "-m", "veilleur", "worker", "--settings", str(settings)]
    return subprocess.Popen(command, cwd=root, stdout=log.open("w"), stderr=subprocess.STDOUT, env=environment)


def in_sink(sink: Path, marker: str) -> bool:
    return sink.exists() and marker in sink.read_text(encoding="utf-8")


def routed(database: Path, count: int) -> bool:
    """Every one of `count` stored mentions is past classification and routing."""
    import sqlite3

    if not database.exists():
        return False
    try:
        with sqlite3.connect(database) as db:
            (stored,) = db.execute("select count(*) from mention").fetchone()
            (waiting,) = db.execute("select count(*) from mention where status in ('new', 'classified')").fetchone()
    except sqlite3.OperationalError:  # not migrated yet
        return False
    return stored >= count and waiting == 0


def wait_for(what: str, check, seconds: float, worker: subprocess.Popen, poll: float = 0.05) -> float:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited ({worker.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(poll)
    return time.monotonic()


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of one process in MB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(120)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def tagged(database: Path, count: int) -> bool:
    """Every one of `count` stored mentions has its topics (the encoder's tagger has run on them)."""
    import sqlite3

    try:
        with sqlite3.connect(database) as db:
            (done,) = db.execute("select count(distinct mention_id) from mention_topic").fetchone()
    except sqlite3.OperationalError:
        return False
    return done >= count
