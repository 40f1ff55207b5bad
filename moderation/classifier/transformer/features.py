"""The pooled sentence vectors the heads read, from the deployed int8 graph, cached on disk.

The heads are linear layers on the mean-pooled encoder output, so refitting a head (or measuring a new one)
needs only these 384-number vectors, not the encoder: a few seconds instead of a fine-tuning run. They come
from the same ONNX int8 graph that classifies in production (an extra graph output, no second export), so a
head fitted on them sees exactly what it will see when deployed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from moderation.classifier.transformer import model as mm

POOLED = "pooled"


def _pooled_graph(source: Path, target: Path) -> Path:
    """A copy of the exported graph that also outputs the pooled vector (the input of the sentiment head)."""
    import onnx

    graph_model = onnx.load(str(source))
    graph = graph_model.graph
    head = next(node for node in graph.node if node.name.startswith("/sentiment/") and "MatMul" in node.op_type)
    pooled = head.input[0]
    # Quantised, the head reads the pooled vector through a DynamicQuantizeLinear: take that node's input.
    producer = next((node for node in graph.node if pooled in node.output), None)
    if producer is not None and producer.op_type == "DynamicQuantizeLinear":
        pooled = producer.input[0]
    graph.node.append(onnx.helper.make_node("Identity", [pooled], [POOLED], name="pooled_output"))
    graph.output.append(onnx.helper.make_tensor_value_info(POOLED, onnx.TensorProto.FLOAT, None))
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(graph_model, str(target))
    return target


class PooledEncoder:
    """`vectors(texts)` -> float32 [n, 384], cached per (weights version, text) in `cache_dir/features`."""

    def __init__(self, encoder_dir: Path, weights: Path, cache_dir: Path, threads: int = 2, batch_size: int = 32):
        from moderation.classifier.transformer.classifier import TransformerClassifier, _session
        from moderation.classifier.transformer.export import onnx_path

        classifier = TransformerClassifier(encoder_dir, weights, cache_dir, "onnx", batch_size, threads)
        self.version = classifier.version
        self.tokenizer = classifier.tokenizer
        self.batch_size = batch_size
        self.folder = cache_dir / "features" / self.version
        graph = self.folder / "pooled.onnx"
        if not graph.exists():
            _pooled_graph(onnx_path(cache_dir, classifier.weights_version), graph)
        self.session = _session(graph, threads)

    def _path(self, text: str) -> Path:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self.folder / "vectors" / digest[:2] / f"{digest[2:]}.npy"

    def vectors(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        missing = []
        for i, text in enumerate(texts):
            path = self._path(text)
            if path.exists():
                out[i] = np.load(path)
            else:
                missing.append(i)
        order = sorted(missing, key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = self.tokenizer([mm.PREFIX + texts[i] for i in rows], truncation=True,
                                   max_length=mm.MAX_LENGTH, padding=True, return_tensors="np")  # fmt: skip
            feed = {"input_ids": batch["input_ids"].astype(np.int64),
                    "attention_mask": batch["attention_mask"].astype(np.int64)}  # fmt: skip
            pooled = self.session.run([POOLED], feed)[0]
            for row, i in enumerate(rows):
                out[i] = pooled[row]
                path = self._path(texts[i])
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, pooled[row])
            if progress:
                print(f"pooled {start + len(rows)}/{len(order)}", flush=True)
        return out
