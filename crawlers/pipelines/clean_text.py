"""Strip HTML from text fields safely and tidy whitespace (crawlers/normalise.py: `clean_text`); drop a mention
left without words, unless it is a rated review. The words themselves are never changed or cut."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawlers.items import MentionItem
from crawlers.normalise import clean_text


class CleanTextPipeline:
    def process_item(self, item: MentionItem, spider) -> MentionItem:  # type: ignore[no-untyped-def]
        clean_text(item)
        if not item.text and item.kind == "review" and item.rating is not None:
            # A rating without words is still a review: it counts in averages and may be published.
            item.text = ""
            spider.crawler.stats.inc_value("reviews/text/missing")
        elif not item.text:
            spider.crawler.stats.inc_value("mentions/dropped/empty_text")
            raise DropItem(f"{item.url}: mention without text (author {item.author!r})")
        return item
