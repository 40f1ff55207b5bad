"""Each kind's parser on its saved real response, checked against the hand-made `.expected.json`."""

from __future__ import annotations

import json

import pytest

from crawlers.spiders.app_store import AppStoreSpider
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.google_places import GooglePlacesSpider
from crawlers.spiders.hackernews import HackernewsSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.reddit import RedditSpider
from crawlers.spiders.trustpilot import TrustpilotSpider
from crawlers.spiders.youtube import YoutubeSpider
from tests.crawlers.conftest import REALDATA, expected, finished, make_spider, response, run_parse, utc, words

TRUSTPILOT = "trustpilot/trustpilot_burgerking-fr_2024-06_fr.html"
TRUSTPILOT_URL = "https://www.trustpilot.com/review/www.burgerking.fr"
PLACES = "google_places/places-legacy_details_fr_sacre-coeur.json"
APPSTORE = "appstore/appstore-rss_fr_xcode_mostrecent_p1.json"
APPSTORE_URL = "https://itunes.apple.com/fr/rss/customerreviews/page=1/id=497799835/sortby=mostrecent/json"
FEED = "feeds/google-alerts_slack.atom.xml"
MASTODON = "mastodon/mastodon_tag-timeline_mastodon_2017.json"
HN = "hackernews/hn-algolia_search_by-url.json"
REDDIT = "reddit/reddit_search_praw-oauth-search.json"
YOUTUBE = "youtube/youtube_commentThreads_by-video_page1.json"


def parsed(spider_class, relative: str, url: str):  # type: ignore[no-untyped-def]
    spider = make_spider(spider_class, url)
    items, requests = run_parse(spider, response(REALDATA / relative, url))
    return finished(items), requests, spider


# --- Trustpilot ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trustpilot():  # type: ignore[no-untyped-def]
    return parsed(TrustpilotSpider, TRUSTPILOT, TRUSTPILOT_URL)


def test_trustpilot_count(trustpilot) -> None:  # type: ignore[no-untyped-def]
    assert len(trustpilot[0]) == expected(TRUSTPILOT)["review_count"]


@pytest.mark.parametrize("sample", expected(TRUSTPILOT)["samples"], ids=lambda s: s["author"])
def test_trustpilot_samples(trustpilot, sample) -> None:  # type: ignore[no-untyped-def]
    item = trustpilot[0][sample["index"]]
    assert item.external_id == sample["id"]
    assert item.author == sample["author"]
    assert item.rating == sample["rating"]
    assert item.published_at == utc(sample["date_published"])
    assert item.experienced_at == utc(sample["date_experienced"])
    assert item.title == sample["title"]
    assert item.language == sample["language"]
    assert words(item.text).startswith(sample["text_starts_with"])
    assert (item.reply_text is not None) == sample["has_reply"]
    assert item.extra["country"] == sample["author_country"]


def test_trustpilot_follows_the_next_page(trustpilot) -> None:  # type: ignore[no-untyped-def]
    [request] = trustpilot[1]
    assert request.url == TRUSTPILOT_URL + "?page=2"


def test_trustpilot_json_ld_fallback_gives_the_same_reviews() -> None:
    html = (REALDATA / TRUSTPILOT).read_bytes()
    start = html.index(b'<script id="__NEXT_DATA__"')
    without_next_data = html[:start] + html[html.index(b"</script>", start) + 9 :]
    spider = make_spider(TrustpilotSpider, TRUSTPILOT_URL)
    items, _ = run_parse(spider, response(REALDATA / TRUSTPILOT, TRUSTPILOT_URL, without_next_data))
    items = finished(items)
    assert len(items) == 20
    assert items[1].external_id == "66770717c465634314d21827"
    assert items[1].rating == 5
    assert spider.crawler.stats.get_value("trustpilot/fallback/json_ld") == 1


