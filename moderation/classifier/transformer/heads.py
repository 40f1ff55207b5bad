"""Refit the linear heads on cached pooled vectors (features.py): seconds, not a fine-tuning run.

A new weights file is the current one with its head tensors replaced: the encoder (its int8 deltas) is shared,
so a head-only version costs one ONNX export at first use and nothing else. Used by the reviews-with-stars
refit (`veilleur model fit-heads`) and by learning from moderators' corrections (`veilleur model train
--stored-corrections`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moderation.classifier.base import Prediction
from moderation.classifier.transformer.classifier import predictions

HEAD_TENSORS = ("sentiment.weight", "sentiment.bias", "stars.weight", "stars.bias", "abuse.weight", "abuse.bias")


def read_heads(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    tensors = load_file(str(path))
    return {name: tensors[name].astype(np.float64) for name in HEAD_TENSORS}


def write_with_heads(source: Path, target: Path, heads: dict[str, np.ndarray], metadata: dict[str, str]) -> Path:
    """`source` with its heads replaced, into `target` (metadata merged over the source's)."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(source), framework="numpy") as handle:
        old = dict(handle.metadata() or {})
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    for name, value in heads.items():
        tensors[name] = np.ascontiguousarray(value, dtype=np.float32)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(target), metadata={**old, **{k: str(v) for k, v in metadata.items()}})
    return target


def logits(vectors: np.ndarray, heads: dict[str, np.ndarray]) -> np.ndarray:
    """The graph's output from pooled vectors: 3 sentiment + 5 stars + 2 abuse logits."""
    parts = [vectors @ heads[f"{name}.weight"].T + heads[f"{name}.bias"] for name in ("sentiment", "stars", "abuse")]
    return np.concatenate(parts, axis=1)


def predict(vectors: np.ndarray, heads: dict[str, np.ndarray]) -> list[Prediction]:
    return predictions(logits(vectors, heads))


@dataclass
class Labels:
    """Per-row labels for the heads (None where a row says nothing about a head), with a weight per row."""

    sentiment: list[int | None]
    stars: list[int | None]
    toxic: list[int | None]
    spam: list[int | None]
    weight: list[float]


def fit(vectors: np.ndarray, labels: Labels, start: dict[str, np.ndarray], l2: float = 1e-3,
        steps: int = 300) -> dict[str, np.ndarray]:  # fmt: skip
    """Heads fitted by full-batch gradient descent (Adam) from `start`, with an L2 pull towards `start`:
    a few labels move the heads where they are wrong without forgetting what fine-tuning put there."""
    import torch

    torch.manual_seed(0)
    x = torch.from_numpy(np.asarray(vectors, dtype=np.float32))
    weight = torch.tensor(labels.weight, dtype=torch.float32)
    params = {name: torch.tensor(value, dtype=torch.float32, requires_grad=True) for name, value in start.items()}
    anchors = {name: torch.tensor(value, dtype=torch.float32) for name, value in start.items()}

    def column(values: list[int | None], offset: int = 0) -> torch.Tensor:
        return torch.tensor([-100 if v is None else v - offset for v in values])

    sentiment, stars = column(labels.sentiment), column(labels.stars, 1)
    pairs = zip(labels.toxic, labels.spam, strict=True)
    flags = torch.tensor([[-1 if v is None else v for v in pair] for pair in pairs], dtype=torch.float32)
    optimiser = torch.optim.Adam(list(params.values()), lr=1e-2)
    ce = torch.nn.functional.cross_entropy
    for _ in range(steps):
        optimiser.zero_grad()
        out = {
            name: x @ params[f"{name}.weight"].T + params[f"{name}.bias"] for name in ("sentiment", "stars", "abuse")
        }
        loss = torch.zeros(())
        for name, target in (("sentiment", sentiment), ("stars", stars)):
            known = target >= 0
            if known.any():
                each = ce(out[name][known], target[known], reduction="none")
                loss = loss + (each * weight[known]).sum() / weight[known].sum()
        known = flags >= 0
        if known.any():
            each = torch.nn.functional.binary_cross_entropy_with_logits(
                out["abuse"], flags.clamp(min=0), reduction="none"
            )
            loss = loss + (each * known * weight[:, None]).sum() / (known * weight[:, None]).sum()
        loss = loss + l2 * sum(((params[n] - anchors[n]) ** 2).sum() for n in params)
        loss.backward()
        optimiser.step()
    return {name: value.detach().double().numpy() for name, value in params.items()}
