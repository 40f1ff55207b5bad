"""YouTube Data API v3 `commentThreads.list` (part=snippet,replies): top-level comments and the replies the
answer includes. `textOriginal` (what the author typed) is preferred to `textDisplay` (rendered HTML)."""

from __future__ import annotations

from typing import Any

import scrapy

from crawlers.items import MentionItem
from crawlers.parsing.page import NotRecognised, Page, PagedSpider, dig, load_json, with_query


def read(response: scrapy.http.Response) -> Page:
    data = load_json(response)
    if not isinstance(data, dict) or "error" in data:
        raise NotRecognised(f"YouTube API error: {dig(data, 'error', 'message', default=str(data)[:200])}")
    if not isinstance(data.get("items"), list):
        raise NotRecognised("not a commentThreads answer (no items list)")
    page = Page()
    for thread in data["items"]:
        video = dig(thread, "snippet", "videoId")
        top = dig(thread, "snippet", "topLevelComment", default={})
        page.add(_item, top, video)
        for reply in dig(thread, "replies", "comments", default=[]):
            page.add(_item, reply, video, dig(top, "id"))
    token = data.get("nextPageToken")
    page.next_url = with_query(response.url, pageToken=token) if token else None
    return page


def _item(comment: dict[str, Any], video: str | None, parent: str | None = None) -> MentionItem:
    snippet = comment.get("snippet") or {}
    if not comment.get("id"):
        raise NotRecognised("a comment without an id: not a commentThreads answer")
    return MentionItem(
        url=f"https://www.youtube.com/watch?v={video or snippet.get('videoId')}&lc={comment['id']}",
        kind="post",
        external_id=comment["id"],
        author=snippet.get("authorDisplayName"),
        author_id=dig(snippet, "authorChannelId", "value"),
        text=snippet.get("textOriginal") or snippet.get("textDisplay") or "",
        published_at=snippet.get("publishedAt"),
        updated_at=snippet.get("updatedAt") if snippet.get("updatedAt") != snippet.get("publishedAt") else None,
        reach=snippet.get("likeCount"),
        extra={"likes": snippet.get("likeCount"), "parent": parent, "video": video or snippet.get("videoId")},
    )


class YoutubeSpider(PagedSpider):
    name = "youtube"
    read = staticmethod(read)
