"""What every classifier returns, whatever runs underneath."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Prediction:
    """Scores for one text. Labels are derived from scores with thresholds from settings, by the policy."""

    sentiment: dict[str, float]  # negative / neutral / positive -> probability (sums to 1)
    stars: float  # expected star rating on a 1-5 scale
    toxic: float  # probability of an insult, threat or hate aimed at a person or group
    spam: float  # probability of ads, links or scams
    extra: dict[str, float] = field(default_factory=dict)  # any other head a model has (e.g. star probabilities)

    @property
    def polarity(self) -> str:
        return max(SENTIMENTS, key=lambda label: self.sentiment.get(label, 0.0))

    def scores(self) -> dict[str, object]:
        """Every head's output, as stored with the classification."""
        return {
            "sentiment": dict(self.sentiment),
            "stars": self.stars,
            "toxic": self.toxic,
            "spam": self.spam,
            **({"extra": dict(self.extra)} if self.extra else {}),
        }


class Classifier(Protocol):
    """A batch classifier. `name` and `version` are stored with every classification it makes."""

    name: str
    version: str

    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...
