"""Has the share of negative mentions risen against its baseline? A one-sided two-proportion z-test."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ShareRise:
    recent_share: float
    baseline_share: float
    z: float
    recent_total: int

    def describe(self) -> str:
        return (
            f"negative share {self.recent_share:.0%} of {self.recent_total} recent mentions, against "
            f"{self.baseline_share:.0%} usually (z={self.z:.1f})"
        )


def negative_share_rise(
    recent_negative: int,
    recent_total: int,
    past_negative: int,
    past_total: int,
    z_threshold: float = 3.0,
    min_total: int = 10,
    min_rise: float = 0.15,
) -> ShareRise | None:
    if recent_total < min_total or past_total < min_total:
        return None
    recent = recent_negative / recent_total
    past = past_negative / past_total
    pooled = (recent_negative + past_negative) / (recent_total + past_total)
    error = math.sqrt(pooled * (1 - pooled) * (1 / recent_total + 1 / past_total))
    if error == 0:
        return None
    z = (recent - past) / error
    if z < z_threshold or recent - past < min_rise:
        return None
    return ShareRise(recent, past, z, recent_total)
