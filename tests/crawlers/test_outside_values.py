"""Numbers, dates and ids from outside (issue 15, family 5): a rating scale of `inf`, a timestamp of 1e20, a
date given as an object, an integer id, a 1 MB date. Each is refused for its field or its item with a reason
counted in the crawl stats, and the rest of the page is still kept; `veilleur extract` says what is wrong in
an ExtractError, never with a traceback."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem

from crawlers.extract import ExtractError, extract
from crawlers.normalise import parse_date, parse_number, parse_reach, rating_share
from crawlers.pipelines.clean_text import CleanTextPipeline
from crawlers.pipelines.normalise import NormalisePipeline
from crawlers.spiders.google_places import GooglePlacesSpider
from crawlers.spiders.hackernews import HackernewsSpider
from crawlers.spiders.schema_org import SchemaOrgSpider
from crawlers.spiders.trustpilot import TrustpilotSpider
from tests.crawlers.conftest import NOW, make_spider, response, run_parse

HUGE_DATE = "2024-06-01 " + "x" * 1_000_000


def json_ld_page(*reviews: dict[str, Any]) -> bytes:
    graph = {"@context": "https://schema.org", "@graph": list(reviews)}
    return f'<html><head><script type="application/ld+json">{json.dumps(graph)}</script></head></html>'.encode()


def review(number: int, **fields: Any) -> dict[str, Any]:
    rating = {"@type": "Rating", "ratingValue": "4", "bestRating": "5", "worstRating": "1"}
    node = {
        "@type": "Review",
        "@id": f"https://example.org/r/{number}",
        "author": {"@type": "Person", "name": f"Author {number}"},
        "datePublished": "2024-06-01",
        "reviewBody": f"Review number {number}.",
        "reviewRating": rating,
    }
    for key, value in fields.items():
        if key in rating:
            rating[key] = value
        else:
            node[key] = value
    return node


def write(tmp_path: Path, name: str, body: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return str(path)


def through_pipelines(spider, items):  # type: ignore[no-untyped-def]
    """The items the clean_text and normalise pipelines keep (the real pipeline classes, the spider's stats)."""
    kept = []
    for item in items:
        try:
            kept.append(NormalisePipeline().process_item(CleanTextPipeline().process_item(item, spider), spider))
        except DropItem:
            pass
    return kept


# --- The value readers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), "inf", "NaN", "-Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        parse_number(value)


@pytest.mark.parametrize("value", [{"value": 4}, [4], True, False, b"4"])
def test_a_number_of_the_wrong_type_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        parse_number(value)


def test_a_rating_scale_must_be_finite_and_bounded() -> None:
    with pytest.raises(ValueError, match="scale"):
        rating_share(4.0, 1e300, 1.0)
    with pytest.raises(ValueError, match="scale"):
        rating_share(4.0, float("inf"), 1.0)
    assert rating_share(80.0, 100.0, 0.0) == 0.8


def test_a_reach_is_a_bounded_count() -> None:
    with pytest.raises(ValueError, match="not a count"):
        parse_reach(1e300)
    with pytest.raises(ValueError):
        parse_reach(True)
    with pytest.raises(ValueError):
        parse_reach({"count": 3})
    assert parse_reach(-3) == 0  # a negative score (Reddit) weighs nothing, as before
    assert parse_reach("1200") == 1200


@pytest.mark.parametrize("value", [1e20, -1e20, float("inf"), float("nan"), 1e308, -5.0, 10**400, -(10**400)])
def test_a_timestamp_out_of_range_is_not_a_date(value: float) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_date(value, NOW)


@pytest.mark.parametrize(
    "value", ["1989-12-31", "1970-01-01T00:00:00Z", "2024-07-02T00:00:00Z", "3024-01-01", "il y a 50 ans"]
)
def test_a_date_before_1990_or_after_tomorrow_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="outside"):
        parse_date(value, NOW)


def test_a_date_up_to_a_day_ahead_is_kept() -> None:
    # A site's clock (or zone) a few hours ahead of ours is not an attack.
    assert parse_date("2024-07-01T06:00:00+00:00", NOW) == datetime(2024, 7, 1, 6, 0, tzinfo=UTC)
    assert parse_date(1420232746, NOW) == datetime(2015, 1, 2, 21, 5, 46, tzinfo=UTC)


