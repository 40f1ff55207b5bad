from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler

from crawlers.items import MentionItem
from crawlers.normalise import finish

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REALDATA = FIXTURES / "realdata"
SYNTHETIC = FIXTURES / "crawlers"
# Relative dates ("il y a 2 mois") are read against this clock in every crawler test.
NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)


def expected(relative: str) -> dict[str, Any]:
    return json.loads((REALDATA / f"{relative}.expected.json").read_text(encoding="utf-8"))


def response(path: Path | str, url: str, body: bytes | None = None) -> TextResponse:
    """A response as Scrapy would build it for the saved file (HTML pages as HtmlResponse)."""
    path = Path(path)
    body = path.read_bytes() if body is None else body
    cls = HtmlResponse if path.suffix == ".html" else TextResponse
    return cls(url=url, body=body, encoding="utf-8")


def make_spider(spider_class: type[scrapy.Spider], url: str, known_ids: Iterable[str] = (), max_pages: int = 5):
    crawler = get_crawler(spider_class)
    spider = spider_class.from_crawler(crawler, source_id=1, source_name="test/source", urls=[url], max_pages=max_pages)
    spider.known_ids = set(known_ids)
    spider.now = NOW
    return spider


def run_parse(spider, page_response: scrapy.http.Response, page: int = 1):  # type: ignore[no-untyped-def]
    """(items, follow-up requests) from the spider's parse of one page."""
    out = list(spider.parse(page_response, page=page))
    items = [thing for thing in out if isinstance(thing, MentionItem)]
    requests = [thing for thing in out if isinstance(thing, scrapy.Request)]
    return items, requests


def finished(items: list[MentionItem]) -> list[MentionItem]:
    """The items as the clean_text and normalise pipelines leave them (UTC dates, plain text, 0-1 rating)."""
    return [finish(item, NOW) for item in items]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def words(text: str) -> str:
    """Whitespace collapsed, as the ground truth's `text_starts_with` is written."""
    return " ".join(text.split())
