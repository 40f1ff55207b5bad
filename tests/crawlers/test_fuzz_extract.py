"""Property-based fuzzing of every source kind's extractor (issue 15): the saved pages, with fields replaced by
hostile values (huge strings, NaN, infinity, 1e308, negative numbers, objects, lists, null, booleans, control
characters, javascript: URLs), go through `crawlers.extract.extract`, the function `veilleur extract KIND`
runs. Each page gives a clear ExtractError or valid rows (ratings finite and on their scale, dates in range,
text within its limits), never another exception, and within hypothesis's per-example deadline.

Reproducible in CI: derandomize=True, 50 examples per fixture, no example database."""

from __future__ import annotations

import copy
import html
import json
import math
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlers.extract import ExtractError, extract
from crawlers.limits import (
    EARLIEST_DATE,
    LATEST_AHEAD,
    MAX_AUTHOR_LENGTH,
    MAX_ID_LENGTH,
    MAX_LANGUAGE_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    RATING_SCALE_LIMIT,
)
from tests.crawlers.conftest import NOW, REALDATA, SYNTHETIC

# (kind, saved page, how its fields are reached: "json", "html" (markup text and attributes), or "script",
# the JSON inside the page's <script> blocks)
FIXTURES = [
    ("schema_org", REALDATA / "schema_org/schemaorg-example_book_jsonld-reviews_SYNTHETIC.html", "script"),
    ("schema_org", SYNTHETIC.parent / "synthetic/boutique_microdata_fr_SYNTHETIC.html", "html"),
    ("trustpilot", REALDATA / "trustpilot/trustpilot_burgerking-fr_2024-06_fr.html", "script"),
    ("google_places", REALDATA / "google_places/places-legacy_details_fr_sacre-coeur.json", "json"),
    ("google_places", SYNTHETIC / "google_places/places-v1_cafe-acme_SYNTHETIC.json", "json"),
    ("avis_verifies", SYNTHETIC / "avis_verifies/certificate_acme_p1_SYNTHETIC.html", "html"),
    ("app_store", REALDATA / "appstore/appstore-rss_fr_xcode_mostrecent_p1.json", "json"),
    ("app_store", SYNTHETIC / "app_store/customerreviews_fr_page1_SYNTHETIC.xml", "html"),
    ("feed", REALDATA / "feeds/google-alerts_slack.atom.xml", "html"),
    ("mastodon", REALDATA / "mastodon/mastodon_tag-timeline_mastodon_2017.json", "json"),
    ("hackernews", REALDATA / "hackernews/hn-algolia_search_by-url.json", "json"),
    ("reddit", REALDATA / "reddit/reddit_search_praw-oauth-search.json", "json"),
    ("reddit", SYNTHETIC / "reddit/search_acme_SYNTHETIC.rss", "html"),
    ("youtube", REALDATA / "youtube/youtube_commentThreads_by-video_page1.json", "json"),
    ("survey", SYNTHETIC / "survey/export_en_SYNTHETIC.json", "json"),
]

HUGE = "2024-06-01 " + "x" * 1_000_000
HOSTILE: list[Any] = [
    HUGE,
    "9" * 5000,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1e308,
    -1,
    -(10**30),
    10**30,
    0,
    {"a": {"b": [1, {"c": None}]}},
    {"@type": "Rating", "ratingValue": "inf", "bestRating": "nan"},
    [1, "2", [3]],
    [],
    {},
    None,
    True,
    False,
    "",
    "\x00\x01\x1f\x7f\u2028 control",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "inf",
    "NaN",
    "1e400",
    "-5",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01",
    "il y a 99999999 ans",
    "1989-12-31",
    "2999-01-01",
    "\ud83d\ude00 " * 50,
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node[:30]):
            found += _paths(child, (*path, index))
    return found


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> None:
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def mutate_json(data: Any, choices: list[tuple[int, Any]]) -> Any:
    data = json.loads(json.dumps(data))
    for index, value in choices:
        paths = _paths(data)  # again after each change: a replaced object takes its children with it
        if paths:
            try:
                _replace(data, paths[index % len(paths)], copy.deepcopy(value))
            except (KeyError, IndexError, TypeError):
                pass
    return data


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


