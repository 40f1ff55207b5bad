"""What every Veilleur spider shares: its source, its start URLs, and the ids already stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlparse

import scrapy
from sqlalchemy import select

from models import Mention
from models.db import make_engine


class VeilleurSpider(scrapy.Spider):
    """Arguments come from the runner: the source's database id and name, its URLs and page limit."""

    def __init__(self, source_id: int, source_name: str, urls: list[str], max_pages: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_id = int(source_id)
        self.source_name = source_name
        self.start_urls = list(urls)
        # Pagination never leaves the hosts the operator declared (Scrapy's offsite filter).
        self.allowed_domains = sorted({urlparse(url).hostname or "" for url in self.start_urls} - {""})
        self.max_pages = int(max_pages)
        self.known_ids: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.known_ids = _stored_ids(crawler.settings["VEILLEUR_DATABASE_URL"], spider.source_id)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, cb_kwargs={"page": 1})

    def unrecognised(self, response: scrapy.http.Response, why: str) -> None:
        """A page that does not look like what this spider knows: counted, and the source turns unhealthy."""
        self.crawler.stats.inc_value("pages/unrecognised")
        self.logger.error("source %s: %s: %s", self.source_name, response.url, why)


def _stored_ids(database_url: str | None, source_id: int) -> set[str]:
    # Used to stop paging once a crawl reaches mentions already stored (incremental crawling).
    if not database_url:
        return set()
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Mention.external_id).where(Mention.source_id == source_id))
            return {row[0] for row in rows}
    finally:
        engine.dispose()
