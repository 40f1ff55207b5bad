"""RSS and Atom mentions: Google Alerts (the target URL unwrapped from google.com/url?...&url=), news feeds.
Titles and summaries may hold HTML; the clean_text pipeline strips it."""

from __future__ import annotations

import scrapy

from crawlers.items import MentionItem
from crawlers.parsing.feeds import parse_feed, unwrap
from crawlers.parsing.page import Page, PagedSpider


def read(response: scrapy.http.Response) -> Page:
    page = Page()
    for entry in parse_feed(response.body):
        link = unwrap(entry.link)
        page.items.append(
            MentionItem(
                url=link or response.url,
                kind="post",
                external_id=entry.id or link,
                author=entry.author,
                author_id=entry.author_uri,
                title=entry.title,
                text=entry.summary or "",
                language=entry.language,
                published_at=entry.published,
                updated_at=entry.updated if entry.updated != entry.published else None,
            )
        )
    return page


class FeedSpider(PagedSpider):
    name = "feed"
    read = staticmethod(read)