@pytest.mark.parametrize("value", [{"date": "2024-06-01"}, ["2024-06-01"], True, b"2024-06-01"])
def test_a_date_of_the_wrong_type_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_date(value, NOW)


def test_a_long_text_is_not_a_date_and_is_not_parsed() -> None:
    # dateparser took 54-99 s on a 1 MB string: the length is checked before any parsing.
    with pytest.raises(ValueError, match="longer than 100 characters"):
        parse_date("2024-06-01 " + "x" * 5000, NOW)


# --- In a crawl: the item or the field is refused, the rest of the page kept, the reason counted ----------


@pytest.mark.parametrize("best", ["inf", "Infinity", "1e400", "NaN"])
def test_schema_org_rating_scale_of_inf_is_refused_and_the_rest_kept(best: str) -> None:
    url = "https://example.org/product"
    spider = make_spider(SchemaOrgSpider, url)
    items, _ = run_parse(spider, response("page.html", url, json_ld_page(review(1), review(2, bestRating=best))))
    kept = through_pipelines(spider, items)
    assert [item.author for item in kept] == ["Author 1"]
    assert spider.crawler.stats.get_value("mentions/rating/invalid") == 1


def test_trustpilot_json_ld_and_avis_verifies_scales_of_inf_are_refused(tmp_path: Path) -> None:
    tp = write(tmp_path, "tp.html", json_ld_page(review(1, bestRating="Infinity")))
    with pytest.raises(ExtractError, match="finite"):
        extract("trustpilot", tp, now=NOW)
    av = (
        '<html><body><div itemscope itemtype="http://schema.org/Review" data-review-id="7">'
        '<span itemprop="author">Jo</span><div itemprop="reviewRating" itemscope>'
        '<meta itemprop="ratingValue" content="4"><meta itemprop="bestRating" content="inf"></div>'
        '<p itemprop="reviewBody">Bien.</p></div></body></html>'
    )
    with pytest.raises(ExtractError, match="finite"):
        extract("avis_verifies", write(tmp_path, "av.html", av), now=NOW)


def next_data_page(*reviews: dict[str, Any]) -> bytes:
    data = {"props": {"pageProps": {"reviews": list(reviews)}}}
    return f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>'.encode()


@pytest.mark.parametrize("rating", [{"stars": 4}, [4, 5], True, "4" * 1000])
def test_a_rating_of_the_wrong_type_refuses_that_review_only(rating: Any) -> None:
    url = "https://www.trustpilot.com/review/acme"
    spider = make_spider(TrustpilotSpider, url)
    body = next_data_page({"id": "a1", "rating": 5, "text": "Bien."}, {"id": "a2", "rating": rating, "text": "Bof."})
    kept = through_pipelines(spider, run_parse(spider, response("tp.html", url, body))[0])
    assert [item.external_id for item in kept] == ["a1"]
    assert spider.crawler.stats.get_value("mentions/rating/invalid") == 1


def hn_page(*hits: dict[str, Any]) -> bytes:
    return json.dumps({"hits": list(hits), "page": 0, "nbPages": 1}).encode()


def hit(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "objectID": str(number),
        "author": f"user{number}",
        "title": f"Story {number}",
        "story_text": f"About Acme, number {number}.",
        "created_at_i": 1420232746,
        "points": 3,
        "_tags": ["story"],
        **fields,
    }


def test_a_timestamp_of_1e20_leaves_the_date_out_and_keeps_the_post() -> None:
    url = "https://hn.algolia.com/api/v1/search_by_date?query=acme"
    spider = make_spider(HackernewsSpider, url)
    body = hn_page(hit(1), hit(2, created_at_i=1e20), hit(3, created_at={"$date": 1}), hit(4, created_at="x" * 10**6))
    kept = through_pipelines(spider, run_parse(spider, response("hn.json", url, body))[0])
    assert [item.external_id for item in kept] == ["1", "2", "3", "4"]
    assert [item.published_at is None for item in kept] == [False, True, True, True]
    assert spider.crawler.stats.get_value("mentions/published_at/unparsed") == 3
    assert "longer than 100 characters" in kept[3].extra["unparsed"]["published_at"]


