"""Reddit search: the RSS/Atom search feed (`https://www.reddit.com/search.rss?q=BRAND&sort=new`), which
answers anonymous clients, and the JSON listing for OAuth clients. Anonymous `.json` answers 403: the
health check reports that status (the source turns unhealthy), it is never taken for "nothing new"."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import scrapy

from crawlers.items import MentionItem
from crawlers.parsing.feeds import parse_feed
from crawlers.parsing.page import NotRecognised, Page, PagedSpider, body_text, load_json, with_query

SITE = "https://www.reddit.com"
# The feed wraps what the author wrote in <div class="md">, then adds "submitted by /u/... [link] [comments]".
POST_BODY = re.compile(r'<div class="md">(.*)</div>', re.S)


def read(response: scrapy.http.Response) -> Page:
    if body_text(response).lstrip()[:1] == "<":
        return _feed(response)
    return _listing(response)


def _feed(response: scrapy.http.Response) -> Page:
    page = Page()
    for entry in parse_feed(response.body):
        page.items.append(
            MentionItem(
                url=entry.link or response.url,
                kind="post",
                external_id=entry.id,
                author=(entry.author or "").removeprefix("/u/") or None,
                author_id=entry.author_uri,
                title=entry.title,
                text=_post_body(entry.summary or ""),
                published_at=entry.published,
                updated_at=entry.updated if entry.updated != entry.published else None,
            )
        )
    if page.items and page.items[-1].external_id:
        page.next_url = with_query(response.url, after=page.items[-1].external_id)
    return page


def _post_body(html: str) -> str:
    """The author's words only; a link post has none (its title is then what was said)."""
    match = POST_BODY.search(html)
    return match.group(1) if match else ""


def _listing(response: scrapy.http.Response) -> Page:
    data = load_json(response)
    if not isinstance(data, dict) or data.get("kind") != "Listing":
        raise NotRecognised("not a Reddit listing")
    page = Page()
    for child in data.get("data", {}).get("children", []):
        page.add(_post, child)
    after = data.get("data", {}).get("after")
    page.next_url = with_query(response.url, after=after) if after else None
    return page


def _post(child: dict[str, Any]) -> MentionItem:
    post: dict[str, Any] = child.get("data", {})
    return MentionItem(
        url=urljoin(SITE, post.get("permalink", "")),
        kind="post",
        external_id=post.get("name") or f"t3_{post.get('id')}",
        author=post.get("author"),
        title=post.get("title"),
        text=post.get("selftext") or post.get("body") or "",
        published_at=post.get("created_utc"),
        reach=post.get("score"),
        extra={
            "subreddit": post.get("subreddit"),
            "score": post.get("score"),
            "comments": post.get("num_comments"),
            "link": None if post.get("is_self") else post.get("url"),
        },
    )


class RedditSpider(PagedSpider):
    name = "reddit"
    read = staticmethod(read)
