"""Choose the classifier named in settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from moderation.classifier.base import Classifier

if TYPE_CHECKING:
    from config.settings import Settings


def load_classifier(settings: Settings) -> Classifier:
    config = settings.classifier
    if config.model == "transformer":
        from moderation.classifier.transformer import load_transformer

        return load_transformer(settings)
    from moderation.classifier.baseline import BaselineClassifier

    return BaselineClassifier.load(settings.path(config.labelled_dir), settings.path(config.cache_dir))
