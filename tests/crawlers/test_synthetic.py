"""Edge cases the real saved responses do not show, on hand-written (SYNTHETIC) pages in the sites' shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawlers.spiders.app_store import AppStoreSpider
from crawlers.spiders.avis_verifies import AvisVerifiesSpider
from crawlers.spiders.google_places import GooglePlacesSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.reddit import RedditSpider
from crawlers.spiders.trustpilot import TrustpilotSpider
from tests.crawlers.conftest import SYNTHETIC, finished, make_spider, response, run_parse


def parsed(spider_class, relative: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
    spider = make_spider(spider_class, url, **kwargs)
    items, requests = run_parse(spider, response(SYNTHETIC / relative, url))
    return finished(items), requests, spider


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- Avis Vérifiés ------------------------------------------------------------------------------------------

AV_URL = "https://www.avis-verifies.com/avis-clients/acme-boutique.fr"


@pytest.fixture(scope="module")
def avis():  # type: ignore[no-untyped-def]
    return parsed(AvisVerifiesSpider, "avis_verifies/certificate_acme_p1_SYNTHETIC.html", AV_URL)


def test_avis_verifies_reads_every_review(avis) -> None:  # type: ignore[no-untyped-def]
    assert [item.author for item in avis[0]] == ["Jean-Pierre D.", "Sophie M.", "Karim B."]


def test_avis_verifies_review_ratings_are_out_of_5_not_the_aggregate_10(avis) -> None:  # type: ignore[no-untyped-def]
    assert [(item.rating, item.rating_best) for item in avis[0]] == [(5, 5), (1, 5), (4, 5)]
    assert avis[0][1].extra["rating_normalised"] == 0.0


def test_avis_verifies_offset_without_colon(avis) -> None:  # type: ignore[no-untyped-def]
    assert avis[0][0].published_at == at(2024, 3, 12, 13, 5)


def test_avis_verifies_odd_negative_offset(avis) -> None:  # type: ignore[no-untyped-def]
    assert avis[0][2].published_at == at(2024, 3, 1, 9, 0)


def test_avis_verifies_french_date_in_the_text_is_paris_time(avis) -> None:  # type: ignore[no-untyped-def]
    assert avis[0][1].published_at == at(2024, 3, 3, 20, 47)  # "3 mars 2024 à 21h47", Paris in winter


def test_avis_verifies_experience_dates(avis) -> None:  # type: ignore[no-untyped-def]
    assert [item.experienced_at for item in avis[0]] == [at(2024, 3, 2), at(2024, 3, 1), at(2024, 2, 20)]


def test_avis_verifies_merchant_reply(avis) -> None:  # type: ignore[no-untyped-def]
    sophie = avis[0][1]
    assert sophie.reply_text == "Bonjour Sophie, nous sommes désolés : un nouvel envoi part aujourd'hui."
    assert sophie.reply_at == at(2024, 3, 5)
    assert "Bonjour Sophie" not in sophie.text


def test_avis_verifies_text_is_whole(avis) -> None:  # type: ignore[no-untyped-def]
    assert avis[0][1].text == (
        "Colis arrivé ouvert, un article manquant.\nLe service client ne répond pas depuis trois semaines."
    )
    assert avis[0][0].text == "Livraison rapide, produit conforme à la description. Je recommande !"


def test_avis_verifies_rating_without_words_is_kept(avis) -> None:  # type: ignore[no-untyped-def]
    assert avis[0][2].text == ""
    assert avis[0][2].rating == 4


def test_avis_verifies_follows_the_next_page(avis) -> None:  # type: ignore[no-untyped-def]
    [request] = avis[1]
    assert request.url.endswith("certificate_acme_p2_SYNTHETIC.html")


def test_avis_verifies_stable_ids(avis) -> None:  # type: ignore[no-untyped-def]
    assert [item.external_id for item in avis[0]] == ["5f1e2a9c-0001", "5f1e2a9c-0002", "5f1e2a9c-0003"]


# --- Trustpilot: replies and reviews shown twice ------------------------------------------------------------

TP_URL = "https://www.trustpilot.com/review/acme.fr?page=2"


@pytest.fixture(scope="module")
def trustpilot_p2():  # type: ignore[no-untyped-def]
    return parsed(TrustpilotSpider, "trustpilot/acme_p2_reply_SYNTHETIC.html", TP_URL)


def test_trustpilot_company_reply(trustpilot_p2) -> None:  # type: ignore[no-untyped-def]
    marc = trustpilot_p2[0][0]
    assert marc.reply_text.startswith("Bonjour Marc, nous sommes désolés")
    assert marc.reply_text.endswith("L'équipe Acme")
    assert marc.reply_at == at(2024, 6, 25, 8, 30)


def test_trustpilot_review_shown_twice_on_a_page_is_yielded_once(trustpilot_p2) -> None:  # type: ignore[no-untyped-def]
    ids = [item.external_id for item in trustpilot_p2[0]]
    assert len(ids) == len(set(ids)) == 3
    assert trustpilot_p2[2].crawler.stats.get_value("trustpilot/reviews/shown_twice") == 1


def test_trustpilot_verified_label(trustpilot_p2) -> None:  # type: ignore[no-untyped-def]
    assert [item.verified_purchase for item in trustpilot_p2[0]] == [False, True, False]


def test_trustpilot_next_page_from_pagination(trustpilot_p2) -> None:  # type: ignore[no-untyped-def]
    assert [request.url for request in trustpilot_p2[1]] == ["https://www.trustpilot.com/review/acme.fr?page=3"]


def test_trustpilot_last_page_has_no_next() -> None:
    _, requests, _ = parsed(TrustpilotSpider, "trustpilot/acme_p3_SYNTHETIC.html", TP_URL)
    assert requests == []


# --- App Store XML ------------------------------------------------------------------------------------------

APP_XML_URL = "https://itunes.apple.com/fr/rss/customerreviews/page=1/id=123456789/sortby=mostrecent/xml"


@pytest.fixture(scope="module")
def app_xml():  # type: ignore[no-untyped-def]
    return parsed(AppStoreSpider, "app_store/customerreviews_fr_page1_SYNTHETIC.xml", APP_XML_URL)


def test_app_store_xml_reviews(app_xml) -> None:  # type: ignore[no-untyped-def]
    assert [(item.external_id, item.author, item.rating) for item in app_xml[0]] == [
        ("10987654321", "Camille_92", 1),
        ("10987654000", "Jo", 5),
    ]


def test_app_store_xml_dates_to_utc(app_xml) -> None:  # type: ignore[no-untyped-def]
    assert app_xml[0][0].published_at == at(2024, 6, 2, 21, 31, 7)


def test_app_store_xml_keeps_the_text_content_not_the_html(app_xml) -> None:  # type: ignore[no-untyped-def]
    assert app_xml[0][0].text == "Depuis la mise à jour 3.2 l'appli plante à chaque ouverture & je perds mon panier."


def test_app_store_xml_has_dates_so_no_warning(app_xml) -> None:  # type: ignore[no-untyped-def]
    assert app_xml[2].crawler.stats.get_value("app_store/published_at/absent_in_feed") is None
    assert [request.url for request in app_xml[1]] == [APP_XML_URL.replace("page=1", "page=2")]


# --- Google Places v1 ---------------------------------------------------------------------------------------


def test_google_places_v1_keeps_the_original_language_text() -> None:
    items, _, _ = parsed(
        GooglePlacesSpider, "google_places/places-v1_cafe-acme_SYNTHETIC.json", "https://places.googleapis.com/v1/x"
    )
    lucie = items[0]
    assert lucie.text == "Café froid et serveur désagréable."
    assert lucie.language == "fr"
    assert lucie.extra["translated"] is True
    assert lucie.external_id == "places/ChIJ_SYNTHETIC/reviews/r1"
    assert lucie.published_at == datetime(2024, 5, 2, 17, 45, 10, 123456, tzinfo=UTC)
    assert items[1].extra["translated"] is False


# --- Mastodon 4 ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mastodon4():  # type: ignore[no-untyped-def]
    return parsed(
        MastodonSpider,
        "mastodon/tag-timeline_acme_v4_SYNTHETIC.json",
        "https://mastodon.example/api/v1/timelines/tag/acme",
    )


def test_mastodon_html_to_text_and_language(mastodon4) -> None:  # type: ignore[no-untyped-def]
    alice = mastodon4[0][0]
    assert alice.text == "Franchement #Acme & leur SAV : trois semaines sans réponse.\nJe suis déçue."
    assert alice.language == "fr"


def test_mastodon_reblog_is_the_reblogged_status(mastodon4) -> None:  # type: ignore[no-untyped-def]
    carol = mastodon4[0][1]
    assert carol.author == "Carol"
    assert carol.text == "Loving my new #acme kettle"
    assert carol.external_id == "mastodon.example:111999999999999999"
    assert mastodon4[2].crawler.stats.get_value("mastodon/reblogs") == 1


# --- Reddit search RSS --------------------------------------------------------------------------------------


def test_reddit_search_rss() -> None:
    url = "https://www.reddit.com/search.rss?q=acme&sort=new"
    items, requests, _ = parsed(RedditSpider, "reddit/search_acme_SYNTHETIC.rss", url)
    first = items[0]
    assert (first.external_id, first.author, first.title) == ("t3_1d6abcd", "dupont_lyon", "Remboursement Acme ?")
    assert first.text == "Quelqu'un a déjà eu un remboursement chez Acme ? Ça fait un mois."
    assert first.published_at == at(2024, 6, 3, 9, 12, 44)
    assert first.url == "https://www.reddit.com/r/france/comments/1d6abcd/remboursement_acme/"
    assert [request.url for request in requests] == [url + "&after=t3_1d5wxyz"]


# --- RSS 2.0, HN comments, long texts and long ids ----------------------------------------------------------

RSS2 = (
    b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Actu</title><language>fr-FR</language>
<item><title>Acme &lt;em&gt;rappelle&lt;/em&gt; ses bouilloires</title>
<link>https://news.example/acme-rappel</link><guid isPermaLink="false">news-42</guid>
<pubDate>Tue, 04 Jun 2024 16:30:00 +0200</pubDate>
<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">R. Dupont</dc:creator>
<description>&lt;p&gt;Le fabricant &lt;b&gt;Acme&lt;/b&gt; rappelle 10&amp;nbsp;000 bouilloires.&lt;/p&gt;
</description></item>
<item><title>Sans guid</title><link>https://news.example/"""
    + b"x" * 300
    + b"""</link><description>Texte</description></item>
</channel></rss>"""
)


