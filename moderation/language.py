"""Language of a mention, by py3langid (a trained identifier, not a home-made guess)."""

from __future__ import annotations

_MIN_CHARS = 3


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text`, or None when there is too little text to tell."""
    if len(text.strip()) < _MIN_CHARS:
        return None
    import py3langid  # loads its model on first use

    language, _score = py3langid.classify(text)
    return str(language)
