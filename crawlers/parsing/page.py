"""What a site parser makes of one page, and the spider base that turns it into items and paging.

A site spider is mostly one pure function, `read(response) -> Page`: the same function serves the crawl,
the parse tests and `veilleur extract`. Everything a page can get wrong (broken markup, invalid UTF-8, a
changed layout, absurdly nested JSON) becomes a `NotRecognised` error for that page only: the page is
counted in `pages/unrecognised` (the source turns unhealthy) and the crawl goes on with the next page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy

from crawlers.items import MentionItem
from crawlers.spiders.base import VeilleurSpider


class NotRecognised(ValueError):
    """This page is not what the spider expects (layout changed, error page, broken body)."""


@dataclass
class Page:
    items: list[MentionItem] = field(default_factory=list)
    next_url: str | None = None
    # Data-quality counters for the crawl stats, e.g. {"app_store/published_at/absent_in_feed": 50}.
    counters: dict[str, int] = field(default_factory=dict)


def body_text(response: scrapy.http.Response) -> str:
    """The body as text. Bytes that are not valid in the page's encoding become U+FFFD and are counted
    by the caller only if it cares: for HTML, one bad byte must not cost the whole page."""
    if isinstance(response, scrapy.http.TextResponse):
        return response.text
    return response.body.decode("utf-8", errors="replace")


def load_json(response: scrapy.http.Response) -> Any:
    """JSON from the body, with an error that says what is wrong with the page rather than a traceback."""
    try:
        return json.loads(response.body)
    except UnicodeDecodeError as error:
        raise NotRecognised(f"body is not valid UTF-8 (byte {error.start}): not a JSON API answer") from None
    except json.JSONDecodeError as error:
        start = response.body[:60].decode("utf-8", errors="replace").strip()
        raise NotRecognised(f"not JSON ({error.msg} at line {error.lineno}); body starts {start!r}") from None
    except RecursionError:
        raise NotRecognised("JSON nested too deeply to be an API answer") from None


def dig(node: Any, *path: str | int, default: Any = None) -> Any:
    """node[a][b][c], or `default` when any step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int) and isinstance(node, list) and -len(node) <= step < len(node):
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return default
    return node if node is not None else default


def with_query(url: str, **params: str | int | None) -> str:
    """The URL with these query parameters set (None removes one): for `page=`, `pageToken=`, `min_id=`..."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in params]
    query += [(key, str(value)) for key, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_value(url: str, name: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get(name)


MAX_ID_LENGTH = 200  # models.Mention.external_id: String(200)
MAX_LANGUAGE_LENGTH = 12


def fit_id(external_id: str | None) -> str | None:
    """A site id as stored: a long one (a feed entry identified by a long URL) becomes its hash, stably."""
    if external_id is None or len(external_id) <= MAX_ID_LENGTH:
        return external_id
    return "sha256:" + hashlib.sha256(external_id.encode("utf-8")).hexdigest()


def describe(error: BaseException) -> str:
    text = str(error) if isinstance(error, NotRecognised) else f"{type(error).__name__}: {error}"
    return text if len(text) <= 300 else text[:300] + "..."


class PagedSpider(VeilleurSpider):
    """Parses each page with `read`, yields its items and follows `next_url` while the page brought
    something not yet stored (incremental crawling) and `max_pages` allows."""

    @staticmethod
    def read(response: scrapy.http.Response) -> Page:
        raise NotImplementedError

    def parse(self, response: scrapy.http.Response, page: int = 1) -> Iterator[Any]:
        try:
            result = self.read(response)
        except Exception as error:  # a hostile or changed page must cost that page, not the crawl
            self.unrecognised(response, describe(error))
            return
        stats = self.crawler.stats
        for item in result.items:
            item.external_id = fit_id(item.external_id)
            if item.language and len(item.language) > MAX_LANGUAGE_LENGTH:
                item.language = None  # not a language tag (models.Mention.language: String(12))
        for key, count in result.counters.items():
            stats.inc_value(key, count)
        fresh = [item for item in result.items if item.external_id not in self.known_ids]
        stats.inc_value("pages/parsed")
        yield from result.items
        if result.next_url and fresh and page < self.max_pages:
            yield scrapy.Request(result.next_url, callback=self.parse, cb_kwargs={"page": page + 1})
        elif result.next_url and result.items and not fresh:
            stats.inc_value("pages/stopped_at_known")