def test_rss2_items() -> None:
    from crawlers.spiders.feed import FeedSpider

    spider = make_spider(FeedSpider, "https://news.example/rss")
    items, _ = run_parse(spider, response(SYNTHETIC / "x.xml", "https://news.example/rss", RSS2))
    first, second = finished(items)
    assert (first.external_id, first.author, first.language) == ("news-42", "R. Dupont", "fr-FR")
    assert first.title == "Acme rappelle ses bouilloires"
    assert first.text == "Le fabricant Acme rappelle 10 000 bouilloires."
    assert first.published_at == at(2024, 6, 4, 14, 30)
    # An entry known only by a 300-character link gets a stable id that fits the database column.
    assert second.external_id.startswith("sha256:") and len(second.external_id) <= 200


def test_hackernews_comment_text_is_whole() -> None:
    import json

    from crawlers.spiders.hackernews import HackernewsSpider

    long_text = "Acme support <i>never</i> answered. " * 5000
    body = json.dumps(
        {
            "hits": [
                {
                    "objectID": "40000001",
                    "author": "pg_fan",
                    "comment_text": long_text,
                    "created_at": "2024-06-01T10:00:00Z",
                    "story_id": 39999999,
                    "story_title": "Ask HN: kettles?",
                    "_tags": ["comment", "author_pg_fan", "story_39999999"],
                }
            ],
            "page": 0,
            "nbPages": 1,
        }
    ).encode()
    spider = make_spider(HackernewsSpider, "https://hn.algolia.com/api/v1/search_by_date?query=acme")
    [comment], requests = run_parse(spider, response(SYNTHETIC / "x.json", spider.start_urls[0], body))
    [comment] = finished([comment])
    assert comment.title is None
    assert comment.text == long_text.replace("<i>", "").replace("</i>", "").strip()
    assert comment.extra["type"] == "comment"
    assert requests == []
