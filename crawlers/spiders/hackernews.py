"""Hacker News through Algolia: `https://hn.algolia.com/api/v1/search_by_date?query=BRAND&tags=(story,comment)`.
Stories and comments are posts; `page=N` paging up to `nbPages`."""

from __future__ import annotations

from typing import Any

import scrapy

from crawlers.items import MentionItem
from crawlers.parsing.page import NotRecognised, Page, PagedSpider, load_json, with_query

ITEM_URL = "https://news.ycombinator.com/item?id={}"


def read(response: scrapy.http.Response) -> Page:
    data = load_json(response)
    if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
        raise NotRecognised("not an HN Algolia answer (no hits list)")
    page = Page()
    for hit in data["hits"]:
        if isinstance(hit, dict) and hit.get("objectID"):
            page.add(_item, hit)
    current, pages = data.get("page"), data.get("nbPages")
    if isinstance(current, int) and isinstance(pages, int) and current + 1 < pages:
        page.next_url = with_query(response.url, page=current + 1)
    return page


def _item(hit: dict[str, Any]) -> MentionItem:
    tags = hit.get("_tags") or []
    is_comment = "comment" in tags or (hit.get("comment_text") and not hit.get("title"))
    return MentionItem(
        url=ITEM_URL.format(hit["objectID"]),
        kind="post",
        external_id=str(hit["objectID"]),
        author=hit.get("author"),
        title=None if is_comment else hit.get("title"),
        text=(hit.get("comment_text") if is_comment else hit.get("story_text")) or "",
        published_at=hit.get("created_at") or hit.get("created_at_i"),
        reach=hit.get("points"),
        extra={
            "type": "comment" if is_comment else "story",
            "points": hit.get("points"),
            "comments": hit.get("num_comments"),
            "link": hit.get("url"),
            "story_id": hit.get("story_id"),
            "story_title": hit.get("story_title"),
        },
    )


class HackernewsSpider(PagedSpider):
    name = "hackernews"
    read = staticmethod(read)
