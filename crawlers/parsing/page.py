"""What a site parser makes of one page, and the spider base that turns it into items and paging.

A site spider is mostly one pure function, `read(response) -> Page`: the same function serves the crawl,
the parse tests and `veilleur extract`. Everything a page can get wrong (broken markup, invalid UTF-8, a
changed layout, absurdly nested JSON) becomes a `NotRecognised` error for that page only: the page is
counted in `pages/unrecognised` (the source turns unhealthy) and the crawl goes on with the next page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy

from crawlers.items import MentionItem
from crawlers.limits import MAX_ID_LENGTH
from crawlers.spiders.base import VeilleurSpider


class NotRecognised(ValueError):
    """This page is not what the spider expects (layout changed, error page, broken body)."""


# What reading one entry of a page raises when a field has the wrong type: a string where an object was
# expected (`.get` on a str), a list where a number was, a missing key, a value that is not what it says.
UNREADABLE = (TypeError, AttributeError, KeyError, IndexError, ValueError)


@dataclass
class Page:
    items: list[MentionItem] = field(default_factory=list)
    next_url: str | None = None
    # Data-quality counters for the crawl stats, e.g. {"app_store/published_at/absent_in_feed": 50}.
    counters: dict[str, int] = field(default_factory=dict)
    # Why each entry that could not be read was skipped (counted in `items/unreadable`).
    problems: list[str] = field(default_factory=list)

    def add(self, read_entry: Callable[..., MentionItem], *entry: Any) -> None:
        """The item `read_entry(*entry)` gives; an entry it cannot read (a hostile or malformed one) costs that
        entry only: it is counted and its reason kept, and the rest of the page is read."""
        try:
            self.items.append(read_entry(*entry))
        except UNREADABLE as error:
            self.counters["items/unreadable"] = self.counters.get("items/unreadable", 0) + 1
            self.problems.append(describe(error))


def read_page(read: Callable[[scrapy.http.Response], Page], response: scrapy.http.Response) -> Page:
    """`read(response)`, and NotRecognised when the page had entries and none could be read: that is a changed
    layout or an error page, not a few hostile entries, and the source must turn unhealthy."""
    page = read(response)
    if page.problems and not page.items:
        raise NotRecognised(f"no entry on the page could be read ({len(page.problems)}): {page.problems[0]}")
    return page


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


def fit_id(external_id: Any) -> str | None:
    """A site id as stored: text, an integer as its digits (JSON APIs give either); a long one (a feed entry
    identified by a long URL) becomes its hash, stably. Anything else (an object, a list, a boolean) is None."""
    external_id = as_key(external_id)
    if external_id is None or len(external_id) <= MAX_ID_LENGTH:
        return external_id
    return "sha256:" + hashlib.sha256(external_id.encode("utf-8")).hexdigest()


def as_key(value: Any) -> str | None:
    """An id or key from outside as text: a string as is, an integer as its digits, anything else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def fit_keys(item: MentionItem) -> bool:
    """The item's site id and author key as text (`fit_id`, `as_key`), in place; False when the page gave an
    id that is not one (the dedupe pipeline then derives a content id, as for a site without ids)."""
    given = item.external_id
    item.external_id = fit_id(given)
    item.author_id = as_key(item.author_id)
    return item.external_id is not None or given in (None, "")


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
            result = read_page(self.read, response)
        except Exception as error:  # a hostile or changed page must cost that page, not the crawl
            self.unrecognised(response, describe(error))
            return
        stats = self.crawler.stats
        for item in result.items:
            if not fit_keys(item):
                stats.inc_value("mentions/external_id/invalid")
        for key, count in result.counters.items():
            stats.inc_value(key, count)
        for problem in result.problems:
            self.logger.warning("source %s: %s: an entry skipped: %s", self.source_name, response.url, problem)
        fresh = [item for item in result.items if item.external_id not in self.known_ids]
        stats.inc_value("pages/parsed")
        yield from result.items
        if result.next_url and fresh and page < self.max_pages:
            yield scrapy.Request(result.next_url, callback=self.parse, cb_kwargs={"page": page + 1})
        elif result.next_url and result.items and not fresh:
            stats.inc_value("pages/stopped_at_known")
