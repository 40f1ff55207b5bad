"""Turn what the page said into typed values: aware UTC dates, float ratings with their scale."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.exceptions import DropItem

from crawlers.items import MentionItem
from crawlers.normalise import normalise_rating, parse_date, parse_number
from crawlers.parsing.finish import finish_reach

_DATE_FIELDS = ("published_at", "experienced_at", "updated_at", "reply_at")


class NormalisePipeline:
    def process_item(self, item: MentionItem, spider) -> MentionItem:  # type: ignore[no-untyped-def]
        stats = spider.crawler.stats
        # A fixed clock (the spider's `now`) makes relative dates ("il y a 2 mois") testable.
        now = getattr(spider, "now", None) or datetime.now(UTC)
        for name in _DATE_FIELDS:
            try:
                setattr(item, name, parse_date(getattr(item, name), now))
            except ValueError as error:
                stats.inc_value(f"mentions/{name}/unparsed")
                item.extra.setdefault("unparsed", {})[name] = str(error)
                setattr(item, name, None)
        if item.published_at is None:
            stats.inc_value("mentions/published_at/missing")
        try:
            item.rating = parse_number(item.rating)
            item.rating_best = parse_number(item.rating_best)
            item.rating_worst = parse_number(item.rating_worst)
            if item.rating is not None:
                item.extra["rating_normalised"] = normalise_rating(item.rating, item.rating_best, item.rating_worst)
                item.rating_best = 5.0 if item.rating_best is None else item.rating_best
                item.rating_worst = 1.0 if item.rating_worst is None else item.rating_worst
        except ValueError as error:
            stats.inc_value("mentions/rating/invalid")
            raise DropItem(f"{item.url}: review by {item.author!r}: {error}") from None
        if not finish_reach(item):
            stats.inc_value("mentions/reach/unparsed")
        if item.kind == "review" and item.rating is None:
            stats.inc_value("reviews/rating/missing")
        return item
