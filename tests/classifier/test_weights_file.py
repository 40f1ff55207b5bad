"""The shipped-weights format on a tiny random encoder: int8 deltas from the base load back close to the trained
values, the heads exactly, and a file that lacks a parameter is refused with its path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from moderation.classifier.transformer import model as mm


def _tiny(seed: int) -> mm.MultiHeadModel:
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32)  # fmt: skip
    return mm.MultiHeadModel(BertModel(config, add_pooling_layer=False))


def _fine_tuned(seed: int) -> tuple[mm.MultiHeadModel, dict[str, torch.Tensor]]:
    model = _tiny(seed)
    base = mm.base_matrices(model)
    with torch.no_grad():  # what training does, roughly: small moves of every trained parameter
        for param in model.trained_parameters().values():
            param.add_(torch.randn_like(param) * 0.01)
    return model, base


def test_int8_deltas_load_back_onto_the_same_base(tmp_path: Path) -> None:
    trained, base = _fine_tuned(seed=1)
    path = tmp_path / "weights.safetensors"
    mm.save_weights(trained, path, {"model": "tiny"}, base)

    loaded = _tiny(seed=1)  # the same base, rebuilt
    assert mm.load_weights(loaded, path) == {"model": "tiny"}
    expected = trained.trained_parameters()
    for name, param in loaded.trained_parameters().items():
        if name in base:  # int8 delta: off by at most half a step of its row's scale
            step = (expected[name] - base[name]).abs().amax(dim=1, keepdim=True) / 127
            assert ((param - expected[name]).abs() <= step / 2 + 1e-6).all(), name
            assert not torch.equal(param, base[name]), name  # the change was applied
        elif name.startswith("encoder."):  # biases and layer norms: fp16
            assert torch.allclose(param, expected[name], atol=1e-3), name
        else:
            assert torch.equal(param, expected[name]), name
    ids = torch.randint(0, 50, (3, 7))
    mask = torch.ones_like(ids)
    trained.eval(), loaded.eval()
    assert torch.allclose(trained(ids, mask), loaded(ids, mask), atol=1e-3)


def test_a_file_missing_a_parameter_is_refused(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    trained, base = _fine_tuned(seed=2)
    path = tmp_path / "weights.safetensors"
    mm.save_weights(trained, path, {}, base)
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    tensors.pop("sentiment.weight")
    save_file(tensors, str(path))
    with pytest.raises(ValueError, match="weights.safetensors: missing trained parameters"):
        mm.load_weights(_tiny(seed=2), path)


def test_a_delta_without_its_scale_is_refused(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    trained, base = _fine_tuned(seed=3)
    path = tmp_path / "weights.safetensors"
    mm.save_weights(trained, path, {}, base)
    tensors = load_file(str(path))
    scale = next(name for name in tensors if name.endswith(mm.SCALE))
    tensors.pop(scale)
    save_file(tensors, str(path))
    with pytest.raises(ValueError, match=r"weights.safetensors: delta .* has no matching parameter or scale"):
        mm.load_weights(_tiny(seed=3), path)
