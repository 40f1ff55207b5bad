"""Apple App Store customer-review feeds, JSON and XML flavours:
`https://itunes.apple.com/{cc}/rss/customerreviews/page=N/id=APP/sortby=mostrecent/{json|xml}`.

JSON values come wrapped as {"label": ...}. Recent JSON feeds carry no date per review: the reviews are
kept without one and the crawl stats say so (`app_store/published_at/absent_in_feed`)."""

from __future__ import annotations

import re
from typing import Any

import scrapy
from lxml import etree

from crawlers.items import MentionItem
from crawlers.parsing.feeds import ATOM
from crawlers.parsing.page import NotRecognised, Page, PagedSpider, body_text, dig, load_json

IM = "http://itunes.apple.com/rss"
PAGE = re.compile(r"/page=(\d+)/")
STOREFRONT = re.compile(r"(?:[?&]cc=|\.com/)([a-z]{2})(?:[/&]|$)")


def read(response: scrapy.http.Response) -> Page:
    if body_text(response).lstrip()[:1] == "<":
        page = _xml(response)
    else:
        page = _json(response)
    missing = sum(1 for item in page.items if item.published_at is None)
    if missing:
        page.counters["app_store/published_at/absent_in_feed"] = missing
    storefront = STOREFRONT.search(response.url)
    for item in page.items:
        item.extra["storefront"] = storefront.group(1) if storefront else None
    return page


def _label(node: Any, *path: str) -> Any:
    return dig(node, *path, "label")


def _json(response: scrapy.http.Response) -> Page:
    feed = load_json(response)
    if not isinstance(feed, dict) or not isinstance(feed.get("feed"), dict):
        raise NotRecognised("not an App Store review feed (no 'feed' object)")
    entries = feed["feed"].get("entry", [])
    entries = [entries] if isinstance(entries, dict) else entries  # one review comes as an object
    page = Page()
    for entry in entries:
        if _label(entry, "im:rating") is None:
            continue  # older feeds open with the app's own entry, which is not a review
        page.items.append(
            MentionItem(
                url=response.url,
                kind="review",
                external_id=_label(entry, "id"),
                author=_label(entry, "author", "name"),
                author_id=_label(entry, "author", "uri"),
                title=_label(entry, "title"),
                text=_label(entry, "content") or "",
                rating=_label(entry, "im:rating"),
                rating_best=5,
                rating_worst=1,
                published_at=_label(entry, "updated"),
                extra={"app_version": _label(entry, "im:version"), "votes": _label(entry, "im:voteCount")},
            )
        )
    links = feed["feed"].get("link", [])
    page.next_url = _next(
        response.url, [dig(link, "attributes", "href") for link in links if dig(link, "attributes", "rel") == "last"]
    )
    return page


def _xml(response: scrapy.http.Response) -> Page:
    try:
        root = etree.fromstring(response.body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise NotRecognised(f"App Store XML feed unreadable: {error}") from None
    if etree.QName(root).localname != "feed":
        raise NotRecognised(f"not an App Store review feed (root <{etree.QName(root).localname}>)")
    ns = {"a": ATOM, "im": IM}
    page = Page()
    for entry in root.iterfind("a:entry", ns):
        if entry.find("im:rating", ns) is None:
            continue
        text = entry.find("a:content[@type='text']", ns)
        text = entry.find("a:content", ns) if text is None else text
        page.items.append(
            MentionItem(
                url=response.url,
                kind="review",
                external_id=entry.findtext("a:id", namespaces=ns),
                author=entry.findtext("a:author/a:name", namespaces=ns),
                author_id=entry.findtext("a:author/a:uri", namespaces=ns),
                title=entry.findtext("a:title", namespaces=ns),
                text="".join(text.itertext()) if text is not None else "",
                rating=entry.findtext("im:rating", namespaces=ns),
                rating_best=5,
                rating_worst=1,
                published_at=entry.findtext("a:updated", namespaces=ns),
                extra={"app_version": entry.findtext("im:version", namespaces=ns)},
            )
        )
    last = [link.get("href") for link in root.iterfind("a:link[@rel='last']", ns)]
    page.next_url = _next(response.url, last)
    return page


def _next(url: str, last_links: list[Any]) -> str | None:
    """page=N+1 in the same URL (Apple's own next links switch to the XML flavour) while N < last page."""
    current = PAGE.search(url)
    last = PAGE.search(str(last_links[0])) if last_links else None
    if current and last and int(current.group(1)) < int(last.group(1)):
        return PAGE.sub(f"/page={int(current.group(1)) + 1}/", url, count=1)
    return None


class AppStoreSpider(PagedSpider):
    name = "app_store"
    read = staticmethod(read)
