"""Crisis-detection designs tried for issue 24 and not shipped: prints their leave-one-series-out figures.

`python -m bench.crisis_tries [FOLDER]` (default ../shared/nab_realtweets, about 3 minutes). Each design is scored
alone (all six series, for orientation) and as a second crisis test beside the shipped burst test (either test
raises a crisis, one 24 h cooldown), leave-one-series-out over the shipped grid (360) x the design's own grid, chosen
as `veilleur signals evaluate` chooses (most windows within 0.5 false alerts a week on the other five series).
README, "Crisis detection", logs the figures this printed and why none of these designs was kept.

- level: a one-sided CUSUM (Page, "Continuous inspection schemes", Biometrika 1954) on the log ratio of the
  half-hour to a baseline, as z-scores: S = max(0, S + (z - k) / 6) per 5-minute step, a crisis when S >= h.
  Baselines: the detector's own expected count, or the unscaled median of the same half-hour of the week.
- novelty: the z-score of the log ratio against this series' own past ratios (median and MAD over 7 days), so
  that one threshold means the same on a noisy series and a quiet one. The idea, an alert on values novel for
  this series, is borrowed in spirit from NAB's contextOSE (Smirnov and Vereschagin, "Contextual Anomaly
  Detector", numenta/NAB nab/detectors/context_ose) and ARTime's adaptive threshold (Hampton,
  github.com/markNZed/ARTimeNAB.jl); no code is copied. Tried on the half-hour (replacing `min_ratio`) and on the
  single 5-minute bin (the two missed windows hold 5-minute bursts, see README).
"""

from __future__ import annotations

import bisect
import math
import statistics
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import product
from pathlib import Path

from alerts.crisis import CrisisDetector, CrisisSettings, Reading, Spike, Tier
from alerts.crisis_eval import (
    Labelled,
    Score,
    decide_all,
    grid_settings,
    load_labels,
    preference,
    read_series,
    readings,
)

Seen = list[tuple[datetime, Reading]]
EMPTY = Score(0, 0, [], 0, 0.0)
WEEK_BINS, DAY_BINS = 7 * 288, 288


