"""A rating on its own scale, as stored and as shown: the one check of a scale, read by the crawlers' clean-up
(a page's rating is refused when it fails) and by the published feed (a stored rating that fails is not shown)."""

from __future__ import annotations

import math

RATING_SCALE_LIMIT = 100.0  # a scale's best and worst lie within -100..100 (5 stars, /10, percentages)


def rating_share(rating: float, best: float | None, worst: float | None) -> float:
    """Rating on its own scale -> 0..1. schema.org defaults: best 5, worst 1. ValueError when the scale is not
    finite, lies beyond ±100 or is upside down, or the rating lies off it."""
    best = 5.0 if best is None else best
    worst = 1.0 if worst is None else worst
    if not all(math.isfinite(bound) and abs(bound) <= RATING_SCALE_LIMIT for bound in (best, worst)):
        raise ValueError(f"rating scale {worst:g}-{best:g} is not a finite scale within ±{RATING_SCALE_LIMIT:g}")
    if best <= worst:
        raise ValueError(f"rating scale best={best} is not above worst={worst}")
    if not worst <= rating <= best:  # False for NaN too
        raise ValueError(f"rating {rating} outside its scale {worst}-{best}")
    return (rating - worst) / (best - worst)
