"""The relevance score: how much closer a post is to what the brand is than to what its name also means.

score = best similarity to the brand's anchors (its `about` sentences and the posts moderators marked relevant)
      - best similarity to the other meanings (its `not_about` phrases and the posts marked off-topic)

Similarities are cosines of the shipped encoder's vectors (moderation/relevance/encoder.py). A post under
`[relevance] threshold` is off-topic. Without any `not_about` phrase or off-topic mark the second term is a
constant (NEUTRAL, a typical e5 similarity between unrelated sentences), so the threshold keeps its meaning.
Figures: docs/relevance.md (`python -m bench.relevance`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Embed = Callable[[Sequence[str]], np.ndarray]
NEUTRAL = 0.8
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def anchors(text: str) -> list[str]:
    """A description's sentences: each can be the one a post is close to."""
    return [part.strip() for part in _SENTENCE.split(text) if len(part.strip()) >= 3]


@dataclass(frozen=True)
class Anchors:
    about: tuple[str, ...]
    not_about: tuple[str, ...] = ()


class Scorer:
    """Scores posts against one brand's anchors; the anchors' vectors are computed once."""

    def __init__(self, embed: Embed, anchors: Anchors) -> None:
        self.embed = embed
        self.about = embed(list(anchors.about))
        self.not_about = embed(list(anchors.not_about)) if anchors.not_about else None

    def scores(
        self, texts: Sequence[str], relevant: np.ndarray | None = None, off: np.ndarray | None = None
    ) -> list[float]:
        """`relevant`/`off`: vectors of posts moderators marked (rows), or None."""
        if not texts:
            return []
        vectors = self.embed(list(texts))
        positive = _stack(self.about, relevant)
        negative = _stack(self.not_about, off)
        near = (vectors @ positive.T).max(axis=1)
        far = (vectors @ negative.T).max(axis=1) if negative is not None else np.full(len(texts), NEUTRAL)
        return [round(float(value), 4) for value in near - far]


def _stack(first: np.ndarray | None, second: np.ndarray | None) -> np.ndarray | None:
    parts = [part for part in (first, second) if part is not None and len(part)]
    return np.concatenate(parts) if parts else None
