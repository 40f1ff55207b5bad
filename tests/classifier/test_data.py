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


def test_sentiment_score_counts_positive_read_as_negative() -> None:
    from moderation.classifier.base import Prediction
    from moderation.classifier.transformer.evaluate import score

    def said(polarity: str) -> Prediction:
        return Prediction({s: float(s == polarity) for s in ("negative", "neutral", "positive")}, 3.0, 0.0, 0.0)

    labels = ["positive", "positive", "positive", "positive", "negative"]
    guesses = [said("negative"), said("positive"), said("neutral"), said("positive"), said("negative")]
    assert score("sentiment", labels, guesses, 0.5)["pos_as_neg"] == 0.25
    assert "pos_as_neg" not in score("sentiment", ["negative"], [said("negative")], 0.5)


def test_review_stars_examples_come_from_the_train_split_with_their_stars(tmp_path) -> None:
    import json
    import random

    folder = tmp_path / "reviews_stars"
    folder.mkdir()
    rows = [{"text": f"review number {i} about the shop", "stars": 1 + i % 5, "lang": "en"} for i in range(200)]
    (folder / "en_some_shop.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    split = {text: part for text, _, _, _, part in data.reviews_stars(tmp_path)}
    examples = data.review_stars_examples(tmp_path, random.Random(0))
    assert examples and all(split[e.text] == "train" for e in examples)  # never the dev split
    for example in examples:
        stars = int(example.text.split()[2]) % 5 + 1
        assert example.stars == stars and example.sentiment == ("negative", "neutral", "positive").index(
            realdata.polarity(stars)
        )
        assert (example.toxic, example.spam, example.language) == (0, 0, "en")
    assert len(data.review_stars_examples(tmp_path, random.Random(0), scale=0.1)) == 40