def robust_z(values: Sequence[float], every: int, keep: int, floor: float = 0.05) -> list[float]:
    """Each value against the values seen before it (one in `every`, the last `keep`): (x - median) / (1.4826 MAD)."""
    past: deque[float] = deque()
    ordered: list[float] = []
    out = []
    for index, value in enumerate(values):
        if len(ordered) >= 48:
            middle = ordered[len(ordered) // 2]
            spread = 1.4826 * statistics.median(abs(v - middle) for v in ordered)
            out.append((value - middle) / max(spread, floor))
        else:
            out.append(0.0)
        if index % every == 0:
            past.append(value)
            bisect.insort(ordered, value)
            if len(past) > keep:
                del ordered[bisect.bisect_left(ordered, past.popleft())]
    return out


def week_usual(one: Labelled, seen: Seen, window: int = 6) -> list[float]:
    """The unscaled median of the same half-hour over up to 4 past weeks (7 past days with fewer than 2 weeks)."""
    sums, running = [], 0
    for index, count in enumerate(one.counts):
        running += count - (one.counts[index - window] if index >= window else 0)
        sums.append(running)
    position = {at: index for index, at in enumerate(one.times)}
    usual = []
    for at, _ in seen:
        index = position[at]
        weeks = [sums[index - w * WEEK_BINS] for w in range(1, 5) if index - w * WEEK_BINS >= window]
        days = [sums[index - d * DAY_BINS] for d in range(1, 8) if index - d * DAY_BINS >= window]
        usual.append(statistics.median(weeks if len(weeks) >= 2 else days))
    return usual


def cusum(seen: Seen, zs: Sequence[float], k: float, h: float, cooldown: float = 24) -> list[datetime]:
    alerts: list[datetime] = []
    total = 0.0
    for (at, _), z in zip(seen, zs, strict=True):
        total = max(0.0, total + (z - k) / 6)  # 6 overlapping half-hours per half-hour of evidence
        if total >= h:
            if not alerts or at - alerts[-1] >= timedelta(hours=cooldown):
                alerts.append(at)
            total = 0.0
    return alerts


def bin_bursts(seen: Seen, zs: Sequence[float], z_min: float, cooldown: float = 24) -> list[datetime]:
    """A 5-minute bin novel for this series, confirmed by a second one within 2 hours."""
    alerts: list[datetime] = []
    first: datetime | None = None
    for (at, _), z in zip(seen, zs, strict=True):
        if z < z_min:
            continue
        if first is not None and timedelta(minutes=10) <= at - first <= timedelta(hours=2):
            if not alerts or at - alerts[-1] >= timedelta(hours=cooldown):
                alerts.append(at)
            first = None
        elif first is None or at - first > timedelta(hours=2):
            first = at
    return alerts


class NoveltyDetector(CrisisDetector):
    """The shipped detector with `min_ratio` replaced by a floor on the half-hour's novelty z-score."""

    def __init__(self, settings: CrisisSettings, novelty: dict[datetime, float], z_min: float) -> None:
        super().__init__(settings)
        self.novelty, self.z_min = novelty, z_min

    def _spike(self, at: datetime, reading: Reading) -> Spike | None:
        if self.novelty.get(at, 0.0) < self.z_min:
            return None
        return super()._spike(at, reading)


def merged(first: list[datetime], second: list[datetime], cooldown: float = 24) -> list[datetime]:
    out: list[datetime] = []
    for at in sorted(first + second):
        if not out or at - out[-1] >= timedelta(hours=cooldown):
            out.append(at)
    return out


def loso(table: dict[str, list[Score]]) -> tuple[Score, list[int]]:
    """Each series scored with the candidate that did best on the others."""
    total, picks = EMPTY, []
    for held in table:
        training = [sum((table[n][c] for n in table if n != held), start=EMPTY) for c in range(len(table[held]))]
        best = max(range(len(training)), key=lambda c: preference(training[c]))
        total, picks = total + table[held][best], picks + [best]
    return total, picks


def line(name: str, result: Score) -> str:
    delay = "-" if result.median_delay is None else f"{result.median_delay:g}"
    return f"| {name} | {result.detected}/{result.windows} | {delay} | {result.false_per_week:.2f} |"


def main(folder: Path) -> None:
    series: list[tuple[Labelled, Seen]] = []
    for path in sorted(folder.glob("*.csv")):
        times, counts = read_series(path)
        one = Labelled(path.name, times, counts, *load_labels(folder, path.name))
        series.append((one, readings(times, counts, CrisisSettings())))
    candidates = grid_settings()
    burst = {one.name: [decide_all(seen, c) for c in candidates] for one, seen in series}
    print("| design | windows | median delay (min) | false alerts / week |\n|---|---|---|---|")
    print(line("shipped burst test, leave-one-series-out", loso(score_all(series, burst))[0]))

    designs: dict[str, tuple[list[tuple[float, ...]], Callable[[Labelled, Seen, tuple[float, ...]], list[datetime]]]]
    cache: dict[tuple[str, str], list[float]] = {}

    def z_of(kind: str, one: Labelled, seen: Seen) -> list[float]:
        if (kind, one.name) not in cache:
            if kind == "expected":
                ratios = [math.log((r.observed + 1) / (r.expected + 1)) for _, r in seen]
                cache[kind, one.name] = robust_z(ratios, 6, 7 * 48)
            elif kind == "week":
                usual = week_usual(one, seen)
                ratios = [math.log((r.observed + 1) / (u + 1)) for (_, r), u in zip(seen, usual, strict=True)]
                cache[kind, one.name] = robust_z(ratios, 6, 7 * 48)
            else:
                position = {at: index for index, at in enumerate(one.times)}
                ratios = [math.log((one.counts[position[at]] + 1) / (r.expected / 6 + 1)) for at, r in seen]
                cache[kind, one.name] = robust_z(ratios, 1, WEEK_BINS)
        return cache[kind, one.name]

    level_grid = list(product((0.5, 1.0, 1.5, 2.0), (2.0, 4.0, 8.0, 16.0, 32.0)))
    designs = {
        "level: CUSUM against the detector's expected count": (
            level_grid,
            lambda one, seen, p: cusum(seen, z_of("expected", one, seen), *p),
        ),
        "level: CUSUM against the hour-of-week median": (
            level_grid,
            lambda one, seen, p: cusum(seen, z_of("week", one, seen), *p),
        ),
        "novelty of the 5-minute bin, twice within 2 h": (
            [(z,) for z in (4.0, 5.0, 6.0, 8.0, 10.0)],
            lambda one, seen, p: bin_bursts(seen, z_of("bin", one, seen), *p),
        ),
    }
    for name, (grid, run) in designs.items():
        second = {one.name: [run(one, seen, p) for p in grid] for one, seen in series}
        for index, params in enumerate(grid):
            alone = sum((one.score(second[one.name][index]) for one, _ in series), start=EMPTY)
            print(line(f"{name} {params}, alone, all six series", alone))
        either = {
            one.name: [merged(b, s) for b in burst[one.name] for s in [[], *second[one.name]]] for one, _ in series
        }
        print(line(f"{name}, beside the burst test, leave-one-series-out", loso(score_all(series, either))[0]))

    # The novelty z-score instead of `min_ratio` in the burst test itself (a smaller grid: 3 x 3 x 3 x 5).
    novelty_grid = [
        (replace(CrisisSettings(min_ratio=1.0), p_value=p, max_share=m, persist_ratio=q), z)
        for p, m, q, z in product((1e-6, 1e-9, 1e-12), (0.3, 0.5, 0.7), (0.0, 1.5, 2.0), (2.0, 3.0, 4.0, 5.0, 6.0))
    ]
    table = {}
    for one, seen in series:
        novelty = dict(zip((at for at, _ in seen), z_of("expected", one, seen), strict=True))
        table[one.name] = [
            one.score(replay_seen(seen, NoveltyDetector(settings, novelty, z_min))) for settings, z_min in novelty_grid
        ]
    print(line("novelty z-score instead of min_ratio, leave-one-series-out", loso(table)[0]))


def replay_seen(seen: Seen, detector: CrisisDetector) -> list[datetime]:
    return [e.at for at, reading in seen for e in detector.decide(at, reading) if e.tier == Tier.CRISIS]


def score_all(series: list[tuple[Labelled, Seen]], alerts: dict[str, list[list[datetime]]]) -> dict[str, list[Score]]:
    return {one.name: [one.score(found) for found in alerts[one.name]] for one, _ in series}


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/nab_realtweets"))
