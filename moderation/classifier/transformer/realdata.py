"""Real reviews with their star rating, read from the saved pages in tests/fixtures/realdata, for evaluation.

A deliberately small reader (JSON, JSON-LD and one HTML layout) so the evaluation does not depend on the
crawlers package. Synthetic pages are skipped: only reviews real people wrote count here.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "realdata"


def polarity(stars: float) -> str:
    """1-2 negative, 3 neutral, 4-5 positive."""
    return "negative" if stars < 3 else "neutral" if stars < 4 else "positive"


def _trustpilot(text: str) -> Iterator[tuple[str, float]]:
    match = re.search(r'<script id="__NEXT_DATA__"[^>]*>(.*?)</script>', text, re.S)
    if match:
        for review in json.loads(match.group(1))["props"]["pageProps"]["reviews"]:
            yield review["text"], float(review["rating"])


def _google_places(text: str) -> Iterator[tuple[str, float]]:
    data = json.loads(text)
    for review in (data.get("result") or {}).get("reviews", []):
        if review.get("text"):
            yield review["text"], float(review["rating"])


def _appstore(text: str) -> Iterator[tuple[str, float]]:
    for entry in json.loads(text)["feed"].get("entry", []):
        if "im:rating" in entry:
            # The title is written by the reviewer too ("Superbe application..."): it belongs to the review.
            yield f"{entry['title']['label']}\n{entry['content']['label']}", float(entry["im:rating"]["label"])


def _cuisineaz(text: str) -> Iterator[tuple[str, float]]:
    for block in re.findall(r'<div class="comment "(.*?)<div class="author">', text, re.S):
        body = re.search(r'<p class="serif-secondary">(.*?)</p>', block, re.S)
        if body:
            yield " ".join(html.unescape(body.group(1)).split()), float(block.count('class="icon-star"'))


def _jsonld(text: str) -> Iterator[tuple[str, float]]:
    for script in re.findall(r"<script[^>]*application/ld\+json[^>]*>(.*?)</script>", text, re.S):
        try:
            yield from _reviews_in(json.loads(script))
        except json.JSONDecodeError:
            continue


def _reviews_in(node: object) -> Iterator[tuple[str, float]]:
    if isinstance(node, list):
        for item in node:
            yield from _reviews_in(item)
    elif isinstance(node, dict):
        if node.get("@type") == "Review" and node.get("reviewBody"):
            rating = node.get("reviewRating")
            value = rating.get("ratingValue") if isinstance(rating, dict) else rating
            if value is not None:
                yield str(node["reviewBody"]), float(value)
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _reviews_in(value)


_READERS = {"trustpilot": _trustpilot, "google_places": _google_places, "appstore": _appstore,
            "french_reviews": _cuisineaz, "schema_org": _jsonld}  # fmt: skip


def real_reviews(folder: Path = DEFAULT_DIR) -> list[tuple[str, str, float]]:
    """(source folder, text, stars) for every real review in the saved pages that carries a rating."""
    out = []
    for kind, reader in _READERS.items():
        for path in sorted((folder / kind).glob("*")):
            if path.name.endswith(".expected.json") or "SYNTHETIC" in path.name:
                continue
            out += [(kind, text, stars) for text, stars in reader(path.read_text(encoding="utf-8")) if text.strip()]
    return out