# --- Google Places (legacy) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", expected(PLACES)["samples"], ids=lambda s: s["author"])
def test_google_places_legacy_samples(sample) -> None:  # type: ignore[no-untyped-def]
    items, requests, _ = parsed(GooglePlacesSpider, PLACES, "https://maps.googleapis.com/maps/api/place/details/json")
    assert len(items) == expected(PLACES)["review_count"]
    assert requests == []
    item = items[sample["index"]]
    assert item.author == sample["author"]
    assert item.rating == sample["rating"]
    assert item.published_at == utc(sample["date_iso"])
    assert item.language == sample["language"]
    assert words(item.text).startswith(sample["text_starts_with"])
    assert item.external_id.endswith(f"@{sample['time_unix']}")


# --- App Store (JSON) ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_store():  # type: ignore[no-untyped-def]
    return parsed(AppStoreSpider, APPSTORE, APPSTORE_URL)


def test_app_store_count(app_store) -> None:  # type: ignore[no-untyped-def]
    assert len(app_store[0]) == expected(APPSTORE)["review_count"]


@pytest.mark.parametrize("sample", expected(APPSTORE)["samples"], ids=lambda s: s["review_id"])
def test_app_store_samples(app_store, sample) -> None:  # type: ignore[no-untyped-def]
    item = app_store[0][sample["index"]]
    assert item.external_id == sample["review_id"]
    assert item.author.startswith(sample["author"])  # Apple appends a private-use glyph to some names
    assert item.rating == sample["rating"]
    assert item.title == sample["title"]
    assert words(item.text).startswith(sample["text_starts_with"])
    assert item.extra["app_version"] == sample["app_version"]
    assert item.published_at is None


def test_app_store_says_its_json_feed_has_no_dates(app_store) -> None:  # type: ignore[no-untyped-def]
    assert app_store[2].crawler.stats.get_value("app_store/published_at/absent_in_feed") == 50


def test_app_store_pages_in_the_same_flavour(app_store) -> None:  # type: ignore[no-untyped-def]
    [request] = app_store[1]
    assert request.url == APPSTORE_URL.replace("page=1", "page=2")


# --- Feed (Google Alerts Atom) ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feed():  # type: ignore[no-untyped-def]
    return parsed(FeedSpider, FEED, "https://www.google.com/alerts/feeds/04175468913983673025/4428013283581841004")


def test_feed_count(feed) -> None:  # type: ignore[no-untyped-def]
    assert len(feed[0]) == expected(FEED)["mention_count"]


@pytest.mark.parametrize("sample", expected(FEED)["samples"], ids=lambda s: str(s["index"]))
def test_feed_samples(feed, sample) -> None:  # type: ignore[no-untyped-def]
    item = feed[0][sample["index"]]
    assert item.external_id == sample["id"]
    assert item.kind == "post"
    assert item.title == sample["title_text"]
    assert item.url == sample["target_url"]
    assert item.published_at == utc(sample["published"])
    assert words(item.text).startswith(sample["content_starts_with"])
    assert item.author == sample["author_name"]
    assert item.rating is None


def test_feed_target_domains(feed) -> None:  # type: ignore[no-untyped-def]
    from collections import Counter
    from urllib.parse import urlsplit

    assert Counter(urlsplit(item.url).hostname for item in feed[0]) == expected(FEED)["target_domains"]


def test_feed_double_escaped_apostrophes_are_read(feed) -> None:  # type: ignore[no-untyped-def]
    assert not any("&#39;" in (item.title or "") + item.text for item in feed[0])


# --- Mastodon -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mastodon():  # type: ignore[no-untyped-def]
    return parsed(MastodonSpider, MASTODON, "https://mastodon.social/api/v1/timelines/tag/mastodon")


def test_mastodon_count(mastodon) -> None:  # type: ignore[no-untyped-def]
    assert len(mastodon[0]) == expected(MASTODON)["post_count"]


@pytest.mark.parametrize("sample", expected(MASTODON)["samples"], ids=lambda s: s["id"])
def test_mastodon_samples(mastodon, sample) -> None:  # type: ignore[no-untyped-def]
    item = mastodon[0][sample["index"]]
    assert item.external_id == f"mastodon.social:{sample['id']}"
    assert item.kind == "post"
    assert item.extra["acct"] == sample["account_acct"]
    assert item.author == (sample["account_display_name"] or sample["account_acct"])
    assert item.url == sample["url"]
    assert item.published_at == utc(sample["created_at"])
    assert item.extra["in_reply_to_id"] == sample["in_reply_to_id"]
    assert words(item.text).startswith(sample["text_starts_with"])
    assert item.language is None  # 2017: no language field
    assert "<" not in item.text


