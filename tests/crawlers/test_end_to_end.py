"""Real crawls (`python -m crawlers.run` in a child process, as the worker runs them) against a local site:
pagination, robots.txt, a 429 then success, a 500, a 403, a redirect loop, a changed layout, hostile bodies, a
survey file; asserting the stored mentions and each source's health. All crawls run once, in a module fixture."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from models import CrawlRun, Mention, Source
from models.db import make_engine, make_session_factory
from tests.conftest import ROOT, write_settings
from tests.crawlers.conftest import SYNTHETIC
from tests.crawlers.site_server import SiteServer
from tests.support.databases import sqlite_url

SOURCES = """
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "tp"
kind = "trustpilot"
urls = ["{base}/tp/review/acme"]

[[brands.sources]]
name = "alerts"
kind = "feed"
urls = ["{base}/feed/alerts.xml", "{base}/private/alerts.xml"]

[[brands.sources]]
name = "down"
kind = "feed"
urls = ["{base}/down/feed.xml"]

[[brands.sources]]
name = "loop"
kind = "feed"
urls = ["{base}/loop/feed.xml"]

[[brands.sources]]
name = "hops"
kind = "feed"
urls = ["{base}/hop/1"]

[[brands.sources]]
name = "redesigned"
kind = "trustpilot"
urls = ["{base}/changed/review/acme"]

[[brands.sources]]
name = "hn"
kind = "hackernews"
urls = ["{base}/hn/deep.json", "{base}/hn/invalid-utf8.json", "{base}/hn/huge.json", "{base}/hn/broken.json",
        "{base}/hn/good.json"]

[[brands.sources]]
name = "reddit"
kind = "reddit"
urls = ["{base}/reddit/search.rss?q=acme&sort=new", "{base}/reddit/search.json?q=acme"]

