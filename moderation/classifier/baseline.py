"""TF-IDF + logistic regression, trained on ../shared/labelled at first use and cached.

A plainly named baseline: it stands in when the transformer is not chosen or not available, and it is
the yardstick the transformer is measured against.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from moderation.classifier import corpora
from moderation.classifier.base import SENTIMENTS, Prediction

NAME = "tfidf-logreg-baseline"
_RECIPE = "2"  # bump when the training recipe below changes: the version (and the cache) follow
_SEED = 0


def _training_sets(labelled: Path) -> dict[str, list[tuple[str, Any]]]:
    rng = random.Random(_SEED)
    toxic = (
        corpora.mlma(labelled / "mlma" / "fr_dataset.csv")
        + corpora.mlma(labelled / "mlma" / "en_dataset.csv")
        + corpora.tweeteval_offensive(labelled / "tweeteval_offensive", "train")
    )
    davidson = corpora.davidson(labelled / "davidson" / "labeled_data.csv")
    toxic += rng.sample(davidson, min(6000, len(davidson)))
    spam_files = sorted((labelled / "youtube_spam").glob("*.csv"))
    reviews = corpora.uci_sentences(labelled / "uci_review_sentences_en")
    french = corpora.umsab(labelled / "umsab_fr", "train")
    english = corpora.umsab(labelled / "umsab_en", "train")
    # Review sentences are neither spam nor aimed at anyone: without them as negatives, the tiny spam
    # corpus (YouTube comments) and the tweet corpora flag ordinary reviews.
    not_flagged = [(text, 0) for text, _ in reviews] + [(text, 0) for text, _ in rng.sample(french, 600)]
    return {
        "sentiment": french + english + reviews,
        # MLMA's French rows are 80 % hostile: without ordinary French text as negatives, the model learns
        # "French means toxic". UMSAB's tweets are ordinary tweets (weak labels: assumed not hostile).
        "toxic": toxic + [(text, 0) for text, _ in reviews + french + english],
        "spam": [row for path in spam_files for row in corpora.youtube_spam(path)] + not_flagged,
    }


def _fit(rows: list[tuple[str, Any]]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels = zip(*rows, strict=True)
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, max_features=200_000),
        LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced"),
    )
    return model.fit(list(texts), list(labels))


class BaselineClassifier:
    name = NAME

    def __init__(self, models: dict[str, Any], version: str) -> None:
        self.models = models
        self.version = version

    @classmethod
    def load(cls, labelled_dir: Path, cache_dir: Path) -> BaselineClassifier:
        """Train once (about a minute on 2 cores) and cache; later loads read the cache."""
        sets = _training_sets(labelled_dir)
        digest = hashlib.sha256(_RECIPE.encode())
        for task in sorted(sets):
            for text, label in sets[task]:
                digest.update(f"{task}\x1f{text}\x1f{label}\n".encode())
        version = f"r{_RECIPE}-{digest.hexdigest()[:12]}"
        cache = cache_dir / f"{NAME}-{version}.pkl"
        if cache.exists():
            with cache.open("rb") as handle:  # our own cache file, written below
                return cls(pickle.load(handle), version)
        models = {task: _fit(rows) for task, rows in sets.items()}
        cache_dir.mkdir(parents=True, exist_ok=True)
        # A name of its own: two workers starting on a fresh install both train, and the second one's rename found
        # the shared ".tmp" already moved by the first (FileNotFoundError, the job failed once).
        partial = cache.with_name(f".{cache.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(models, handle)
        partial.replace(cache)
        return cls(models, version)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        texts = list(texts)
        sentiment_model = self.models["sentiment"]
        order = list(sentiment_model.classes_)
        sentiment = sentiment_model.predict_proba(texts)
        toxic = self.models["toxic"].predict_proba(texts)[:, 1]
        spam = self.models["spam"].predict_proba(texts)[:, 1]
        predictions = []
        for row, toxic_p, spam_p in zip(sentiment, toxic, spam, strict=True):
            probabilities = {label: float(row[order.index(label)]) for label in SENTIMENTS}
            # No star corpus may be trained on here: stars are the expectation over 1 / 3 / 5.
            stars = 1 * probabilities["negative"] + 3 * probabilities["neutral"] + 5 * probabilities["positive"]
            predictions.append(Prediction(probabilities, stars, float(toxic_p), float(spam_p)))
        return predictions
