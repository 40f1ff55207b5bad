"""`veilleur extract KIND PATH_OR_URL`: what a source kind makes of one saved page or one URL, before the
operator schedules it. Runs the kind's own parser and the pipelines' clean-up; stores nothing."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawlers.items import MentionItem
from crawlers.normalise import finish
from crawlers.parsing.page import NotRecognised, fit_keys, read_page

USER_AGENT = "Veilleur-extract/0.1 (checking one page by hand; +https://github.com/veilleur)"
FIELDS = {
    "author": "author",
    "rating": "rating",
    "best_rating": "rating_best",
    "published_at": "published_at",
    "experienced_at": "experienced_at",
    "title": "title",
    "text": "text",
    "reply": "reply_text",
    "url": "url",
    "language": "language",
}


class ExtractError(Exception):
    """The page could not be read or is not what this kind expects; the message says why."""


def extract(kind: str, path_or_url: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """One dict per review/mention on the page (FIELDS plus kind and external_id), dates as ISO text.
    Raises ExtractError for an unknown kind, an unreadable file or URL, or a page the kind does not read."""
    read = _reader(kind)
    response = _response(path_or_url)
    try:
        items = read(response)
    except NotRecognised as error:
        raise ExtractError(f"{response.url}: {error}") from None
    except ExtractError:
        raise
    except Exception as error:  # a hostile page: say what broke, as the crawl would
        raise ExtractError(f"{response.url}: {type(error).__name__}: {error}") from None
    now = now or datetime.now(UTC)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        fit_keys(item)
        if item.external_id is not None and item.external_id in seen:
            continue  # shown twice on the page: the crawl stores it once too
        seen.add(item.external_id or "")
        try:
            finish(item, now)
        except ValueError as error:
            raise ExtractError(f"{item.url}: review by {item.author!r}: {error}") from None
        row = {name: _plain(getattr(item, attribute)) for name, attribute in FIELDS.items()}
        row.update(kind=item.kind, external_id=item.external_id, rating_normalised=item.extra.get("rating_normalised"))
        if item.order_ref:
            row.update(order_ref=item.order_ref, consent=item.consent)
        out.append(row)
    return out


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _response(path_or_url: str) -> scrapy.http.Response:
    if path_or_url.startswith(("http://", "https://")):
        request = urllib.request.Request(path_or_url, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (http(s) only, checked above)
                body, headers, url = answer.read(), dict(answer.headers), answer.geturl()
        except OSError as error:
            raise ExtractError(f"{path_or_url}: {error}") from None
    else:
        path = Path(path_or_url.removeprefix("file://"))
        try:
            body = path.read_bytes()
        except OSError as error:
            raise ExtractError(f"{path}: {error.strerror}") from None
        headers, url = {}, path.resolve().as_uri()
    cls = responsetypes.from_args(headers=Headers(headers), url=url, body=body)
    if issubclass(cls, scrapy.http.TextResponse):
        return cls(url=url, body=body, headers=Headers(headers), encoding=None if headers else "utf-8")
    return cls(url=url, body=body, headers=Headers(headers))


@lru_cache(maxsize=1)
def _spiders() -> SpiderLoader:
    # Building it means Scrapy's default settings plus a walk of every spider module: a few ms, more than most
    # pages take to read, so one per process (bench.parsing reads pages in a loop, as a batch of extracts would).
    return SpiderLoader(Settings({"SPIDER_MODULES": ["crawlers.spiders"]}))


def _reader(kind: str) -> Callable[[scrapy.http.Response], list[MentionItem]]:
    if kind == "schema_org":
        return _schema_org
    loader = _spiders()
    try:
        spider = loader.load(kind)
    except KeyError:
        raise ExtractError(f"unknown source kind {kind!r} (known: {', '.join(sorted(loader.list()))})") from None
    return lambda response: read_page(spider.read, response).items  # type: ignore[attr-defined]


def _schema_org(response: scrapy.http.Response) -> list[MentionItem]:
    from crawlers.spiders.schema_org import review_item, schema_reviews

    try:
        text = response.text if isinstance(response, scrapy.http.TextResponse) else response.body.decode()
        found = schema_reviews(text, response.url)
    except Exception as error:  # extruct raises whatever its parsers raise on broken markup
        raise ExtractError(f"{response.url}: structured data unreadable: {type(error).__name__}: {error}") from None
    if not found:
        raise ExtractError(f"{response.url}: no schema.org Review on the page")
    return [review_item(review, reviewed, response.url) for review, reviewed in found]
