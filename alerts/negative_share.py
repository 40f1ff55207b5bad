"""Has the share of negative mentions risen against its baseline? A one-sided two-proportion z-test, each
mention weighted by its reach where the source gives one (DESIGN.md: "reach-weighted where the source gives
reach").

A mention's weight is 1 + log10(1 + reach): a post seen by 10,000 people counts 5 times one seen by nobody, and a
celebrity's post does not become the whole share. Weighted shares are tested with Kish's effective sample sizes,
(sum of weights)^2 / sum of squared weights, in place of the counts: with every weight 1 (sources without reach)
this is exactly the unweighted test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def weight(reach: int | None) -> float:
    return 1.0 + math.log10(1 + max(reach or 0, 0))


@dataclass
class Shares:
    """Weighted counts of one period's mentions."""

    mentions: int = 0
    weight: float = 0.0
    squared: float = 0.0
    negative: float = 0.0
    weighted: bool = False  # some mention had a reach

    def add(self, sentiment: str | None, reach: int | None, count: int = 1) -> None:
        w = weight(reach)
        self.mentions += count
        self.weight += w * count
        self.squared += w * w * count
        self.negative += w * count if sentiment == "negative" else 0.0
        self.weighted = self.weighted or bool(reach)

    @property
    def share(self) -> float:
        return self.negative / self.weight

    @property
    def effective(self) -> float:
        return self.weight**2 / self.squared


@dataclass(frozen=True)
class ShareRise:
    recent_share: float
    baseline_share: float
    z: float
    recent_total: int
    weighted: bool = False

    def describe(self) -> str:
        how = ", weighted by reach" if self.weighted else ""
        return (
            f"negative share {self.recent_share:.0%} of {self.recent_total} recent mentions{how}, against "
            f"{self.baseline_share:.0%} usually (z={self.z:.1f})"
        )


def negative_share_rise(
    recent: Shares,
    past: Shares,
    z_threshold: float = 3.0,
    min_total: int = 10,
    min_rise: float = 0.15,
) -> ShareRise | None:
    if recent.mentions < min_total or past.mentions < min_total:
        return None
    pooled = (recent.negative + past.negative) / (recent.weight + past.weight)
    error = math.sqrt(pooled * (1 - pooled) * (1 / recent.effective + 1 / past.effective))
    if error == 0:
        return None
    z = (recent.share - past.share) / error
    if z < z_threshold or recent.share - past.share < min_rise:
        return None
    return ShareRise(recent.share, past.share, z, recent.mentions, recent.weighted or past.weighted)
