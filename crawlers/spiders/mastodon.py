"""Mastodon tag timelines, `/api/v1/timelines/tag/{tag}`: statuses (HTML content), reblogs, language.

Paging: a first crawl walks back in time (`max_id`); once ids are stored, the crawl asks only for what is
newer than the newest one stored (`min_id`) and walks forward until a page comes back empty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import scrapy

from crawlers.items import MentionItem
from crawlers.parsing.page import NotRecognised, Page, PagedSpider, dig, load_json, query_value, with_query


def read(response: scrapy.http.Response) -> Page:
    statuses = load_json(response)
    if not isinstance(statuses, list):
        raise NotRecognised(f"not a Mastodon timeline (expected a list of statuses): {str(statuses)[:120]}")
    host = urlsplit(response.url).hostname or ""
    page = Page()
    for status in statuses:
        if not isinstance(status, dict) or "id" not in status:
            raise NotRecognised("a timeline entry without an id: not a Mastodon status")
        original = status.get("reblog") or status
        if original is not status:
            page.counters["mastodon/reblogs"] = page.counters.get("mastodon/reblogs", 0) + 1
        page.add(_item, original, host)
    ids = [number for status in statuses if (number := status_number(status["id"])) is not None]
    if ids and query_value(response.url, "min_id") is not None:
        page.next_url = with_query(response.url, min_id=max(ids), max_id=None)  # forward, to newer statuses
    elif ids:
        page.next_url = with_query(response.url, max_id=min(ids), min_id=None)  # back, to older statuses
    return page


def status_number(status_id: Any) -> int | None:
    """A status id as the number paging compares; None for one that is not (Unicode digits, 5,000 of them)."""
    text = str(status_id)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None


def _item(status: dict[str, Any], host: str) -> MentionItem:
    return MentionItem(
        url=status.get("url") or status.get("uri") or "",
        kind="post",
        # Status ids are per instance: the host keeps two instances' ids apart within one source.
        external_id=f"{host}:{status['id']}",
        author=dig(status, "account", "display_name") or dig(status, "account", "acct"),
        author_id=dig(status, "account", "url") or dig(status, "account", "acct"),
        title=status.get("spoiler_text") or None,
        text=status.get("content") or "",
        language=status.get("language"),
        published_at=status.get("created_at"),
        updated_at=status.get("edited_at"),
        reach=dig(status, "account", "followers_count"),
        extra={
            "acct": dig(status, "account", "acct"),
            "in_reply_to_id": status.get("in_reply_to_id"),
            "reblogs": status.get("reblogs_count"),
            "favourites": status.get("favourites_count"),
            "tags": [tag.get("name") for tag in status.get("tags") or [] if isinstance(tag, dict)],
        },
    )


class MastodonSpider(PagedSpider):
    name = "mastodon"
    read = staticmethod(read)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            host = urlsplit(url).hostname or ""
            ids = [known.removeprefix(f"{host}:") for known in self.known_ids if known.startswith(f"{host}:")]
            stored = [number for known in ids if (number := status_number(known)) is not None]
            if stored:
                url = with_query(url, min_id=max(stored))
            yield scrapy.Request(url, callback=self.parse, cb_kwargs={"page": 1})
