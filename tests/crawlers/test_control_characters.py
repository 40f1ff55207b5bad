"""A NUL (or another control character) in any field of a crawled review, on real parts: a local server, a real
Scrapy crawl, SQLite and PostgreSQL. PostgreSQL refuses a NUL in text: a review whose id held one was lost there
(its insert failed, the source "1 errors while crawling") while SQLite stored the NUL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from config.settings import load_settings
from models import Mention
from scheduler import jobs
from tests.conftest import write_settings
from veilleur.pages_server import PagesServer

RATING = {"@type": "Rating", "ratingValue": "4", "bestRating": "5"}
HOSTILE = {
    "@type": "Review",
    "@id": "https://shop.example/r/1\u0000x",
    "author": {"@type": "Person", "name": "Ca\u0000mille", "url": "https://shop.example/u/\u00001"},
    "itemReviewed": {"@type": "Product", "name": "Cafeti\u0000ère"},
    "datePublished": "2024-06-01",
    "name": "Tr\u001bès bien",
    "reviewBody": "Bien\u0000 reçu, merci.",
    "reviewRating": RATING,
    "inLanguage": "f\u0000r",
}
PLAIN = {
    "@type": "Review",
    "@id": "https://shop.example/r/2",
    "author": {"@type": "Person", "name": "Jo"},
    "datePublished": "2024-06-02",
    "reviewBody": "Parfait.",
    "reviewRating": RATING,
}


@contextmanager
def shop_page(tmp_path: Path, database_url: str, page: str) -> Iterator[Path]:
    """`page` served on 127.0.0.1 as brand acme's schema_org source "shop"; the settings file, while it is served."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "shop.html").write_text(page, encoding="utf-8")
    with PagesServer(folder) as server:
        brand = f"""
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "shop"
kind = "schema_org"
urls = ["{server.base_url}/shop.html"]
"""
        yield write_settings(tmp_path, database_url, brand)


def test_control_characters_are_dropped_from_every_field_and_no_review_is_lost(tmp_path, database_url):
    graph = json.dumps({"@context": "https://schema.org", "@graph": [HOSTILE, PLAIN]})
    page = f'<html><head><script type="application/ld+json">{graph}</script></head><body></body></html>'
    with shop_page(tmp_path, database_url, page) as path:
        context = jobs.Context(load_settings(path), path)
        try:
            crawled = jobs.crawl_source(context, "acme", "shop")
            with context.sessions() as session:
                stored = {m.external_id: m for m in session.scalars(select(Mention))}
                hostile = stored.get("https://shop.example/r/1x")
                assert hostile is not None, sorted(stored)
                fields = (hostile.text, hostile.title, hostile.language, hostile.author.name)
        finally:
            context.close()
    assert (crawled.status, crawled.healthy, crawled.health_reason) == (0, True, None)
    assert sorted(stored) == ["https://shop.example/r/1x", "https://shop.example/r/2"]
    assert fields == ("Bien reçu, merci.", "Très bien", "fr", "Camille")


def test_a_crawl_process_opens_no_remote_code_server(tmp_path, database_url):
    # Scrapy 2.19 starts, in every crawl, an HTTP server on localhost that runs the Python code posted to it, and
    # writes its port and token in a job file under the user's home. The worker's crawls must not.
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    home = tmp_path / "home"
    home.mkdir()
    with shop_page(tmp_path, database_url, "<html><body>no reviews</body></html>") as path:
        crawl = subprocess.run(
            [sys.executable, "-m", "crawlers.run", "--settings", str(path), "--brand", "acme", "--source", "shop"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share")},
            timeout=120,
        )
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert "Spider closed (finished)" in crawl.stderr
    assert "Remote control" not in crawl.stderr and "remote_control" not in crawl.stderr
    assert not [p for p in home.rglob("*") if p.is_file()], list(home.rglob("*"))
