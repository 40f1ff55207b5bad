"""Learning from moderators: a new version from stored corrections, kept only if it beats the current one.

The corrections are split (seeded): a share trains new heads from the current ones (heads.fit, on cached pooled
vectors), the rest is held out. The candidate is promoted only if it is better than the current version on the
held-out corrections and loses no more than `margin` on any fixed set; either way the figures and the
comparison are returned, to be printed and recorded (moderation/classifier/versions.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from moderation.classifier.base import SENTIMENTS
from moderation.classifier.transformer import heads
from moderation.classifier.transformer.data import SEED, Example
from moderation.classifier.transformer.evaluate import EvalSet, score

Vectors = Callable[[Sequence[str]], np.ndarray]
HEADLINE = {"sentiment": "macro_f1", "toxic": "f1", "spam": "f1", "flagged": "flagged", "stars": "mae"}
LOWER_IS_BETTER = {"mae", "flagged"}


@dataclass
class Outcome:
    promote: bool
    why: str
    candidate: dict[str, np.ndarray]
    rows: list[dict] = field(default_factory=list)  # one per set: set, task, language, n, current, candidate
    trained_on: int = 0
    held_out: int = 0


def split_corrections(corrections: list[Example], held_out: float, seed: int = SEED) -> tuple[list, list]:
    rows = list(corrections)
    random.Random(seed).shuffle(rows)
    cut = len(rows) - max(1, round(len(rows) * held_out))
    return rows[:cut], rows[cut:]


def correction_sets(examples: list[Example]) -> list[EvalSet]:
    """The held-out corrections as evaluation sets, one per task."""
    sets = []
    for task in ("sentiment", "stars", "toxic", "spam"):
        rows = [e for e in examples if getattr(e, task) is not None]
        labels = [SENTIMENTS[e.sentiment] if task == "sentiment" else getattr(e, task) for e in rows]  # type: ignore[index]
        if rows:
            sets.append(EvalSet("held-out corrections", task, "all", [e.text for e in rows], labels))
    return sets


def _headline(task: str, metrics: dict[str, float]) -> float:
    value = metrics[HEADLINE[task]]
    return -value if HEADLINE[task] in LOWER_IS_BETTER else value  # higher is better from here on


def learn(corrections: list[Example], vectors: Vectors, current: dict[str, np.ndarray], fixed: list[EvalSet],
          margin: float, held_out: float = 0.25, threshold: float = 0.5) -> Outcome:  # fmt: skip
    train, test = split_corrections(corrections, held_out)
    if not train or not test:
        return Outcome(False, "too few corrections to hold some out", current)
    labels = heads.Labels([e.sentiment for e in train], [e.stars for e in train], [e.toxic for e in train],
                          [e.spam for e in train], [e.weight for e in train])  # fmt: skip
    candidate = heads.fit(vectors([e.text for e in train]), labels, current)
    rows = []
    for item in correction_sets(test) + [s for s in fixed if s.texts]:
        x = vectors(item.texts)
        rows.append({"set": item.name, "task": item.task, "language": item.language, "n": len(item.texts),
                     "current": score(item.task, item.labels, heads.predict(x, current), threshold),
                     "candidate": score(item.task, item.labels, heads.predict(x, candidate), threshold)})  # fmt: skip
    gains = [_headline(r["task"], r["candidate"]) - _headline(r["task"], r["current"])
             for r in rows if r["set"] == "held-out corrections"]  # fmt: skip
    losses = [(r, _headline(r["task"], r["current"]) - _headline(r["task"], r["candidate"]))
              for r in rows if r["set"] != "held-out corrections"]  # fmt: skip
    worst = max(losses, key=lambda pair: pair[1], default=None)
    outcome = Outcome(False, "", candidate, rows, len(train), len(test))
    if sum(gains) <= 0:
        outcome.why = f"not better on the {len(test)} held-out corrections ({sum(gains):+.3f})"
    elif worst is not None and worst[1] > margin:
        row = worst[0]
        outcome.why = (f"loses {worst[1]:.3f} on {row['set']} {row['task']} {row['language']} "
                       f"(more than the margin {margin})")  # fmt: skip
    else:
        outcome.promote = True
        outcome.why = f"better on the held-out corrections ({sum(gains):+.3f}), no fixed set down more than {margin}"
    return outcome
