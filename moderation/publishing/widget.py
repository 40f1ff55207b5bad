"""The widget a brand pastes on its site: the published reviews with their average, count and replies, products
by name, a link to the disclosure page, and schema.org JSON-LD that Google's review rich results accept.

Delivered as an HTML fragment (`/feed/BRAND.html`, `veilleur publish feed --format html`) or as a script that
writes the same fragment where it stands (`/feed/BRAND.js`, `--format js`). Neither fetches anything: the CSS is
one constant `<style>` block (a site's Content-Security-Policy allows it by its hash, `STYLE_HASH`), there are no
`style=` attributes, no images or fonts from elsewhere, and the script only inserts a string.

Google's rules (developers.google.com/search/docs/appearance/structured-data/review-snippet): every Review has
`itemReviewed` with a name, `reviewRating` with its scale, `author` as a Person with a name and `datePublished`;
an `AggregateRating` needs `ratingValue`, `ratingCount` and the scale. A brand's own reviews of itself on its own
site are "self-serving": an Organization or LocalBusiness there is never eligible for stars. So aggregates are
given for products only (by their name from `[brands.products]`); reviews of the brand itself stay marked up as
Reviews of the Organization, without any aggregate, and a product without a name is left out of the JSON-LD.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from models.ratings import rating_share
from moderation.publishing.feed import Entry, environment

if TYPE_CHECKING:
    from config.settings import Settings

STYLE = (Path(__file__).parent / "templates" / "widget.css").read_text(encoding="utf-8")
# What a Content-Security-Policy names to allow the widget's one <style> block: style-src 'sha256-...'.
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()

LABELS = {
    "fr": {
        "reviews": "Avis clients",
        "review_of": "Avis du",
        "experience": "Expérience du",
        "updated": "Modifié le",
        "verified": "Achat vérifié",
        "reply": "Réponse de",
        "product": "Produit",
        "anonymous": "Anonyme",
        "stars": "Note : {value} sur {best}",
        "average": "Note moyenne : {value} sur 5",
        "count": "{count} avis",
        "count_one": "1 avis",
        "rated": "{count} notés",
        "by_product": "Par produit",
        "disclosure": "Comment les avis sont collectés et contrôlés",
        "none": "Aucun avis publié pour l'instant.",
    },
    "en": {
        "reviews": "Customer reviews",
        "review_of": "Review of",
        "experience": "Experience of",
        "updated": "Updated on",
        "verified": "Verified purchase",
        "reply": "Reply from",
        "product": "Product",
        "anonymous": "Anonymous",
        "stars": "Rated {value} out of {best}",
        "average": "Average rating: {value} out of 5",
        "count": "{count} reviews",
        "count_one": "1 review",
        "rated": "{count} rated",
        "by_product": "By product",
        "disclosure": "How reviews are collected and checked",
        "none": "No review published yet.",
    },
}


@dataclass(frozen=True)
class Summary:
    """Average on 5 (whatever each source's scale) over the rated reviews, and how many reviews there are."""

    reviews: int
    rated: int
    average: float | None  # on 1..5, one decimal

    @classmethod
    def of(cls, entries: list[Entry]) -> Summary:
        stars = [s for s in (on_five(item) for item in entries) if s is not None]
        average = round(sum(stars) / len(stars), 1) if stars else None
        return cls(len(entries), len(stars), average)


@dataclass(frozen=True)
class Widget:
    """What the widget needs besides the reviews: from settings (`[[brands]]` name and products, the disclosure
    page's address)."""

    brand: str
    language: str = "fr"
    products: dict[str, str] = field(default_factory=dict)
    disclosure_url: str | None = None


def disclosure_url(settings: Settings, brand: str) -> str:
    """Where the widget links to the disclosure page: `[publishing] disclosure_url`, else this server's page."""
    if settings.publishing.disclosure_url:
        return settings.publishing.disclosure_url.replace("{brand}", brand)
    return f"{settings.serve.public_url.rstrip('/')}/disclosure/{brand}.html"


def brand_widget(settings: Settings, entries: list[Entry], brand: str, language: str = "fr") -> str:
    """The brand's widget as settings describe it (its name, product names, disclosure link)."""
    config = settings.brand(brand)
    return feed_html(entries, config.name, language, dict(config.products), disclosure_url(settings, brand))


def unnamed_products(settings: Settings, entries: list[Entry], brand: str) -> list[str]:
    """References the published reviews carry that `[brands.products]` does not name (shown without a product)."""
    names = settings.brand(brand).products
    return sorted({item["product"] for item in entries if item["product"] and item["product"] not in names})


def on_five(item: Entry) -> float | None:
    """A rating on 1..5 stars, from any scale (7/10 is 3.8 stars)."""
    if item["rating"] is None:
        return None
    try:
        return 1 + 4 * rating_share(item["rating"], item["rating_best"], item["rating_worst"])
    except ValueError:
        return None


def _product_id(reference: str) -> str:
    # A fragment IRI of the page the widget is on: the Product node and every review's itemReviewed merge on it.
    return "#product-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", reference).strip("-") or "x")