MARKUP_TEXT = re.compile(r'(>)([^<>]+)(<)|(=")([^"]*)(")')


def mutate_markup(text: str, choices: list[tuple[int, Any]]) -> str:
    spans = [match.span() for match in MARKUP_TEXT.finditer(text)][:400]
    picked = {spans[index % len(spans)]: value for index, value in choices} if spans else {}
    for (start, end), value in sorted(picked.items(), reverse=True):
        match = MARKUP_TEXT.match(text, start, end)
        assert match is not None
        opening = match.group(1) or match.group(4)
        closing = match.group(3) or match.group(6)
        text = text[:start] + opening + html.escape(_as_text(value)) + closing + text[end:]
    return text


SCRIPT = re.compile(r"(<script[^>]*>)(.*?)(</script>)", re.S)


def mutate_scripts(text: str, choices: list[tuple[int, Any]]) -> str:
    def one(match: re.Match[str]) -> str:
        try:
            data = json.loads(match.group(2))
        except ValueError:
            return match.group(0)
        body = json.dumps(mutate_json(data, choices)).replace("</", "<\\/")
        return match.group(1) + body + match.group(3)

    return SCRIPT.sub(one, text)


def hostile_body(path: Path, how: str, choices: list[tuple[int, Any]]) -> bytes:
    text = path.read_text(encoding="utf-8")
    if how == "json":
        return json.dumps(mutate_json(json.loads(text), choices)).encode()
    if how == "script":
        return mutate_scripts(text, choices).encode()
    return mutate_markup(text, choices).encode("utf-8", errors="surrogatepass")


def check_row(row: dict[str, Any]) -> None:
    numbers = [row["rating"], row["best_rating"], row["rating_normalised"]]
    assert all(number is None or (isinstance(number, float) and math.isfinite(number)) for number in numbers), row
    if row["rating"] is not None:
        assert row["best_rating"] is not None and abs(row["best_rating"]) <= RATING_SCALE_LIMIT
        assert row["rating"] <= row["best_rating"]
        assert 0.0 <= row["rating_normalised"] <= 1.0
    for name in ("published_at", "experienced_at"):
        if row[name] is not None:
            assert EARLIEST_DATE <= datetime.fromisoformat(row[name]) <= NOW + LATEST_AHEAD, row[name]
    limits = {"text": MAX_TEXT_LENGTH, "title": MAX_TITLE_LENGTH, "author": MAX_AUTHOR_LENGTH}
    for name, limit in {**limits, "reply": MAX_TEXT_LENGTH, "language": MAX_LANGUAGE_LENGTH}.items():
        assert row[name] is None or (isinstance(row[name], str) and len(row[name]) <= limit), (name, row[name])
    assert isinstance(row["text"], str)
    external_id = row["external_id"]
    assert external_id is None or (isinstance(external_id, str) and len(external_id) <= MAX_ID_LENGTH)


CHOICES = st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), st.sampled_from(HOSTILE)), max_size=6)


@pytest.mark.parametrize(
    ("kind", "path", "how"), FIXTURES, ids=[f"{kind}-{path.suffix[1:]}" for kind, path, _ in FIXTURES]
)
def test_an_extractor_gives_a_clear_error_or_valid_rows(kind: str, path: Path, how: str, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp(kind)
    page = folder / path.name

    # A generous deadline per page: the 1 MB date took dateparser 54-99 s before it was refused by its length.
    @settings(
        max_examples=50,
        derandomize=True,
        database=None,
        deadline=timedelta(seconds=5),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(choices=CHOICES)
    def extractor(choices: list[tuple[int, Any]]) -> None:
        page.write_bytes(hostile_body(path, how, choices))
        try:
            rows = extract(kind, str(page), now=NOW)
        except ExtractError as error:
            assert "Traceback" not in str(error)
            return
        for row in rows:
            check_row(row)

    extractor()
