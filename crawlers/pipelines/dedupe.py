"""Give every item a stable id, and drop the ones shown twice on the same crawl (e.g. a pinned review)."""

from __future__ import annotations

import hashlib
from datetime import date

from scrapy.exceptions import DropItem

from crawlers.items import MentionItem


def content_id(item: MentionItem) -> str:
    """For sites without ids: the same author, date and text always give the same id."""
    published: object = item.published_at
    if isinstance(published, date):  # datetime or date, as before: ids already stored must not change
        published = published.isoformat()
    key = "\x1f".join([item.author or "", str(published or ""), item.title or "", item.text])
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


class DedupePipeline:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def process_item(self, item: MentionItem, spider) -> MentionItem:  # type: ignore[no-untyped-def]
        if not item.external_id:
            item.external_id = content_id(item)
            spider.crawler.stats.inc_value("mentions/id/content_hash")
        if item.external_id in self.seen:
            spider.crawler.stats.inc_value("mentions/dropped/duplicate_in_crawl")
            raise DropItem(f"{item.url}: {item.external_id} already seen in this crawl")
        self.seen.add(item.external_id)
        return item
