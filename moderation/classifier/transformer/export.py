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


def onnx_path(cache_dir: Path, version: str) -> Path:
    return cache_dir / "onnx" / f"{mm.MODEL_NAME}-{version}-int8.onnx"


def export(model: mm.MultiHeadModel, target: Path) -> Path:
    """fp32 ONNX next to `target`, then int8 weights into `target`; the fp32 file is removed after."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_suffix(".fp32.onnx")
    model.eval()
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
    partial = target.with_suffix(".partial.onnx")
    # Per-channel int8 MatMul weights; the word-embedding Gather stays fp32 (it is a lookup, not compute).
    quantize_dynamic(
        str(fp32), str(partial), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
    )
    os.replace(partial, target)
    fp32.unlink(missing_ok=True)
    return target