[[brands.sources]]
name = "survey"
kind = "survey"
urls = ["{survey}"]
own = true
"""


@dataclass
class Crawls:
    site: SiteServer
    database_url: str
    exits: dict[str, int]
    logs: dict[str, str]
    hits_after_first_tp: dict[str, int]

    def source(self, session, name: str) -> Source:  # type: ignore[no-untyped-def]
        return session.scalars(select(Source).where(Source.name == name)).one()

    def mentions(self, session, name: str) -> list[Mention]:  # type: ignore[no-untyped-def]
        source = self.source(session, name)
        return list(session.scalars(select(Mention).where(Mention.source_id == source.id).order_by(Mention.id)))

    def runs(self, session, name: str) -> list[CrawlRun]:  # type: ignore[no-untyped-def]
        source = self.source(session, name)
        return list(session.scalars(select(CrawlRun).where(CrawlRun.source_id == source.id).order_by(CrawlRun.id)))


def crawl(settings: Path, source: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "crawlers.run", "--settings", str(settings), "--brand", "acme", "--source", source],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done.returncode, done.stderr


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("e2e")
    database_url = sqlite_url(folder)
    survey = (SYNTHETIC / "survey/export_fr_SYNTHETIC.csv").resolve().as_uri()
    with SiteServer() as site:
        body = SOURCES.format(base=site.base_url, survey=survey)
        settings = write_settings(folder, database_url, body)
        exits, logs = {}, {}
        exits["tp"], logs["tp"] = crawl(settings, "tp")
        hits = dict(site.hits)
        exits["tp-again"], logs["tp-again"] = crawl(settings, "tp")
        for name in ("alerts", "down", "loop", "hops", "redesigned", "hn", "reddit", "survey"):
            exits[name], logs[name] = crawl(settings, name)
        yield Crawls(site, database_url, exits, logs, hits)


@pytest.fixture
def session(crawls):  # type: ignore[no-untyped-def]
    engine = make_engine(crawls.database_url)
    with make_session_factory(engine).begin() as session:
        yield session
    engine.dispose()


def test_every_crawl_finishes_whatever_its_pages_did(crawls) -> None:  # type: ignore[no-untyped-def]
    assert crawls.exits == {name: 0 for name in crawls.exits}, crawls.logs


# --- Trustpilot: pagination, a 429 then success, de-duplication, incremental re-crawl ------------------------


def test_trustpilot_pages_are_followed_and_each_review_stored_once(crawls, session) -> None:  # type: ignore[no-untyped-def]
    mentions = crawls.mentions(session, "tp")
    # 20 on page 1, 2 new on page 2 (the third is page 1's, shown again), 2 on page 3.
    assert len(mentions) == 24
    assert len({mention.external_id for mention in mentions}) == 24


def test_trustpilot_reply_is_stored_beside_its_review(crawls, session) -> None:  # type: ignore[no-untyped-def]
    marc = next(m for m in crawls.mentions(session, "tp") if m.external_id == "aa0000000000000000000002")
    assert marc.reply_text.startswith("Bonjour Marc")
    assert marc.rating_normalised == 0.0
    assert marc.experienced_at.isoformat().startswith("2024-06-01")


def test_a_429_is_retried_and_the_page_stored(crawls, session) -> None:  # type: ignore[no-untyped-def]
    assert crawls.hits_after_first_tp["/tp/review/acme?page=3"] == 2
    stored = {m.external_id for m in crawls.mentions(session, "tp")}
    assert {"aa0000000000000000000004", "aa0000000000000000000005"} <= stored
    first = crawls.runs(session, "tp")[0]
    assert first.outcome == "ok", first.reason
    assert first.http_statuses == {"200": 3}


def test_a_recrawl_stops_at_known_reviews_and_stores_nothing(crawls, session) -> None:  # type: ignore[no-untyped-def]
    first, second = crawls.runs(session, "tp")
    assert (first.items_new, second.items_new) == (24, 0)
    assert second.outcome == "ok"
    assert second.http_statuses == {"200": 1}  # page 1 held only stored reviews: page 2 was not asked for
    assert crawls.site.hits["/tp/review/acme?page=2"] == 1
    assert crawls.source(session, "tp").healthy


# --- Politeness and failures -------------------------------------------------------------------------------


def test_robots_txt_is_obeyed(crawls, session) -> None:  # type: ignore[no-untyped-def]
    assert crawls.site.hits["/robots.txt"] >= 1
    assert "/private/alerts.xml" not in crawls.site.hits
    assert len(crawls.mentions(session, "alerts")) == 20
    assert crawls.source(session, "alerts").healthy, crawls.source(session, "alerts").health_reason


def test_google_alerts_links_are_unwrapped_when_stored(crawls, session) -> None:  # type: ignore[no-untyped-def]
    first = crawls.mentions(session, "alerts")[0]
    assert first.url.startswith("https://www.aglobalmarketresearch.com/")
    assert first.rating is None and first.kind.value == "post"


def test_a_500_is_retried_then_the_source_is_unhealthy(crawls, session) -> None:  # type: ignore[no-untyped-def]
    assert crawls.site.hits["/down/feed.xml"] == 3  # the first try and 2 retries
    source = crawls.source(session, "down")
    assert not source.healthy
    assert "HTTP 500" in source.health_reason
    assert crawls.runs(session, "down")[-1].http_statuses == {"500": 1}


def test_a_redirect_loop_is_named_with_its_url(crawls, session) -> None:  # type: ignore[no-untyped-def]
    source = crawls.source(session, "loop")
    assert not source.healthy
    url = f"{crawls.site.base_url}/loop/feed.xml"
    assert source.health_reason == f"no page fetched: redirect loop (or too many redirects) from {url}"
    assert crawls.runs(session, "loop")[-1].reason == source.health_reason
    hops = crawls.source(session, "hops")  # 21 redirects, each to a new URL: past Scrapy's limit of 20
    url = f"{crawls.site.base_url}/hop/1"
    assert hops.health_reason == f"no page fetched: redirect loop (or too many redirects) from {url}"


def test_a_changed_layout_is_unhealthy_not_quiet(crawls, session) -> None:  # type: ignore[no-untyped-def]
    source = crawls.source(session, "redesigned")
    assert not source.healthy
    assert "not recognised" in source.health_reason
    assert "layout changed" in crawls.logs["redesigned"]


def test_hostile_pages_cost_their_page_only(crawls, session) -> None:  # type: ignore[no-untyped-def]
    assert len(crawls.mentions(session, "hn")) == 4
    source = crawls.source(session, "hn")
    assert not source.healthy
    assert source.health_reason.startswith("4 page(s) not recognised")
    log = crawls.logs["hn"]
    assert "nested too deeply" in log
    assert "not valid UTF-8" in log
    assert "Traceback" not in log


def test_reddit_json_403_is_reported_not_hidden(crawls, session) -> None:  # type: ignore[no-untyped-def]
    assert len(crawls.mentions(session, "reddit")) == 2  # from the RSS search
    source = crawls.source(session, "reddit")
    assert not source.healthy
    assert "HTTP 403" in source.health_reason


def test_survey_file_is_crawled_with_orders_and_consent(crawls, session) -> None:  # type: ignore[no-untyped-def]
    mentions = crawls.mentions(session, "survey")
    assert [(m.order_ref, m.consent, m.rating) for m in mentions] == [
        ("CMD-2024-0001", True, 5.0),
        ("CMD-2024-0002", False, 2.0),
        ("CMD-2024-0003", True, 4.0),
    ]
    assert mentions[0].text == "Livré en 48 h, très bien emballé.\nJe recommande."
    assert mentions[0].experienced_at.date().isoformat() == "2024-05-28"
    assert crawls.source(session, "survey").healthy