def test_an_integer_id_is_kept_as_text_and_an_object_id_is_refused() -> None:
    url = "https://maps.googleapis.com/v1/places/x"
    spider = make_spider(GooglePlacesSpider, url)
    good = {"name": "places/x/reviews/1", "rating": 5, "text": {"text": "Bien"}, "publishTime": "2024-06-01T10:00Z"}
    body = json.dumps({"id": "x", "reviews": [good, {**good, "name": 123456}, {**good, "name": {"id": 1}}]})
    items, _ = run_parse(spider, response("p.json", url, body.encode()))
    assert [item.external_id for item in items] == ["places/x/reviews/1", "123456", None]
    assert spider.crawler.stats.get_value("mentions/external_id/invalid") == 1


def test_a_review_that_cannot_be_read_costs_that_review_only() -> None:
    url = "https://www.trustpilot.com/review/acme"
    reviews = [
        {"id": "a1", "rating": 5, "text": "Bien.", "dates": {"publishedDate": "2024-06-01T10:00:00Z"}},
        {"id": "a2", "rating": 4, "text": "Bof.", "reply": "not an object", "labels": [1]},
        {"id": "a3", "rating": 3, "text": "Moyen.", "dates": {"publishedDate": {"$date": 5}}},
    ]
    body = next_data_page(*reviews)
    spider = make_spider(TrustpilotSpider, url)
    items, _ = run_parse(spider, response("tp.html", url, body))
    kept = through_pipelines(spider, items)
    assert [item.external_id for item in kept] == ["a1", "a3"]
    assert kept[1].published_at is None
    assert spider.crawler.stats.get_value("items/unreadable") == 1
    assert spider.crawler.stats.get_value("pages/unrecognised") is None


# --- `veilleur extract`: a clear error or valid items, never a traceback ----------------------------------


def places_legacy(**fields: Any) -> bytes:
    legacy = {"author_name": "Jo", "rating": 4, "text": "Bien", "time": 1717236000, **fields}
    place = {"url": "https://maps.google.com/?cid=1", "reviews": [legacy]}
    return json.dumps({"status": "OK", "result": place}).encode()


def reddit_listing(**fields: Any) -> bytes:
    post = {"name": "t3_a", "title": "Acme", "selftext": "Bien", "created_utc": 1717236000.0, "score": 2, **fields}
    return json.dumps({"kind": "Listing", "data": {"children": [{"data": post}]}}).encode()


def youtube_answer(**fields: Any) -> bytes:
    comment = {"id": "c1", "snippet": {"textOriginal": "Bien", "publishedAt": "2024-06-01T10:00:00Z", **fields}}
    return json.dumps({"items": [{"snippet": {"videoId": "v", "topLevelComment": comment}}]}).encode()


def mastodon_timeline(**fields: Any) -> bytes:
    status = {"id": "1", "content": "<p>Bien</p>", "created_at": "2024-06-01T10:00:00Z", **fields}
    return json.dumps([status]).encode()


CASES = [
    ("google_places", places_legacy(time=1e20), "published_at"),
    ("google_places", places_legacy(time={"seconds": 1}), "published_at"),
    ("hackernews", hn_page(hit(1, created_at_i=1e20)), "published_at"),
    ("reddit", reddit_listing(created_utc=1e20), "published_at"),
    ("reddit", reddit_listing(name=42), "external_id"),
    ("youtube", youtube_answer(publishedAt={"date": "2024-06-01"}), "published_at"),
    ("mastodon", mastodon_timeline(created_at=["2024-06-01"]), "published_at"),
    ("trustpilot", json_ld_page(review(1, datePublished=HUGE_DATE[:5000])), "published_at"),
]


@pytest.mark.parametrize(("kind", "body", "field"), CASES, ids=[f"{case[0]}-{n}" for n, case in enumerate(CASES)])
def test_extract_gives_valid_rows_for_hostile_values(tmp_path: Path, kind: str, body: bytes, field: str) -> None:
    [row] = extract(kind, write(tmp_path, "page.json", body), now=NOW)
    if field == "published_at":
        assert row["published_at"] is None
    else:
        assert row["external_id"] == "42"
    if row["rating_normalised"] is not None:
        assert math.isfinite(row["rating_normalised"])
