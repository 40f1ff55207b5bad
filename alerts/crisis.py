"""Crisis (spike) detection on mention counts: pure functions over a series of counts per bin.

The same `CrisisDetector` runs in the worker (counts read from stored mentions) and in
`veilleur signals replay` (counts read from a CSV), so what is measured is what runs.

Model: the expected count of the last `window` bins is the median of the same window at the same time of
day over the previous `days` days (daily seasonality; the median ignores past spikes), scaled by the current
level (today's volume against the same days). Once `min_weeks` weeks of history exist, the same is done at the
same time of week over up to `weeks` past weeks (the level then compares the last 24 h with the same 24 h of
those weeks), and the larger of the two is expected: a half-hour alerts only if it is unusual both for the
time of day and for the day of the week (a busy Monday morning is normal on Mondays). The count is tested
against an overdispersed Poisson (negative binomial with the variance seen over those days): an alert needs
a tiny upper-tail probability, a minimum count and a minimum ratio, and respects a cooldown.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property

from scipy.stats import nbinom, poisson

LOW_VOLUME = 5  # mentions per window below which the baseline's spread is not estimated


@dataclass(frozen=True)
class CrisisSettings:
    bin_minutes: int = 5
    window_bins: int = 6  # the count tested: the last 30 minutes
    days: int = 7  # history used for the baseline
    min_days: int = 2  # no alert before this much history
    # Hour-of-week seasonality: same weekday and time over up to `weeks` past weeks (0: daily only). Fixed, not
    # tuned: 4 weeks is what the worker reads; 3 and 6 gave the same figures on NAB realTweets (see README).
    weeks: int = 4
    min_weeks: int = 2  # fewer weeks of history: daily seasonality only
    p_value: float = 1e-9  # upper-tail probability under the baseline
    min_count: int = 10
    min_ratio: float = 3.0  # count / expected (chosen as in `veilleur signals evaluate`, see README)
    # A crisis is a wave bigger than the busiest half-hours of the past days, not only an unusual hour:
    # the count must exceed this share of the largest window seen over `days` (0 turns the rule off).
    max_share: float = 0.5
    cooldown_hours: float = 24.0  # per tier: a crisis after a crisis, a spike after a spike
    # Crisis tier: a spike becomes a crisis only if the next window, `window_bins` later, still holds this many
    # times its own expected count (the burst persisted over two windows); 0 makes every spike a crisis at once.
    persist_ratio: float = 1.5  # chosen leave-one-series-out among 0, 1.5 and 2 (README)


class Tier(enum.StrEnum):
    SPIKE = "spike"  # a short burst: shown in the digest, no ping
    CRISIS = "crisis"  # a burst that persisted: pages the channel


@dataclass(frozen=True)
class Spike:
    at: datetime
    count: int
    expected: float
    p_value: float
    since: datetime  # start of the window that rose
    window_minutes: int
    tier: Tier = Tier.SPIKE
    # A crisis: the count and expected count of the window that confirmed it (the one after the spike's).
    then_count: int | None = None
    then_expected: float | None = None

    @property
    def ratio(self) -> float:
        return self.count / self.expected if self.expected else math.inf

    def describe(self) -> str:
        text = (
            f"{self.count} mentions in the {self.window_minutes} min since "
            f"{self.since:%Y-%m-%d %H:%M} UTC, against {self.expected:.1f} expected (x{self.ratio:.1f}, "
            f"p={self.p_value:.1e})"
        )
        if self.then_count is not None and self.then_expected:
            text += (
                f", then {self.then_count} in the next {self.window_minutes} min "
                f"(x{self.then_count / self.then_expected:.1f})"
            )
        return text


def upper_tail(count: int, mean: float, variance: float) -> float:
    """P(X >= count) for a count with this mean and variance (negative binomial; Poisson if not overdispersed)."""
    mean = max(mean, 0.5)
    if variance <= mean * 1.05:
        return float(poisson.sf(count - 1, mean))
    # NB parametrised by mean and variance: n = mean^2 / (var - mean), p = mean / var.
    n = mean * mean / (variance - mean)
    return float(nbinom.sf(count - 1, n, mean / variance))


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class Reading:
    """What the detector sees at one bin, before any threshold: kept apart so that an evaluation can try
    several thresholds on one pass over a series (the same `decide` the worker runs)."""

    observed: int  # mentions in the window just ended
    expected: float
    variance: float
    busiest: float  # Poisson mean used instead of the spread when volumes are low, else 0
    peak: int  # the busiest window of the past `days` (0 if none yet)

    @cached_property
    def p_value(self) -> float:
        # Computed only for windows that passed the cheap tests (scipy is the slow part of a replay).
        if self.busiest:
            return float(poisson.sf(self.observed - 1, self.busiest))
        return upper_tail(self.observed, self.expected, self.variance)


class CrisisDetector:
    """Streaming: feed one bin at a time with `update`. Keeps only what its baseline needs."""

    def __init__(self, settings: CrisisSettings = CrisisSettings(), last_alert: datetime | None = None) -> None:
        self.settings = settings
        self.day = 24 * 60 // settings.bin_minutes
        self.week = 7 * self.day
        self.last_alert = last_alert  # the last crisis
        self.last_spike: datetime | None = None
        # Spikes waiting one window for their confirmation as a crisis: (time of the spike, the spike).
        self.pending: deque[Spike] = deque()
        self.counts: list[int] = []
        self.sums: list[int] = []  # sums[j]: the window of bins ending at j
        self.running: list[int] = []  # running[j]: all counts up to j, so a day's total is one subtraction
        self.keep = max(settings.days + 2, 7 * settings.weeks + 2) * self.day + settings.window_bins
        self.offset = 0  # absolute index of counts[0]
        self.peaks: deque[tuple[int, int]] = deque()  # (index, window sum), decreasing: rolling maximum

    def update(self, at: datetime, count: int) -> list[Spike]:
        """Take in the next bin: the spikes and crises it raises (at most one of each)."""
        reading = self.read(count)
        return self.decide(at, reading) if reading is not None else []

    def read(self, count: int) -> Reading | None:
        """Take in the next bin; the reading of the window it ends (None before `min_days` of history)."""
        s = self.settings
        self.counts.append(count)
        window = self.counts[-s.window_bins :]
        self.sums.append(sum(window))
        self.running.append((self.running[-1] if self.running else 0) + count)
        end = self.offset + len(self.counts) - 1
        self._track_peaks(end)
        if len(self.counts) > 2 * self.keep:  # trim now and then, not at every bin
            drop = len(self.counts) - self.keep
            del self.counts[:drop], self.sums[:drop], self.running[:drop]
            self.offset += drop
        return self._read(end)

    def _sum(self, index: int) -> int:
        return self.sums[index - self.offset]

    def _track_peaks(self, end: int) -> None:
        # Windows that ended before the current window began, within the last `days`.
        newest = end - self.settings.window_bins
        if newest - self.offset >= 0:
            value = self._sum(newest)
            while self.peaks and self.peaks[-1][1] <= value:
                self.peaks.pop()
            self.peaks.append((newest, value))
        while self.peaks and self.peaks[0][0] < end - self.settings.days * self.day:
            self.peaks.popleft()

    def _read(self, end: int) -> Reading | None:
        s, day = self.settings, self.day
        start = end - s.window_bins + 1
        available_days = min(s.days, (start - self.offset) // day)
        if available_days < s.min_days:
            return None
        observed = self._sum(end)
        past = [self._sum(end - d * day) for d in range(1, available_days + 1)]
        baseline = _median(past)
        # Level: how busy the last day was (before this window) against the days before, so a brand that is
        # simply growing does not alert at every window.
        daily = [self._day_total(start - d * day) for d in range(available_days)]
        usual = _median(daily[1:]) if len(daily) > 1 else 0
        level = daily[0] / usual if usual > 0 else 1.0
        expected = max(baseline * min(max(level, 0.5), 2.0), 1.0)
        weekly = self._weekly(start, end, daily[0])
        if weekly is not None:
            expected = max(expected, weekly)
        # Robust spread (median absolute deviation): a past spike must not make every later one look normal.
        spread = (1.4826 * _median([abs(value - baseline) for value in past])) ** 2
        variance = max(spread * (expected / baseline if baseline else 1.0) ** 2, expected)
        # Too few mentions to estimate a spread (a MAD of 1 on counts of 0-3 is quantisation, not
        # dispersion): test against the busiest of the same windows in the past days, as Poisson.
        busiest = max(expected, max(past)) if baseline < LOW_VOLUME else 0.0
        peak = self.peaks[0][1] if self.peaks else 0
        return Reading(observed, expected, variance, busiest, peak)

    def _weekly(self, start: int, end: int, last_day: int) -> float | None:
        """The expected count from the same window of the week over the past weeks (None without enough weeks):
        their median, scaled by the last 24 h against the same 24 h of those weeks."""
        s, week = self.settings, self.week
        weeks = min(s.weeks, (start - self.offset) // week)
        if not s.weeks or weeks < s.min_weeks:
            return None
        baseline = _median([self._sum(end - w * week) for w in range(1, weeks + 1)])
        # The level needs each past week's whole day before the window: the oldest may lack it.
        full = max(min(weeks, (start - self.day - self.offset) // week), 1)
        usual = _median([self._day_total(start - w * week) for w in range(1, full + 1)])
        level = last_day / usual if usual > 0 else 1.0
        return max(baseline * min(max(level, 0.5), 2.0), 1.0)

    def decide(self, at: datetime, reading: Reading) -> list[Spike]:
        """The thresholds, the persistence rule and the cooldowns; records what it raises."""
        s = self.settings
        events = []
        crisis = self._confirm(at, reading)
        spike = self._spike(at, reading)
        if spike is not None:
            if s.persist_ratio <= 0:
                crisis = crisis or replace(spike, tier=Tier.CRISIS)
            else:
                self.pending.append(spike)
            if self.last_spike is None or at - self.last_spike >= timedelta(hours=s.cooldown_hours):
                self.last_spike = at
                events.append(spike)
        if crisis is not None and not self._cooling(at):
            self.last_alert = at
            events.append(crisis)
        return events

    def _cooling(self, at: datetime) -> bool:
        return self.last_alert is not None and at - self.last_alert < timedelta(hours=self.settings.cooldown_hours)

    def _spike(self, at: datetime, reading: Reading) -> Spike | None:
        """The window's thresholds, cheap tests first, the p-value last (no cooldown here)."""
        s = self.settings
        observed = reading.observed
        if observed < s.min_count or observed < s.min_ratio * reading.expected:
            return None
        if observed <= s.max_share * reading.peak:
            return None
        if reading.p_value > s.p_value:
            return None
        since = at - timedelta(minutes=s.bin_minutes * (s.window_bins - 1))
        return Spike(at, observed, reading.expected, reading.p_value, since, s.bin_minutes * s.window_bins)

    def _confirm(self, at: datetime, reading: Reading) -> Spike | None:
        """A crisis: a spike whose next window (ending `window_bins` later) still held `persist_ratio` times its
        expected count. Only spikes outside the crisis cooldown wait for it."""
        s = self.settings
        span = timedelta(minutes=s.bin_minutes * s.window_bins)
        while self.pending and at - self.pending[0].at > span:
            self.pending.popleft()
        if not self.pending or at - self.pending[0].at < span:
            return None
        spike = self.pending.popleft()
        if self._cooling(at) or reading.observed < s.persist_ratio * reading.expected:
            return None
        return replace(spike, at=at, tier=Tier.CRISIS, then_count=reading.observed, then_expected=reading.expected)

    def _day_total(self, before: int) -> int:
        """Mentions in the day of bins ending just before index `before`."""
        first = max(before - self.day, self.offset)
        if before <= first:
            return 0
        below = self.running[first - 1 - self.offset] if first > self.offset else self.running[0] - self.counts[0]
        return self.running[before - 1 - self.offset] - below


def replay(
    times: Sequence[datetime], counts: Sequence[int], detector: CrisisDetector, tier: Tier | None = Tier.CRISIS
) -> list[Spike]:
    """Feed a series bin by bin, as the worker sees it, and return the alerts of this tier (None: both) in order."""
    found = []
    for at, count in zip(times, counts, strict=True):
        found += [event for event in detector.update(at, count) if tier is None or event.tier == tier]
    return found