def json_ld(entries: list[Entry], brand: str, products: dict[str, str] | None = None) -> dict[str, Any]:
    """A @graph of Product nodes (name, brand, AggregateRating of their rated reviews) and Review nodes."""
    products = products or {}
    graph: list[dict[str, Any]] = []
    by_product: dict[str, list[Entry]] = {}
    for item in entries:
        if item["product"] and item["product"] in products:
            by_product.setdefault(item["product"], []).append(item)
    for reference, items in by_product.items():
        node: dict[str, Any] = {
            "@type": "Product",
            "@id": _product_id(reference),
            "name": products[reference],
            "sku": reference,
            "brand": {"@type": "Brand", "name": brand},
        }
        summary = Summary.of(items)
        if summary.average is not None:
            node["aggregateRating"] = {
                "@type": "AggregateRating",
                "ratingValue": summary.average,
                "ratingCount": summary.rated,
                "reviewCount": summary.reviews,
                "bestRating": 5,
                "worstRating": 1,
            }
        graph.append(node)
    for item in entries:
        if item["product"] and item["product"] not in products:
            continue  # no name to give it: Google refuses a Product without one, and a reference is no name
        reviewed = (
            {"@type": "Product", "@id": _product_id(item["product"]), "name": products[item["product"]]}
            if item["product"]
            else {"@type": "Organization", "name": brand}
        )
        graph.append(_review(item, brand, reviewed))
    return {"@context": "https://schema.org", "@graph": graph}


def _review(item: Entry, brand: str, reviewed: dict[str, Any]) -> dict[str, Any]:
    review: dict[str, Any] = {
        "@type": "Review",
        "identifier": str(item["id"]),
        "itemReviewed": reviewed,
        "author": {"@type": "Person", "name": item["author"] or "Anonyme"},
        "datePublished": item["review_date"],
        "reviewBody": item["text"],
    }
    if item["title"]:
        review["name"] = item["title"]
    if item["language"]:
        review["inLanguage"] = item["language"]
    if item["updated_at"]:
        review["dateModified"] = item["updated_at"]
    if item["rating"] is not None:
        review["reviewRating"] = {
            "@type": "Rating",
            "ratingValue": item["rating"],
            "bestRating": item["rating_best"] or 5,
            "worstRating": item["rating_worst"] or 1,
        }
    if item["reply"]:
        review["comment"] = {
            "@type": "Comment",
            "text": item["reply"]["text"],
            "dateCreated": item["reply"]["at"],
            "author": {"@type": "Organization", "name": brand},
        }
    return review


def script_json(value: Any) -> Markup:
    """JSON safe inside <script>: `</script>`, `<!--` and `&` cannot end or change the block, because < > & are
    written as \\u003c \\u003e \\u0026 (still the same JSON). U+2028/2029 too, for old JavaScript parsers."""
    text = json.dumps(value, ensure_ascii=False, indent=1)
    for character, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(character, escaped)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def feed_html(
    entries: list[Entry],
    brand: str,
    language: str = "fr",
    products: dict[str, str] | None = None,
    disclosure_url: str | None = None,
) -> str:
    """The widget as an HTML fragment: style, JSON-LD, summary, reviews. Autoescaped throughout."""
    language = "fr" if language.startswith("fr") else "en"
    products = products or {}
    labels = LABELS[language]
    named = {ref: [e for e in entries if e["product"] == ref] for ref in products}
    return environment.get_template("feed.html.j2").render(
        entries=entries,
        brand=brand,
        labels=labels,
        language=language,
        style=Markup(STYLE),
        ld=script_json(json_ld(entries, brand, products)),
        summary=Summary.of(entries),
        by_product=[(products[ref], Summary.of(items)) for ref, items in named.items() if items],
        products=products,
        disclosure_url=disclosure_url,
        day=lambda value: _day(value, language),
        number=lambda value: _number(value, language),
        stars=lambda value: _half_stars(value),
        on_five=on_five,
        count=lambda n: labels["count_one"] if n == 1 else labels["count"].format(count=n),
    )


def widget_script(html: str) -> str:
    """The fragment as a script: `<script src=".../feed/acme.js"></script>` writes it just after itself. The
    fragment is a JSON string (escaped as in script_json), inserted as HTML it already is: nothing is fetched."""
    return (
        "(function () {\n"
        "  var here = document.currentScript;\n"
        f"  var html = {script_json(html)};\n"
        "  if (here && here.parentNode) { here.insertAdjacentHTML('afterend', html); }\n"
        "})();\n"
    )


def _half_stars(value: float | None) -> int:
    """0..10: the star bar's width in half stars (a class, not a style attribute: CSP-friendly)."""
    return 0 if value is None else max(0, min(10, math.floor(value * 2 + 0.5)))


def _day(value: str | None, language: str) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%d/%m/%Y" if language == "fr" else "%Y-%m-%d")


def _number(value: float | None, language: str) -> str:
    if value is None:
        return ""
    text = f"{round(value, 1):g}"
    return text.replace(".", ",") if language == "fr" else text
