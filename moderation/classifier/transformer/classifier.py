"""The fine-tuned e5-small classifier: ONNX Runtime int8 for inference, torch fp32 as the fallback."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moderation.classifier.base import SENTIMENTS, Prediction
from moderation.classifier.transformer import model as mm


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def predictions(logits: np.ndarray) -> list[Prediction]:
    """Logits [n, 10] (3 sentiment, 5 stars, toxic, spam) -> Predictions."""
    sentiment = _softmax(logits[:, :3])
    stars = _softmax(logits[:, 3:8])
    flags = 1.0 / (1.0 + np.exp(-logits[:, 8:10]))
    expected = stars @ np.arange(1, 6, dtype=np.float64)
    out = []
    for i in range(len(logits)):
        out.append(
            Prediction(
                sentiment={label: float(sentiment[i, j]) for j, label in enumerate(SENTIMENTS)},
                stars=float(expected[i]),
                toxic=float(flags[i, 0]),
                spam=float(flags[i, 1]),
                extra={f"stars_{k + 1}": float(stars[i, k]) for k in range(5)},
            )
        )
    return out


class TransformerClassifier:
    """`backend` is "onnx" (int8, fast) or "torch" (fp32, used by training and as the fallback)."""

    def __init__(self, encoder_dir: Path, weights: Path, cache_dir: Path, backend: str = "onnx",
                 batch_size: int = 32, threads: int | None = None) -> None:  # fmt: skip
        self.name = mm.MODEL_NAME
        self.weights_version = mm.weights_version(weights)
        self.backend = backend
        # Stored with every classification: the weights and the graph that ran them (an int8 export revision
        # changes the scores a little, so it must show).
        self.version = f"{self.weights_version}-torch-fp32"
        self.batch_size = batch_size
        self.threads = threads or min(2, os.cpu_count() or 1)
        self.tokenizer = mm.load_tokenizer(encoder_dir)
        self._torch_model: Any = None
        self._session: Any = None
        if backend == "onnx":
            from moderation.classifier.transformer.export import EXPORT_REVISION, export, onnx_path

            self.version = f"{self.weights_version}-onnx-int8-r{EXPORT_REVISION}"
            path = onnx_path(cache_dir, self.weights_version)
            if not path.exists():
                from rich.console import Console

                with Console(stderr=True).status(f"Exporting the classifier to ONNX int8 into {path} (once)"):
                    export(self._torch(encoder_dir, weights), path)
                self._torch_model = None  # free the fp32 copy: inference runs on the int8 graph
            self._session = _session(path, self.threads)
        else:
            self._torch(encoder_dir, weights)

    def _torch(self, encoder_dir: Path, weights: Path):  # type: ignore[no-untyped-def]
        import torch

        torch.set_num_threads(self.threads)
        self._torch_model, _ = mm.build_model(encoder_dir, weights)
        return self._torch_model

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 10), dtype=np.float32)
        # Sorting by length keeps padding low; results go back to their original rows.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = self.tokenizer([mm.PREFIX + texts[i] for i in rows], truncation=True,
                                   max_length=mm.MAX_LENGTH, padding=True, return_tensors="np")  # fmt: skip
            ids, mask = batch["input_ids"].astype(np.int64), batch["attention_mask"].astype(np.int64)
            if self._session is not None:
                result = self._session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
            else:
                import torch

                with torch.no_grad():
                    result = self._torch_model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()  # type: ignore[misc]
            out[rows] = result
        return out

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return predictions(self.logits(list(texts))) if texts else []


def _session(path: Path, threads: int):  # type: ignore[no-untyped-def]
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
