"""Turn what the page said into typed values (crawlers/normalise.py: aware UTC dates, float ratings with their
scale, the reach as a count, the link http(s) or none) and count what could not be read."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.exceptions import DropItem

from crawlers.items import MentionItem
from crawlers.normalise import normalise_dates, normalise_rating, normalise_reach, normalise_url


class NormalisePipeline:
    def process_item(self, item: MentionItem, spider) -> MentionItem:  # type: ignore[no-untyped-def]
        stats = spider.crawler.stats
        # A fixed clock (the spider's `now`) makes relative dates ("il y a 2 mois") testable.
        now = getattr(spider, "now", None) or datetime.now(UTC)
        for name in normalise_dates(item, now):
            stats.inc_value(f"mentions/{name}/unparsed")
        if item.published_at is None:
            stats.inc_value("mentions/published_at/missing")
        try:
            normalise_rating(item)
        except ValueError as error:
            stats.inc_value("mentions/rating/invalid")
            raise DropItem(f"{item.url}: review by {item.author!r}: {error}") from None
        if not normalise_reach(item):
            stats.inc_value("mentions/reach/unparsed")
        if not normalise_url(item):
            stats.inc_value("mentions/url/dropped")
        if item.kind == "review" and item.rating is None:
            stats.inc_value("reviews/rating/missing")
        return item
