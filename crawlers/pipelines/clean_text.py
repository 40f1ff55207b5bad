"""Strip HTML from text fields safely and tidy whitespace (crawlers/normalise.py: `clean_text`); drop a mention
left without words, unless it is a rated review, and one whose text is not text or too long to keep whole. The
words themselves are never changed or cut."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawlers.items import MentionItem
from crawlers.normalise import clean_text


class CleanTextPipeline:
    def process_item(self, item: MentionItem, spider) -> MentionItem:  # type: ignore[no-untyped-def]
        stats = spider.crawler.stats
        try:
            for name in clean_text(item):
                stats.inc_value(f"mentions/{name}/unparsed")
        except ValueError as error:  # the text itself is not text, or too long to keep whole
            stats.inc_value("mentions/text/invalid")
            raise DropItem(f"{item.url}: mention by {item.author!r}: {error}") from None
        if not item.text and item.kind == "review" and item.rating is not None:
            # A rating without words is still a review: it counts in averages and may be published.
            item.text = ""
            stats.inc_value("reviews/text/missing")
        elif not item.text:
            stats.inc_value("mentions/dropped/empty_text")
            raise DropItem(f"{item.url}: mention without text (author {item.author!r})")
        return item
