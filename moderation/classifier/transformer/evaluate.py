"""One evaluation run: the model and two baselines (majority class; TF-IDF + logistic regression, both fitted
on the same training mix as the model) on held-out splits and on real reviews, per task and per language.

Binary decisions (toxic, spam) are taken at `threshold` for every model alike, so the columns compare.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moderation.classifier.base import SENTIMENTS, Prediction
from moderation.classifier.transformer import data, realdata
from moderation.language import detect_language

Scorer = Callable[[Sequence[str]], list[Prediction]]


@dataclass
class EvalSet:
    name: str
    task: str  # sentiment | stars | toxic | spam | flagged (coarse complaints: share flagged as abuse)
    language: str
    texts: list[str]
    labels: list


def eval_sets(labelled: Path, real_dir: Path = realdata.DEFAULT_DIR, sms_sample: int = 1000) -> list[EvalSet]:
    sets = [EvalSet(name, task, lang, [t for t, _ in rows], [lab for _, lab in rows])
            for name, (task, lang, rows) in data.held_out(labelled).items()]  # fmt: skip
    absa = _absa(labelled / "absa_fr_tripadvisor_EVAL_ONLY" / "ftdataset_val.tsv")
    sets.append(
        EvalSet("absa_fr (EVAL_ONLY)", "sentiment", "fr", [t for t, _ in absa], [realdata.polarity(s) for _, s in absa])
    )
    sets.append(EvalSet("absa_fr (EVAL_ONLY)", "stars", "fr", [t for t, _ in absa], [s for _, s in absa]))
    sms = _sms_fr(labelled / "sms_spam_fr_translated_EVAL_ONLY" / "data-en-hi-de-fr.csv", sms_sample)
    sets.append(EvalSet("sms_spam_fr (EVAL_ONLY)", "spam", "fr", [t for t, _ in sms], [y for _, y in sms]))
    hand = data.read_hand(data.HAND_TEST)
    for lang in ("fr", "en"):
        rows = [e for e in hand if e.language == lang]
        abuse = [e for e in rows if e.source != "hand:spam"]
        sets.append(EvalSet("hand_test", "toxic", lang, [e.text for e in abuse], [e.toxic for e in abuse]))
        sets.append(EvalSet("hand_test", "spam", lang, [e.text for e in rows], [e.spam for e in rows]))
        coarse = [e.text for e in rows if e.source == "hand:coarse_complaint"]
        sets.append(EvalSet("hand_test coarse complaints", "flagged", lang, coarse, [0] * len(coarse)))
        written = [e for e in rows if e.source == "hand:review" and e.sentiment is not None]
        texts = [e.text for e in written]
        polarities = [SENTIMENTS[e.sentiment] for e in written if e.sentiment is not None]
        sets.append(EvalSet("hand_test reviews", "sentiment", lang, texts, polarities))
        sets.append(EvalSet("hand_test reviews", "stars", lang, texts, [e.stars for e in written]))
    for lang in ("fr", "en"):
        dev = [(t, s) for t, s, language, _, part in data.reviews_stars(labelled) if part == "dev" and language == lang]
        texts, stars = [t for t, _ in dev], [s for _, s in dev]
        sets.append(EvalSet("reviews_stars dev", "sentiment", lang, texts, [realdata.polarity(s) for s in stars]))
        sets.append(EvalSet("reviews_stars dev", "stars", lang, texts, stars))
    for lang in ("fr", "en"):
        posts = [row for row in data.read_posts() if row["language"] == lang]
        sets.append(
            EvalSet("short posts", "sentiment", lang, [r["text"] for r in posts], [r["sentiment"] for r in posts])
        )
    reviews = realdata.real_reviews(real_dir)
    for lang in ("fr", "en"):
        found = [(t, s) for _, t, s in reviews if detect_language(t) == lang]
        sets.append(
            EvalSet("real reviews", "sentiment", lang, [t for t, _ in found], [realdata.polarity(s) for _, s in found])
        )
        sets.append(EvalSet("real reviews", "stars", lang, [t for t, _ in found], [s for _, s in found]))
    return sets


def _absa(path: Path) -> list[tuple[str, float]]:
    import csv

    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    text_key = next(k for k in rows[0] if k.lower() in ("review", "text", "avis", "comment"))
    return [(row[text_key], float(row["Note"])) for row in rows if row.get("Note")]


def _sms_fr(path: Path, sample: int) -> list[tuple[str, int]]:
    import csv

    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        rows = list(csv.DictReader(handle))
    label_key = next(k for k in rows[0] if k.lower() in ("labels", "label", "v1", "class"))
    text_key = next(k for k in rows[0] if k.lower() in ("text_fr", "fr", "message_fr"))
    unique = list({row[text_key]: int(row[label_key] == "spam") for row in rows}.items())
    return random.Random(data.SEED).sample(unique, min(sample, len(unique)))


def score(task: str, labels: list, predictions: list[Prediction], threshold: float) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    if task == "sentiment":
        guess = [p.polarity for p in predictions]
        present = sorted(set(labels))
        scores = {"macro_f1": f1_score(labels, guess, labels=present, average="macro", zero_division=0),
                  "accuracy": accuracy_score(labels, guess)}  # fmt: skip
        positive = [g for g, y in zip(guess, labels, strict=True) if y == "positive"]
        if positive:  # issue 19's goal: a positive review read as negative under 5 %
            scores["pos_as_neg"] = positive.count("negative") / len(positive)
        return scores
    if task == "stars":
        return {"mae": float(np.mean([abs(p.stars - y) for p, y in zip(predictions, labels, strict=True)]))}
    if task == "flagged":
        flagged = [max(p.toxic, p.spam) >= threshold for p in predictions]
        return {"flagged": float(np.mean(flagged))}
    flags = [int(getattr(p, task) >= threshold) for p in predictions]
    return {"f1": f1_score(labels, flags, zero_division=0), "macro_f1": f1_score(labels, flags, average="macro"),
            "accuracy": accuracy_score(labels, flags)}  # fmt: skip


class Baseline:
    """Majority class (`kind="majority"`) or TF-IDF + LR (`kind="tfidf"`), one per head, on the training mix."""

    def __init__(self, kind: str, examples: list[data.Example]) -> None:
        self.kind, self.models = kind, {}
        for task in data.TASKS:
            rows = [(e.text, getattr(e, task)) for e in examples if getattr(e, task) is not None]
            texts, labels = [t for t, _ in rows], [y for _, y in rows]
            self.models[task] = Counter(labels).most_common(1)[0][0] if kind == "majority" else _fit(texts, labels)

    def _proba(self, task: str, texts: Sequence[str], classes: list) -> np.ndarray:
        model = self.models[task]
        if self.kind == "majority":
            out = np.zeros((len(texts), len(classes)))
            out[:, classes.index(model)] = 1.0
            return out
        proba = model.predict_proba(list(texts))
        out = np.zeros((len(texts), len(classes)))
        for j, label in enumerate(model.classes_):
            out[:, classes.index(label)] = proba[:, j]
        return out

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        sentiment = self._proba("sentiment", texts, [0, 1, 2])
        stars = self._proba("stars", texts, [1, 2, 3, 4, 5]) @ np.arange(1, 6)
        toxic = self._proba("toxic", texts, [0, 1])[:, 1]
        spam = self._proba("spam", texts, [0, 1])[:, 1]
        return [Prediction({s: float(sentiment[i, j]) for j, s in enumerate(SENTIMENTS)}, float(stars[i]),
                           float(toxic[i]), float(spam[i])) for i in range(len(texts))]  # fmt: skip


def _fit(texts: list[str], labels: list):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    # Same recipe as moderation/classifier/baseline.py, refitted here on exactly the model's training mix.
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, max_features=200_000),
        LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced"),
    )
    return model.fit(texts, labels)


def run(sets: list[EvalSet], scorers: dict[str, Scorer], threshold: float = 0.5) -> list[dict]:
    """Rows of the results table: one per (set, task, language), a metrics dict per scorer."""
    rows = []
    cache: dict[tuple[str, str], list[Prediction]] = {}
    for item in sets:
        if not item.texts:
            continue
        row: dict[str, Any] = {
            "set": item.name,
            "task": item.task,
            "language": item.language,
            "n": len(item.texts),
            "scores": {},
        }
        for name, scorer in scorers.items():
            key = (name, item.name + item.language + item.task.replace("stars", "sentiment"))
            if key not in cache:
                cache[key] = scorer(item.texts)
            row["scores"][name] = score(item.task, item.labels, cache[key], threshold)
        rows.append(row)
    return rows
