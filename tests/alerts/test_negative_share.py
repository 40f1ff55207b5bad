"""The negative-share test, weighted by reach (alerts/negative_share.py): unweighted it is the plain
two-proportion z-test; a few negative posts seen by many weigh more than many seen by nobody."""

from __future__ import annotations

import math

import pytest

from alerts.negative_share import Shares, negative_share_rise, weight


def shares(*groups: tuple[str, int | None, int]) -> Shares:
    counted = Shares()
    for sentiment, reach, n in groups:
        counted.add(sentiment, reach, n)
    return counted


def test_without_reach_it_is_the_plain_two_proportion_test() -> None:
    recent = shares(("negative", None, 12), ("positive", None, 8))
    past = shares(("negative", 0, 20), ("neutral", 0, 180))
    rise = negative_share_rise(recent, past)
    pooled = 32 / 220
    z = (12 / 20 - 20 / 200) / math.sqrt(pooled * (1 - pooled) * (1 / 20 + 1 / 200))
    assert rise is not None and rise.z == pytest.approx(z) and not rise.weighted
    assert rise.recent_share == pytest.approx(0.6) and rise.baseline_share == pytest.approx(0.1)
    assert "weighted" not in rise.describe()


def test_a_few_negative_posts_with_a_wide_reach_raise_the_share() -> None:
    recent = shares(("negative", 100_000, 3), ("positive", 0, 9))  # 3 of 12, but seen by many
    past = shares(("negative", 0, 20), ("positive", 0, 180))
    assert weight(100_000) == pytest.approx(6.0) and weight(None) == weight(0) == 1.0
    unweighted = negative_share_rise(shares(("negative", None, 3), ("positive", None, 9)), past)
    weighted = negative_share_rise(recent, past)
    assert unweighted is None  # 25 % against 10 %: z about 1.6
    assert weighted is not None and weighted.recent_share == pytest.approx(18 / 27) and weighted.z > 3
    assert "of 12 recent mentions, weighted by reach" in weighted.describe()


def test_one_celebrity_post_alone_does_not_make_a_crisis() -> None:
    # The effective sample shrinks as one weight dominates: a single huge post cannot carry the test.
    recent = shares(("negative", 10_000_000, 1), ("positive", 0, 11))
    past = shares(("negative", 0, 20), ("positive", 0, 180))
    assert negative_share_rise(recent, past) is None


def test_too_few_mentions_say_nothing_whatever_their_reach() -> None:
    recent = shares(("negative", 10**6, 5), ("positive", 0, 4))  # 9 mentions, under min_total 10
    assert negative_share_rise(recent, shares(("positive", 0, 200))) is None
