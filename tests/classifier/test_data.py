"""Training data plumbing: corrections, held-out hand-written set, real reviews reader."""

from __future__ import annotations

import pytest

from moderation.classifier.transformer import data, realdata


def test_corrections_become_examples_for_one_head() -> None:
    examples = data.from_corrections([("nul", "sentiment", "negative"), ("promo !!!", "spam", 1), ("ok", "stars", 3)])
    assert [(e.sentiment, e.spam, e.stars) for e in examples] == [(0, None, None), (None, 1, None), (None, None, 3)]
    with pytest.raises(ValueError, match="unknown task"):
        data.from_corrections([("x", "troll", 1)])


def test_held_out_hand_examples_are_not_in_training_file() -> None:
    train = {e.text for e in data.read_hand(data.HAND_TRAIN)}
    test = data.read_hand(data.HAND_TEST)
    assert test and not train & {e.text for e in test}
    coarse = [e for e in data.read_hand(data.HAND_TRAIN) if e.source == "hand:coarse_complaint"]
    assert len(coarse) >= 80 and all(e.toxic == 0 and e.sentiment == 0 for e in coarse)


def test_split_is_stable() -> None:
    assert data.split(list(range(100)), 0.25) == data.split(list(range(100)), 0.25)


def test_real_reviews_have_text_and_stars() -> None:
    reviews = realdata.real_reviews()
    kinds = {kind for kind, _, _ in reviews}
    assert {"trustpilot", "google_places", "appstore", "french_reviews", "schema_org"} <= kinds
    assert all(1 <= stars <= 5 and text.strip() for _, text, stars in reviews)
    assert [realdata.polarity(s) for s in (1, 2, 3, 4, 5)] == ["negative"] * 2 + ["neutral"] + ["positive"] * 2
