"""The brand query: folding (case, accents, ligatures), phrases, prefixes, near, none, and settings errors that
name the brand and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.brand_query import BrandQuery, Term, fold, parse_near
from config.settings import SettingsError, load_settings
from tests.conftest import write_settings


def query(**keys: list) -> BrandQuery:  # type: ignore[type-arg]
    return BrandQuery(
        tuple(Term.parse(t) for t in keys.get("any", [])),
        tuple(Term.parse(t) for t in keys.get("all", [])),
        tuple(Term.parse(t) for t in keys.get("none", [])),
        tuple(parse_near(n) for n in keys.get("near", [])),
    )


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Démo", "demo"), ("ÉLÈVE", "eleve"), ("Cœur", "coeur"), ("Straße", "strasse"), ("Ça", "ca")],
)
def test_fold_drops_case_accents_and_ligatures(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("keys", "text", "passes"),
    [
        ({"any": ["démo"]}, "Livraison DEMO en retard", True),
        ({"any": ["Demo"]}, "La démonstration était longue", False),  # a word, not a piece of one
        ({"any": ["burger king"]}, "J'adore Burger-King !", True),  # a phrase: punctuation splits words
        ({"any": ["burger king"]}, "un burger au King's Arms", False),
        ({"any": ['"burger king"']}, "BURGER KING Nation", True),  # quotes are allowed around a phrase
        ({"any": ["factur*"]}, "La facturation est fausse", True),
        ({"any": ["factur*"]}, "Le facteur est passé", False),
        ({"any": ["slack"], "none": ["slack adjuster", "police"]}, "Automotive Slack Adjuster market", False),
        ({"any": ["slack"], "none": ["police"]}, "Slack shares fall", True),
        ({"any": ["orange"], "all": ["box"]}, "Ma box Orange ne marche plus", True),
        ({"any": ["orange"], "all": ["box"]}, "Une orange pressée", False),
        ({"near": [["orange", "fibre", 3]]}, "Orange installe enfin la fibre", True),
        ({"near": [["orange", "fibre", 3]]}, "Orange pressée ce matin, et le soir problème de fibre", False),
        ({"any": ["œuf"]}, "un oeuf", True),
        ({"any": ["freebox"], "near": [["free", "mobile", 1]]}, "Free Mobile coupe le réseau", True),
        ({"any": ["freebox"], "near": [["free", "mobile", 1]]}, "free shipping on mobile phones", False),
    ],
)
def test_query(keys: dict, text: str, passes: bool) -> None:  # type: ignore[type-arg]
    assert query(**keys).matches(text) is passes


def test_explain_says_which_part_failed() -> None:
    q = query(any=["slack"], all=["app"], none=["police"])
    assert q.explain("nothing here") == "query: none of slack"
    assert q.explain("slack is fine") == "query: lacks app"
    assert q.explain("slack app and the police") == "query: excluded by police"
    assert q.explain("the slack app") is None


def settings_with(tmp_path: Path, query_toml: str) -> Path:
    body = f"""
[[brands]]
slug = "shop"
name = "Shop"

[brands.query]
{query_toml}

[[brands.sources]]
name = "alerts"
kind = "feed"
urls = ["https://example.org/feed.xml"]
"""
    return write_settings(tmp_path, "sqlite:///" + str(tmp_path / "v.db"), body)


def test_a_valid_query_loads(tmp_path: Path) -> None:
    settings = load_settings(
        settings_with(tmp_path, 'any = ["shop"]\nnone = ["workshop"]\nnear = [["shop", "app", 4]]')
    )
    compiled = settings.brands[0].query.compiled()  # type: ignore[union-attr]
    assert compiled.matches("The Shop app crashed")


@pytest.mark.parametrize(
    ("query_toml", "key", "says"),
    [
        ('any = ["shop", "  "]', "brands[shop].query.any[#2]", "holds no word"),
        ('any = ["sh*op"]', "brands[shop].query.any[#1]", "may only end the last word"),
        ('any = ["shop"]\nnear = [["shop", "app"]]', "brands[shop].query.near[#1]", '["word or phrase"'),
        ('any = ["shop"]\nnear = [["shop", "app", 0]]', "brands[shop].query.near[#1]", "1 to 50"),
        ('none = ["workshop"]', "brands[shop].query", "needs `any`, `all` or `near`"),
        ('anyof = ["shop"]', "brands[shop].query.anyof", "unknown key"),
    ],
)
def test_a_broken_query_is_refused_naming_the_brand_and_key(
    tmp_path: Path, query_toml: str, key: str, says: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(settings_with(tmp_path, query_toml))
    line = next(line for line in str(error.value).splitlines() if key in line)
    assert says in line


@given(
    st.lists(st.sampled_from(["burger", "king", "burgers", "a", "b"]), max_size=30),
    st.sampled_from([("burger", "king"), ("king", "burger"), ("burger king", "king"), ("burg*", "b"), ("a", "a")]),
    st.integers(min_value=1, max_value=5),
)
def test_near_finds_what_every_pair_of_places_finds(tokens, terms, within) -> None:
    near = parse_near([*terms, within])
    every_pair = any(
        near._gap(a, b) <= near.within for a in near.first.positions(tokens) for b in near.second.positions(tokens)
    )
    assert near.matches(tokens) == every_pair


def test_near_looks_at_the_nearest_places_only_not_every_pair(monkeypatch) -> None:
    # One hostile post of 500,000 characters, "burger" x 7,000 then "king" x 7,000: every pair (49 million) was
    # tried, minutes of CPU in the relevance filter. Now two candidates per place of the first term.
    from config.brand_query import Near

    calls = 0
    gap = Near._gap

    def counted(self, a: int, b: int) -> int:  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return gap(self, a, b)

    monkeypatch.setattr(Near, "_gap", counted)
    text = "burger " * 7000 + "padding " * 10 + "king " * 7000
    assert not query(near=[["burger", "king", 3]]).matches(text)
    assert calls <= 2 * 7000
    assert query(near=[["burger", "king", 3]]).matches(text + " burger king")