def test_mastodon_reach_is_the_author_s_followers(mastodon) -> None:  # type: ignore[no-untyped-def]
    statuses = json.loads((REALDATA / MASTODON).read_text(encoding="utf-8"))
    followers = [(status.get("reblog") or status)["account"]["followers_count"] for status in statuses]
    assert [item.reach for item in mastodon[0]] == followers and max(followers) > 0


def test_mastodon_pages_back_in_time(mastodon) -> None:  # type: ignore[no-untyped-def]
    [request] = mastodon[1]
    oldest = min(int(item.external_id.split(":")[1]) for item in mastodon[0])
    assert request.url.endswith(f"max_id={oldest}")


# --- Hacker News --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", expected(HN)["samples"], ids=lambda s: s["objectID"])
def test_hackernews_samples(sample) -> None:  # type: ignore[no-untyped-def]
    items, _, _ = parsed(HackernewsSpider, HN, "https://hn.algolia.com/api/v1/search?query=x")
    assert len(items) == expected(HN)["post_count"]
    item = items[sample["index"]]
    assert item.external_id == sample["objectID"]
    assert item.author == sample["author"]
    assert item.title == sample["title"]
    assert item.text == sample["title"]  # a link story: its title is what was said
    assert item.published_at == utc(sample["created_at"])
    assert item.extra["link"] == sample["url"]
    assert item.extra["points"] == sample["points"] and item.reach == sample["points"]


# --- Reddit (OAuth JSON listing) ----------------------------------------------------------------------------


@pytest.mark.parametrize("sample", expected(REDDIT)["samples"], ids=lambda s: s["id"])
def test_reddit_listing_samples(sample) -> None:  # type: ignore[no-untyped-def]
    items, requests, _ = parsed(RedditSpider, REDDIT, "https://oauth.reddit.com/r/all/search?q=praw+oauth+search")
    assert len(items) == expected(REDDIT)["post_count"]
    assert requests == []  # "after": null
    item = items[sample["index"]]
    assert item.external_id == sample["fullname"]
    assert item.author == sample["author"]
    assert item.title == sample["title"]
    assert item.published_at == utc(sample["created_iso"])
    assert item.extra["subreddit"] == sample["subreddit"]
    assert item.reach == sample["score"]
    assert item.url == "https://www.reddit.com" + sample["permalink"]
    assert words(item.text).startswith(sample["selftext_starts_with"])


# --- YouTube ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def youtube():  # type: ignore[no-untyped-def]
    return parsed(YoutubeSpider, YOUTUBE, "https://www.googleapis.com/youtube/v3/commentThreads?videoId=F1UP7wRCPH8")


def test_youtube_count(youtube) -> None:  # type: ignore[no-untyped-def]
    assert len(youtube[0]) == expected(YOUTUBE)["post_count"]


@pytest.mark.parametrize("sample", expected(YOUTUBE)["samples"], ids=lambda s: s["id"])
def test_youtube_samples(youtube, sample) -> None:  # type: ignore[no-untyped-def]
    item = youtube[0][sample["index"]]
    assert item.external_id == sample["id"]
    assert item.author == sample["author"]
    assert item.author_id == sample["author_channel_id"]
    assert item.published_at == utc(sample["published_at"])
    assert words(item.text).startswith(sample["text_original_starts_with"])
    assert item.extra["likes"] == sample["like_count"] and item.reach == sample["like_count"]
    assert item.url.endswith(f"v={sample['video_id']}&lc={sample['id']}")


def test_youtube_prefers_the_original_text(youtube) -> None:  # type: ignore[no-untyped-def]
    assert youtube[0][4].text.startswith("Lot's of good light")  # textDisplay has "Lot&#39;s" and links


def test_youtube_follows_the_page_token(youtube) -> None:  # type: ignore[no-untyped-def]
    [request] = youtube[1]
    assert "pageToken=" in request.url
