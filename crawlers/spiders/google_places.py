"""Google Places API answers: legacy Place Details (`result.reviews[]`) and Places API v1 (`reviews[]`,
in a Place or in `places[]`). v1 gives the author's own words in `originalText`: kept, not the translation."""

from __future__ import annotations

from typing import Any

import scrapy

from crawlers.items import MentionItem
from crawlers.parsing.page import NotRecognised, Page, PagedSpider, dig, load_json


def read(response: scrapy.http.Response) -> Page:
    data = load_json(response)
    if not isinstance(data, dict):
        raise NotRecognised("not a Places API answer (expected a JSON object)")
    if data.get("status") not in (None, "OK", "ZERO_RESULTS"):
        # e.g. REQUEST_DENIED with an error_message: a key or billing problem the operator must see.
        raise NotRecognised(f"Places API status {data['status']}: {data.get('error_message', '')}".strip())
    if "error" in data:
        raise NotRecognised(f"Places API error: {dig(data, 'error', 'status')} {dig(data, 'error', 'message')}")
    page = Page()
    if "result" in data:
        place = data["result"]
        for review in place.get("reviews") or []:
            page.add(_legacy, review, place)
        return page
    places = data.get("places", [data])
    if not any("reviews" in place or "id" in place or "name" in place for place in places):
        raise NotRecognised("neither result.reviews (legacy) nor reviews (v1): not a Place Details answer")
    for place in places:
        for review in place.get("reviews") or []:
            page.add(_v1, review, place)
    return page


def _legacy(review: dict[str, Any], place: dict[str, Any]) -> MentionItem:
    # Legacy reviews have no id: the author's profile and the review's second are stable together.
    author_key = review.get("author_url") or review.get("author_name") or ""
    return MentionItem(
        url=place.get("url") or review.get("author_url") or "",
        kind="review",
        external_id=f"{author_key}@{review.get('time')}",
        author=review.get("author_name"),
        author_id=review.get("author_url"),
        text=review.get("text") or "",
        rating=review.get("rating"),
        rating_best=5,
        rating_worst=1,
        language=review.get("original_language") or review.get("language"),
        published_at=review.get("time"),
        extra={"place_id": place.get("place_id"), "translated": bool(review.get("translated"))},
    )


def _v1(review: dict[str, Any], place: dict[str, Any]) -> MentionItem:
    original = review.get("originalText") or review.get("text") or {}
    return MentionItem(
        url=review.get("googleMapsUri") or place.get("googleMapsUri") or "",
        kind="review",
        external_id=review.get("name"),
        author=dig(review, "authorAttribution", "displayName"),
        author_id=dig(review, "authorAttribution", "uri"),
        text=original.get("text") or "",
        rating=review.get("rating"),
        rating_best=5,
        rating_worst=1,
        language=original.get("languageCode"),
        published_at=review.get("publishTime"),
        extra={"place_id": place.get("id"), "translated": "originalText" in review and review.get("text") != original},
    )


class GooglePlacesSpider(PagedSpider):
    name = "google_places"
    read = staticmethod(read)
