"""Avis Vérifiés certificate pages: schema.org microdata reviews with French dates ("publié le 12/03/2024 à
14h05 suite à une expérience du 02/03/2024"), the merchant's reply, a /10 aggregate beside /5 reviews."""

from __future__ import annotations

import re

import scrapy
from parsel import Selector

from crawlers.items import MentionItem
from crawlers.parsing.french import french_date
from crawlers.parsing.page import NotRecognised, Page, PagedSpider, body_text

PUBLISHED = re.compile(r"publié le\s+(.+?)(?=\s+suite à|$)", re.I | re.S)
EXPERIENCED = re.compile(r"expérience du\s+(\d{1,2}/\d{1,2}/\d{4}|\d{1,2}(?:er)?\s+\w+\s+\d{4})", re.I)
REPLY_DATE = re.compile(r"\ble\s+(\d{1,2}/\d{1,2}/\d{4}|\d{1,2}(?:er)?\s+\w+\s+\d{4})")
REPLY = './/*[contains(@class, "reponse") or contains(@class, "response") or contains(@class, "answer")]'


def read(response: scrapy.http.Response) -> Page:
    html = Selector(text=body_text(response))
    reviews = html.xpath('//*[contains(@itemtype, "schema.org/Review")]')
    if not reviews:
        raise NotRecognised("no schema.org Review block on the certificate page: layout changed?")
    page = Page()
    for review in reviews:
        page.add(_item, review, response)
    next_page = html.xpath('//link[@rel="next"]/@href | //a[@rel="next"]/@href').get()
    page.next_url = response.urljoin(next_page) if next_page else None
    return page


def _prop(node: Selector, name: str) -> str | None:
    found = node.xpath(f'.//*[@itemprop="{name}"]')
    if not found:
        return None
    value = found[0].attrib.get("content")
    return value if value is not None else " ".join(_string(found[0]).split()) or None


def _string(node: Selector) -> str:
    """All the text inside the node, as written (line breaks kept)."""
    return node.xpath("string()").get() or ""


def _item(review: Selector, response: scrapy.http.Response) -> MentionItem:
    # The reply sits inside the review block: read the review's own text without it.
    reply = review.xpath(REPLY)
    words = " ".join(_string(review).split())
    reply_words = " ".join(_string(reply[0]).split()) if reply else ""
    own_words = words.replace(reply_words, "") if reply_words else words
    rating = review.xpath('.//*[@itemprop="reviewRating"]')
    body = review.xpath('.//*[@itemprop="reviewBody"]')
    if not rating and not body:
        raise NotRecognised("a Review block with neither rating nor reviewBody: layout changed?")
    author = review.xpath('.//*[@itemprop="author"]')
    published = _prop(review, "datePublished") or _search(PUBLISHED, own_words)
    review_id = review.attrib.get("data-review-id") or review.attrib.get("id", "").removeprefix("review-") or None
    reply_text = reply.xpath('.//*[contains(@class, "texte") or contains(@class, "text")]') if reply else None
    return MentionItem(
        url=response.urljoin(f"#review-{review_id}") if review_id else response.url,
        kind="review",
        external_id=review_id,
        author=(_prop(author[0], "name") or " ".join(_string(author[0]).split()) or None) if author else None,
        text=_string(body[0]) if body else "",
        # A review's rating is on its own scale (/5), whatever the page's aggregate uses (/10).
        rating=_prop(rating[0], "ratingValue") if rating else None,
        rating_best=(_prop(rating[0], "bestRating") if rating else None) or 5,
        rating_worst=(_prop(rating[0], "worstRating") if rating else None) or 1,
        language="fr",
        published_at=french_date(published),
        experienced_at=french_date(_search(EXPERIENCED, own_words)),
        reply_text=(_string(reply_text[0]) if reply_text else reply_words) if reply else None,
        reply_at=french_date(_search(REPLY_DATE, reply_words)) if reply else None,
        # Avis Vérifiés asks the merchant's customers after an order, but the page does not say it per review:
        # "verified" is left to what Veilleur can check itself (an order reference).
        extra={"platform_collected_after_order": True},
    )


def _search(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1).strip() if match else None


class AvisVerifiesSpider(PagedSpider):
    name = "avis_verifies"
    read = staticmethod(read)
