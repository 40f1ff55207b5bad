"""The crisis detector on synthetic series with known injected spikes (seeded noise, daily seasonality)."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from alerts.crisis import CrisisDetector, CrisisSettings, Tier, replay, upper_tail
from alerts.crisis_eval import Labelled, decide_all, grid_settings, leave_one_series_out, read_series, readings
from tests.conftest import ROOT

START = datetime(2026, 1, 5)


def quiet_series(days: int, seed: int, base: float = 20.0) -> tuple[list[datetime], list[int]]:
    """Poisson-like counts every 5 minutes with a day/night cycle (busy at noon, quiet at night)."""
    rng = random.Random(seed)
    times, counts = [], []
    for index in range(days * 288):
        hour = (index % 288) / 12
        mean = base * (0.4 + 0.6 * (1 + math.sin((hour - 6) / 24 * 2 * math.pi)) / 2 * 2)
        times.append(START + timedelta(minutes=5 * index))
        counts.append(sum(1 for _ in range(int(mean * 3)) if rng.random() < 1 / 3))
    return times, counts


def inject(counts: list[int], at: int, size: int, bins: int = 6) -> list[int]:
    spiked = list(counts)
    for offset in range(bins):
        spiked[at + offset] += size // bins
    return spiked


def test_quiet_traffic_raises_no_alert():
    times, counts = quiet_series(days=14, seed=1)
    assert replay(times, counts, CrisisDetector(), tier=Tier.SPIKE) == []


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_an_injected_wave_is_detected_within_half_an_hour(seed):
    times, counts = quiet_series(days=14, seed=seed)
    at = 10 * 288 + 150  # day 10, 12:30
    spikes = replay(times, inject(counts, at, size=600), CrisisDetector(), tier=Tier.SPIKE)
    assert len(spikes) == 1
    assert timedelta(0) <= spikes[0].at - times[at] <= timedelta(minutes=30)
    assert spikes[0].ratio > 3
    assert "expected" in spikes[0].describe()


def test_cooldown_keeps_a_second_wave_the_same_day_quiet_but_not_the_next_day():
    times, counts = quiet_series(days=14, seed=5)
    counts = inject(inject(inject(counts, 9 * 288 + 100, 600), 9 * 288 + 200, 600), 11 * 288 + 100, 1200)
    spikes = replay(times, counts, CrisisDetector(CrisisSettings(cooldown_hours=24)), tier=Tier.SPIKE)
    assert [spike.at.date() for spike in spikes] == [times[9 * 288 + 100].date(), times[11 * 288 + 100].date()]


def test_no_alert_before_enough_history():
    times, counts = quiet_series(days=3, seed=6)
    assert replay(times, inject(counts, 100, 2000), CrisisDetector(CrisisSettings(min_days=2)), tier=Tier.SPIKE) == []


def test_upper_tail_is_smaller_for_bigger_counts_and_wider_with_overdispersion():
    assert upper_tail(40, 10, 10) < upper_tail(20, 10, 10)
    assert upper_tail(40, 10, 100) > upper_tail(40, 10, 10)


def test_replay_command_prints_json_lines_and_a_summary(tmp_path):
    times, counts = quiet_series(days=12, seed=7)
    counts = inject(counts, 10 * 288, 900)
    path = tmp_path / "series.csv"
    path.write_text(
        "timestamp,value\n" + "".join(f"{t:%Y-%m-%d %H:%M:%S},{c}\n" for t, c in zip(times, counts, strict=True))
    )
    finished = subprocess.run(
        [sys.executable, "-m", "veilleur", "signals", "replay", "--csv", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    lines = finished.stdout.strip().splitlines()
    # The wave, at midnight, still holds 1.5x the quiet night's count in the next half-hour: a spike, then a crisis.
    assert finished.returncode == 0 and len(lines) == 3
    assert lines[0].startswith('{"tier": "spike", "timestamp": "' + times[10 * 288].strftime("%Y-%m-%dT"))
    assert lines[1].startswith('{"tier": "crisis", "timestamp": "' + times[10 * 288].strftime("%Y-%m-%dT"))
    assert lines[2].startswith('{"summary"') and '"alerts": 1, "spikes": 1' in lines[2]


def test_a_bad_row_is_reported_with_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,value\n2026-01-01 00:00:00,3\n2026-01-01 00:05:00,many\n")
    with pytest.raises(ValueError, match="bad.csv: line 3"):
        read_series(path)


def test_thresholds_applied_to_stored_readings_give_the_same_alerts_as_a_replay():
    # The leave-one-series-out figure tries thresholds on one pass of readings: it must match what runs.
    times, counts = quiet_series(days=12, seed=8)
    counts = inject(inject(counts, 8 * 288 + 140, 600), 10 * 288 + 60, 400)
    for settings in grid_settings():
        expected = [spike.at for spike in replay(times, counts, CrisisDetector(settings))]
        assert decide_all(readings(times, counts, settings), settings) == expected


def _labelled(name: str, seed: int, size: int) -> Labelled:
    times, counts = quiet_series(days=12, seed=seed)
    at = 9 * 288 + 150
    window = (times[at] - timedelta(hours=12), times[at] + timedelta(hours=12))
    return Labelled(name, times, inject(counts, at, size), [window], [times[at]])


def test_leave_one_series_out_scores_each_series_with_settings_chosen_on_the_others():
    series = [_labelled("a", 11, 600), _labelled("b", 12, 600), _labelled("c", 13, 600)]
    # Without the persistence rule (a 30-minute wave is not a crisis with it): this is about choosing on the others.
    candidates = [CrisisSettings(min_ratio=3.5, persist_ratio=0), CrisisSettings(min_ratio=50.0, persist_ratio=0)]
    chosen = leave_one_series_out(series, candidates)
    assert [name for name, _, _ in chosen] == ["a", "b", "c"]
    # A ratio of 50 never fires, so the others always prefer 3.5, which finds each held-out wave in time.
    for _, settings, result in chosen:
        assert settings.min_ratio == 3.5
        assert result.detected == 1 and result.false_alerts == 0
        assert 0 <= result.median_delay <= 30


def busy_monday_mornings(weeks: int, seed: int) -> tuple[list[datetime], list[int]]:
    """`quiet_series` (starting on a Monday) plus a wave every Monday 08:00-09:00 that is normal for Mondays."""
    times, counts = quiet_series(days=7 * weeks, seed=seed)
    assert times[0].weekday() == 0
    for week in range(weeks):
        counts = inject(counts, week * 7 * 288 + 96, 80 * 12, bins=12)
    return times, counts


def test_a_busy_monday_morning_normal_for_mondays_does_not_alert_once_two_weeks_are_known():
    times, counts = busy_monday_mornings(weeks=4, seed=21)
    mondays = {times[week * 7 * 288].date(): week for week in range(4)}
    # Time of day only: every Monday morning with a week of history looks like a crisis.
    daily = replay(times, counts, CrisisDetector(CrisisSettings(weeks=0)), tier=Tier.SPIKE)
    assert sorted(mondays[spike.at.date()] for spike in daily) == [1, 2, 3]
    # Time of week: only the first Monday with history (one past Monday) alerts; not the ones after.
    weekly = replay(times, counts, CrisisDetector(CrisisSettings(weeks=4, min_weeks=2)), tier=Tier.SPIKE)
    assert [mondays[spike.at.date()] for spike in weekly] == [1]


def test_a_real_spike_still_alerts_with_the_weekly_baseline():
    times, counts = busy_monday_mornings(weeks=4, seed=22)
    at = 21 * 288 + 180  # the fourth Monday, 15:00: three past Mondays known, quiet at that hour
    spikes = replay(times, inject(counts, at, size=600), CrisisDetector(CrisisSettings(weeks=4)), tier=Tier.SPIKE)
    assert [spike.at.date() for spike in spikes] == [times[7 * 288].date(), times[at].date()]
    assert timedelta(0) <= spikes[1].at - times[at] <= timedelta(minutes=30)
    # A bigger wave on top of the usual Monday morning is a crisis too.
    spikes = replay(
        times, inject(counts, 21 * 288 + 96, size=1500), CrisisDetector(CrisisSettings(weeks=4)), tier=Tier.SPIKE
    )
    assert spikes[-1].at.date() == times[21 * 288].date()
    assert timedelta(0) <= spikes[-1].at - times[21 * 288 + 96] <= timedelta(minutes=30)


def test_a_burst_that_persists_is_a_crisis_half_an_hour_after_its_spike():
    times, counts = quiet_series(days=14, seed=31)
    at = 10 * 288 + 150
    counts = inject(counts, at, size=1200, bins=12)  # an hour-long wave
    events = replay(times, counts, CrisisDetector(), tier=None)
    assert [event.tier for event in events] == [Tier.SPIKE, Tier.CRISIS]
    spike, crisis = events
    assert timedelta(0) <= spike.at - times[at] <= timedelta(minutes=30)
    assert crisis.at - spike.at == timedelta(minutes=30)  # confirmed by the next window
    assert crisis.since == spike.since and crisis.then_count is not None
    assert "then" in crisis.describe()


def test_a_short_burst_is_a_spike_only():
    times, counts = quiet_series(days=14, seed=32)
    counts = inject(counts, 10 * 288 + 150, size=600, bins=2)  # ten minutes, then back to usual
    events = replay(times, counts, CrisisDetector(), tier=None)
    assert [event.tier for event in events] == [Tier.SPIKE]
    # Without the persistence rule the same burst would page.
    assert len(replay(times, counts, CrisisDetector(CrisisSettings(persist_ratio=0)))) == 1


def test_a_daily_peak_is_neither_a_spike_nor_a_crisis():
    # quiet_series peaks every day at noon at about twice its mean: usual for that hour.
    times, counts = quiet_series(days=21, seed=33, base=60.0)
    assert replay(times, counts, CrisisDetector(), tier=None) == []


def test_anchors_are_scored_like_ours(tmp_path):
    """A hand-made case: one series, two windows, an anchor with one alert in the first window (10 min after
    its label), one outside every window, none in the second."""
    from alerts.crisis_eval import load_anchors, score_anchor

    times = [START + timedelta(minutes=5 * index) for index in range(7 * 288)]  # one week
    windows = [
        (START + timedelta(days=1), START + timedelta(days=2)),
        (START + timedelta(days=4), START + timedelta(days=5)),
    ]
    labels = [START + timedelta(days=1, hours=12), START + timedelta(days=4, hours=12)]
    (tmp_path / "anchors_alerts.json").write_text(
        '{"x": {"threshold": 0.5, "alerts": {"realTweets/s.csv": ["2026-01-06 12:10:00", "2026-01-08 00:00:00"]}}}'
    )
    anchors = load_anchors(tmp_path)
    result = score_anchor(anchors["x"], [Labelled("s.csv", times, [0] * len(times), windows, labels)])
    assert (result.windows, result.detected, result.median_delay, result.false_alerts) == (2, 1, 10.0, 1)
    assert result.false_per_week == pytest.approx(1 / ((times[-1] - times[0]).total_seconds() / (7 * 86400)))
    assert load_anchors(tmp_path / "absent") == {}
