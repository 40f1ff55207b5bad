"""The level test tried for issue 24 (bench/crisis_tries.py, not shipped) does what it was meant to on synthetic
series, so that its failure on NAB realTweets (README) is a finding, not a bug."""

from __future__ import annotations

import math

from alerts.crisis import CrisisSettings
from alerts.crisis_eval import readings
from bench.crisis_tries import cusum, robust_z
from tests.alerts.test_crisis import quiet_series

DAY = 288


def level_alerts(counts, times):
    seen = readings(times, counts, CrisisSettings())
    zs = robust_z([math.log((r.observed + 1) / (r.expected + 1)) for _, r in seen], 6, 7 * 48)
    return cusum(seen, zs, k=1.0, h=8.0)


def test_a_sustained_rise_of_1_8x_over_six_hours_is_found_within_it():
    times, counts = quiet_series(days=14, seed=11)
    start = 10 * DAY + 10 * 12  # day 10, 10:00
    risen = [round(c * 1.8) if start <= i < start + 6 * 12 else c for i, c in enumerate(counts)]
    alerts = level_alerts(risen, times)
    assert len(alerts) == 1
    assert times[start] <= alerts[0] < times[start + 6 * 12]


def test_the_daily_peak_alone_raises_nothing():
    times, counts = quiet_series(days=14, seed=11)
    assert level_alerts(counts, times) == []


def test_a_single_noisy_bin_raises_nothing():
    times, counts = quiet_series(days=14, seed=11)
    at = 10 * DAY + 12 * 12
    counts[at] += 4 * counts[at]
    assert level_alerts(counts, times) == []
