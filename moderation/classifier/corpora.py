"""Readers for the labelled corpora in ../shared/labelled (see its MANIFEST.md). Training splits only:
the sets marked EVAL_ONLY or NONCOMMERCIAL are never read here."""

from __future__ import annotations

import csv
from pathlib import Path

SENTIMENT_LABELS = ("negative", "neutral", "positive")


class CorpusError(Exception):
    """A labelled corpus is missing or unreadable; the message names the file."""


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CorpusError(f"labelled corpus file not found: {path} (setting [classifier] labelled_dir)") from None


def umsab(folder: Path, split: str) -> list[tuple[str, str]]:
    """Tweets with 0 negative, 1 neutral, 2 positive."""
    texts = _lines(folder / f"{split}_text.txt")
    labels = _lines(folder / f"{split}_labels.txt")
    if len(texts) != len(labels):
        raise CorpusError(f"{folder}: {split}_text.txt and {split}_labels.txt differ in length")
    return [(text, SENTIMENT_LABELS[int(label)]) for text, label in zip(texts, labels, strict=True)]


def uci_sentences(folder: Path) -> list[tuple[str, str]]:
    rows = []
    for name in ("amazon_cells_labelled.txt", "yelp_labelled.txt", "imdb_labelled.txt"):
        for line in _lines(folder / name):
            text, _, label = line.rpartition("\t")
            if text and label.strip() in ("0", "1"):
                rows.append((text.strip(), "positive" if label.strip() == "1" else "negative"))
    return rows


def davidson(path: Path) -> list[tuple[str, int]]:
    """class 0 hate, 1 offensive -> toxic (1); 2 neither -> 0."""
    with _open(path) as handle:
        return [(row["tweet"], int(row["class"] in ("0", "1"))) for row in csv.DictReader(handle)]


def mlma(path: Path) -> list[tuple[str, int]]:
    """`sentiment` holds hostility types; 'normal' alone means not hostile."""
    with _open(path) as handle:
        return [(row["tweet"], int(row["sentiment"] != "normal")) for row in csv.DictReader(handle)]


def tweeteval_offensive(folder: Path, split: str) -> list[tuple[str, int]]:
    texts = _lines(folder / f"{split}_text.txt")
    labels = _lines(folder / f"{split}_labels.txt")
    return [(text, int(label)) for text, label in zip(texts, labels, strict=True)]


def youtube_spam(path: Path) -> list[tuple[str, int]]:
    with _open(path) as handle:
        return [(row[1], int(row[0] == "spam")) for row in csv.reader(handle) if len(row) == 2]


def _open(path: Path):  # type: ignore[no-untyped-def]
    try:
        # Some corpora carry stray Latin-1 bytes; replacing them keeps every labelled row.
        return path.open(encoding="utf-8", errors="replace", newline="")
    except FileNotFoundError:
        raise CorpusError(f"labelled corpus file not found: {path} (setting [classifier] labelled_dir)") from None


def _review_key(text: str) -> bytes:
    import re
    import unicodedata

    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip().encode("utf-8")


def reviews_stars(folder: Path) -> list[tuple[str, int, str, str, str]]:
    """Real reviews with their author's stars: (text, stars, language, file stem, "train" | "dev").

    The split is the one the folder's README fixes (sha1 of the normalised text, modulo 5): by text, so it does
    not move if the files are regenerated or re-ordered."""
    import hashlib
    import json

    paths = sorted(folder.glob("*.jsonl"))
    if not paths:
        raise CorpusError(f"no reviews found in {folder} (setting [classifier] labelled_dir)")
    out = []
    for path in paths:
        for line in _lines(path):
            if line.strip():
                row = json.loads(line)
                dev = int(hashlib.sha1(_review_key(row["text"])).hexdigest(), 16) % 5 == 0
                out.append((row["text"], int(row["stars"]), row["lang"], path.stem, "dev" if dev else "train"))
    return out
