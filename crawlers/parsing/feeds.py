"""RSS 2.0, RSS 1.0 (RDF) and Atom entries as plain dicts, with lxml (no network, no entity expansion)."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from crawlers.parsing.page import NotRecognised

ATOM = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


@dataclass
class Entry:
    id: str | None
    title: str | None
    link: str | None
    summary: str | None
    published: str | None
    updated: str | None
    author: str | None
    author_uri: str | None
    language: str | None


def parse_feed(body: bytes) -> list[Entry]:
    """Entries of an RSS or Atom document. Raises NotRecognised when the body is not a feed at all."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise NotRecognised(f"not XML: {error}") from None
    if root is None:
        raise NotRecognised("not XML: nothing readable in the body")
    name = etree.QName(root)
    if name.localname == "feed" and name.namespace == ATOM:
        language = root.get("{http://www.w3.org/XML/1998/namespace}lang")
        return [_atom(entry, language) for entry in root.iterfind(f"{{{ATOM}}}entry")]
    if name.localname == "rss":
        channel = root.find("channel")
        language = _text(channel, "language") if channel is not None else None
        return [_rss(item, language) for item in root.iter("item")]
    if name.localname == "RDF":
        return [_rss(item, None, RSS1) for item in root.iterfind(f"{{{RSS1}}}item")]
    raise NotRecognised(f"not an RSS or Atom feed (root element <{name.localname}>)")


def _text(node: etree._Element, path: str) -> str | None:
    found = node.find(path)
    if found is None:
        return None
    text = "".join(found.itertext()).strip()
    return text or None


def _atom(entry: etree._Element, language: str | None) -> Entry:
    links = entry.findall(f"{{{ATOM}}}link")
    alternate = [link.get("href") for link in links if link.get("rel", "alternate") == "alternate"]
    return Entry(
        id=_text(entry, f"{{{ATOM}}}id"),
        title=_text(entry, f"{{{ATOM}}}title"),
        link=(alternate or [link.get("href") for link in links] or [None])[0],
        summary=_text(entry, f"{{{ATOM}}}content") or _text(entry, f"{{{ATOM}}}summary"),
        published=_text(entry, f"{{{ATOM}}}published") or _text(entry, f"{{{ATOM}}}updated"),
        updated=_text(entry, f"{{{ATOM}}}updated"),
        author=_text(entry, f"{{{ATOM}}}author/{{{ATOM}}}name"),
        author_uri=_text(entry, f"{{{ATOM}}}author/{{{ATOM}}}uri"),
        language=entry.get("{http://www.w3.org/XML/1998/namespace}lang") or language,
    )


def _rss(item: etree._Element, language: str | None, ns: str = "") -> Entry:
    prefix = f"{{{ns}}}" if ns else ""
    published = _text(item, "pubDate") or _text(item, f"{{{DC}}}date")
    return Entry(
        id=_text(item, "guid")
        or _text(item, f"{prefix}link")
        or item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"),
        title=_text(item, f"{prefix}title"),
        link=_text(item, f"{prefix}link"),
        summary=_text(item, f"{{{CONTENT}}}encoded") or _text(item, f"{prefix}description"),
        published=rfc822(published),
        updated=None,
        author=_text(item, "author") or _text(item, f"{{{DC}}}creator"),
        author_uri=None,
        language=language,
    )


def rfc822(value: str | None) -> str | None:
    """'Tue, 10 Jun 2003 04:00:00 GMT' -> ISO 8601 (other forms are left to the date normaliser)."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError):
        return value


def unwrap(url: str | None) -> str | None:
    """Google Alerts and other redirectors: https://www.google.com/url?...&url=<target> -> <target>."""
    if not url:
        return url
    parts = urlsplit(url)
    if (parts.hostname or "").split(".")[-2:-1] == ["google"] and parts.path == "/url":
        params = dict(parse_qsl(parts.query))
        return params.get("url") or params.get("q") or url
    return url
