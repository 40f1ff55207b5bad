"""Language of a mention, by py3langid (a trained identifier, not a home-made guess)."""

from __future__ import annotations

from functools import lru_cache

# The product is French-first and English too; other languages are still stored as detected.
_MIN_CHARS = 3


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text`, or None when there is too little text to tell."""
    if len(text.strip()) < _MIN_CHARS:
        return None
    language, _probability = _identifier().classify(text)
    return str(language)
