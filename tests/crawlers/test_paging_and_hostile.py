"""Incremental paging (stop at reviews already stored) and hostile pages (one clear error each, no crash)."""

from __future__ import annotations

import asyncio
import json

import pytest

from crawlers.spiders.app_store import AppStoreSpider
from crawlers.spiders.avis_verifies import AvisVerifiesSpider
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.google_places import GooglePlacesSpider
from crawlers.spiders.hackernews import HackernewsSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.reddit import RedditSpider
from crawlers.spiders.survey import SurveySpider
from crawlers.spiders.trustpilot import TrustpilotSpider
from crawlers.spiders.youtube import YoutubeSpider
from tests.crawlers.conftest import REALDATA, SYNTHETIC, make_spider, response, run_parse

TRUSTPILOT = REALDATA / "trustpilot/trustpilot_burgerking-fr_2024-06_fr.html"
TP_URL = "https://www.trustpilot.com/review/www.burgerking.fr"
MASTODON = REALDATA / "mastodon/mastodon_tag-timeline_mastodon_2017.json"
MASTODON_URL = "https://mastodon.social/api/v1/timelines/tag/mastodon"


def page_ids(spider_class, path, url):  # type: ignore[no-untyped-def]
    items, _ = run_parse(make_spider(spider_class, url), response(path, url))
    return [item.external_id for item in items]


def test_a_page_of_known_reviews_stops_paging() -> None:
    spider = make_spider(TrustpilotSpider, TP_URL, known_ids=page_ids(TrustpilotSpider, TRUSTPILOT, TP_URL))
    items, requests = run_parse(spider, response(TRUSTPILOT, TP_URL))
    assert len(items) == 20  # still yielded: the store pipeline counts them as already stored
    assert requests == []
    assert spider.crawler.stats.get_value("pages/stopped_at_known") == 1


def test_one_new_review_on_the_page_keeps_paging() -> None:
    known = page_ids(TrustpilotSpider, TRUSTPILOT, TP_URL)[1:]
    _, requests = run_parse(make_spider(TrustpilotSpider, TP_URL, known_ids=known), response(TRUSTPILOT, TP_URL))
    assert len(requests) == 1


def test_max_pages_stops_paging() -> None:
    spider = make_spider(TrustpilotSpider, TP_URL, max_pages=3)
    _, requests = run_parse(spider, response(TRUSTPILOT, TP_URL), page=3)
    assert requests == []


def test_mastodon_asks_only_for_newer_statuses_once_some_are_stored() -> None:
    spider = make_spider(
        MastodonSpider, MASTODON_URL, known_ids={"mastodon.social:714859", "mastodon.social:12", "other:99999999"}
    )

    async def first():  # type: ignore[no-untyped-def]
        return [request async for request in spider.start()]

    [request] = asyncio.run(first())
    assert request.url == MASTODON_URL + "?min_id=714859"


def test_mastodon_min_id_pages_forward_until_an_empty_page() -> None:
    url = MASTODON_URL + "?min_id=600000"
    spider = make_spider(MastodonSpider, url)
    _, requests = run_parse(spider, response(MASTODON, url))
    assert [request.url for request in requests] == [MASTODON_URL + "?min_id=714859"]
    _, requests = run_parse(spider, response(MASTODON, url, b"[]"))
    assert requests == []


def test_mastodon_first_crawl_without_stored_ids_starts_at_the_newest() -> None:
    spider = make_spider(MastodonSpider, MASTODON_URL)

    async def first():  # type: ignore[no-untyped-def]
        return [request async for request in spider.start()]

    assert [request.url for request in asyncio.run(first())] == [MASTODON_URL]


# --- Hostile pages -----------------------------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = b"<html><body>" + b"<div>" + b"x" * (5 * 1024 * 1024) + b"</div></body></html>"
BROKEN_HTML = b"<html><body><div itemscope itemtype='http://schema.org/Review'><span itemprop=author>Jo</sp"
INVALID_UTF8 = b'{"hits": [{"objectID": "1", "author": "\xff\xfe", "title": "caf\xe9"}]}'

SPIDERS = [
    TrustpilotSpider,
    GooglePlacesSpider,
    AvisVerifiesSpider,
    AppStoreSpider,
    FeedSpider,
    MastodonSpider,
    HackernewsSpider,
    RedditSpider,
    YoutubeSpider,
    SurveySpider,
]


@pytest.mark.parametrize("spider_class", SPIDERS, ids=lambda cls: cls.name)
@pytest.mark.parametrize(
    "body",
    [DEEP, HUGE, BROKEN_HTML, INVALID_UTF8, b"", b"null", json.dumps({"unexpected": [1, 2]}).encode()],
    ids=["deep-json", "5MB", "broken-html", "invalid-utf8", "empty", "null", "other-json"],
)
def test_a_hostile_page_is_one_clear_error_and_no_crash(spider_class, body: bytes, caplog) -> None:  # type: ignore[no-untyped-def]
    url = "https://example.org/page.json"
    spider = make_spider(spider_class, url)
    items, requests = run_parse(spider, response(SYNTHETIC / "x.json", url, body))
    unrecognised = spider.crawler.stats.get_value("pages/unrecognised", 0)
    # Either the page is refused with a reason, or (lenient formats) read as holding nothing usable.
    assert unrecognised == 1 or (items == [] and requests == []), items
    if unrecognised:
        [record] = [r for r in caplog.records if r.levelname == "ERROR"]
        assert url in record.getMessage()
        assert "Traceback" not in record.getMessage()
        assert len(record.getMessage()) < 600


def test_invalid_utf8_json_names_the_problem(caplog) -> None:  # type: ignore[no-untyped-def]
    spider = make_spider(HackernewsSpider, "https://hn.algolia.com/api/v1/search")
    run_parse(spider, response(SYNTHETIC / "x.json", "https://hn.algolia.com/api/v1/search", INVALID_UTF8))
    assert "not valid UTF-8" in caplog.text


def test_deep_json_names_the_problem(caplog) -> None:  # type: ignore[no-untyped-def]
    spider = make_spider(YoutubeSpider, "https://www.googleapis.com/youtube/v3/commentThreads")
    run_parse(spider, response(SYNTHETIC / "x.json", "https://www.googleapis.com/youtube/v3/commentThreads", DEEP))
    assert "nested too deeply" in caplog.text


def test_a_changed_trustpilot_layout_is_not_taken_for_no_reviews(caplog) -> None:  # type: ignore[no-untyped-def]
    spider = make_spider(TrustpilotSpider, TP_URL)
    items, _ = run_parse(spider, response(TRUSTPILOT, TP_URL, b"<html><body><h1>Nouveau design</h1></body></html>"))
    assert items == []
    assert spider.crawler.stats.get_value("pages/unrecognised") == 1
    assert "layout changed" in caplog.text


def test_a_places_api_error_is_shown() -> None:
    spider = make_spider(GooglePlacesSpider, "https://maps.googleapis.com/x")
    body = b'{"status": "REQUEST_DENIED", "error_message": "The provided API key is invalid."}'
    run_parse(spider, response(SYNTHETIC / "x.json", "https://maps.googleapis.com/x", body))
    assert spider.crawler.stats.get_value("pages/unrecognised") == 1
