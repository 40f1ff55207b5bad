"""Links from outside are stored only when they are http(s) with a host (models/urls.py: `safe_url`): a real
crawl of a page whose reviews carry javascript:, data:, vbscript: and other tricks stores none of them, and
counts each one it dropped; survey rows keep no file:// link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crawlers.extract import extract
from crawlers.survey_import import import_survey
from models import Brand, Mention, Source
from models.db import make_engine, make_session_factory, upgrade
from models.urls import MAX_LENGTH, safe_url
from tests.conftest import write_settings
from tests.crawlers.conftest import SYNTHETIC
from tests.crawlers.site_server import SiteServer
from tests.crawlers.test_end_to_end import crawl
from tests.support.databases import sqlite_url

GOOD = "https://avis.example.fr/acme/review/9?from=jsonld#avis"

REFUSED = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://files.example.fr/avis",
    "//evil.example/review",  # no scheme: the browser would take the page's
    "/review/1",
    "http://",
    "https:///review/1",
    "https:evil.example",
    "https://www.trustpilot.com@evil.example/review/7",  # shows trustpilot, goes to evil.example
    "https://user:password@avis.example.fr/",
    "https://evil.example\\.trustpilot.com/review",  # a browser reads the backslash as "/": host evil.example
    "https://avis.example.fr:99999/",
    "https://[::1/",
    "https://avis.example.fr/review/1 onmouseover=alert(1)",
    "https://avis.example.fr/\u202ecod.exe",  # right-to-left override: the visible text lies
    "https://avis.example.fr/\u200breview",
    "https://avis.example.fr/" + "a" * MAX_LENGTH,
    "",
    "   ",
    None,
    42,
]

KEPT = [
    GOOD,
    "http://127.0.0.1:8080/review/1",
    "HTTPS://Avis.Example.FR/review",
    "https://avis.example.fr/produits/carotte-été?note=5&tri=récent",
    "https://xn--avis-rsa.example/review",
    "https://[2001:db8::1]/review",
]


@pytest.mark.parametrize("value", REFUSED)
def test_a_link_that_is_not_plain_http_is_refused(value: object) -> None:
    assert safe_url(value) is None


@pytest.mark.parametrize("value", KEPT)
def test_a_plain_http_link_is_kept_as_given(value: str) -> None:
    assert safe_url(value) == value


def test_surrounding_blanks_are_trimmed() -> None:
    assert safe_url(f"  {GOOD}\n") == GOOD


SOURCES = """
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "links"
kind = "schema_org"
urls = ["{base}/urls/reviews.html"]
"""


def test_a_crawl_stores_no_dangerous_link_and_counts_the_dropped_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database_url = sqlite_url(tmp_path)
    with SiteServer() as site:
        settings = write_settings(tmp_path, database_url, SOURCES.format(base=site.base_url))
        exit_code, log = crawl(settings, "links")
        page = f"{site.base_url}/urls/reviews.html"
    assert exit_code == 0, log
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            source = session.scalars(select(Source).where(Source.name == "links")).one()
            stored = {
                m.external_id: m.url for m in session.scalars(select(Mention).where(Mention.source_id == source.id))
            }
            assert source.healthy, source.health_reason
    finally:
        engine.dispose()
    assert stored == {
        "u1": None,
        "u2": None,
        "u3": None,
        "u4": None,
        "u5": None,
        "u6": None,
        "u7": None,
        "u8": None,
        "u9": GOOD,
        "u10": page,  # a review without a link of its own: the page it is on
    }
    assert "'mentions/url/dropped': 8" in log


def test_extract_shows_no_dangerous_link() -> None:
    rows = extract("schema_org", str(SYNTHETIC / "schema_org/hostile_urls_SYNTHETIC.html"))
    assert [row["url"] for row in rows if row["external_id"] != "u10"] == [None] * 8 + [GOOD]


def test_survey_rows_keep_no_file_link(database_url) -> None:  # type: ignore[no-untyped-def]
    # A file:// link in a report or the console leads nowhere for its reader and shows the worker's folders.
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            brand = Brand(slug="acme", name="Acme")
            survey = Source(brand=brand, name="survey", kind="survey", own=True)
            session.add(survey)
            session.flush()
            result = import_survey(session, survey.id, SYNTHETIC / "survey/export_fr_SYNTHETIC.csv")
            assert result.imported > 0
            assert [m.url for m in session.scalars(select(Mention))] == [None] * result.imported
    finally:
        engine.dispose()
