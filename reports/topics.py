"""Topics of the customer journey, found in French and English text by comparing each sentence with the topics'
example phrases (settings).

Two taggers share one rule: a sentence takes the topic of its most similar example when the similarity reaches
the tagger's threshold; a mention takes the topics of its sentences (score: the best sentence's), or "other"
with its best score when no sentence reaches it.
- `EmbeddingTagger` (the default): the classifier's encoder, multilingual-e5-small rebuilt locally, mean-pooled
  and normalised, so "colis" and "parcel" meet without a shared word.
- `LexicalTagger` (the fallback when the encoder cannot be loaded): TF-IDF over character 3-5-grams. Cheap,
  no model, but it only finds topics whose example phrases share word pieces with the text.
Thresholds were chosen on tests/reports/data/topics_dev.tsv; accuracy is measured on topics_test.tsv.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from reports.topic_list import DEFAULT_TOPICS

log = logging.getLogger("veilleur.reports")
OTHER = "other"
MAX_SENTENCES = 12
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass(frozen=True)
class Topic:
    name: str
    label: str
    examples: tuple[str, ...]


def topics_from(settings_topics: Sequence[Any]) -> list[Topic]:
    """Topics from `[reports] topics`, or the built-in list when it is empty."""
    if settings_topics:
        return [Topic(t.name, t.label, tuple(t.examples)) for t in settings_topics]
    return [Topic(str(t["name"]), str(t["label"]), tuple(t["examples"])) for t in DEFAULT_TOPICS]


def sentences(text: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCE_END.split(text or "")]
    kept = [part for part in parts if len(part) >= 3]
    return kept[:MAX_SENTENCES] or [text.strip()[:500] or "-"]


class Tagger(Protocol):
    method: str
    version: str

    def tag(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]: ...


class _SimilarityTagger:
    """Shared rule: subclasses give `embed(texts) -> normalised vectors` and a threshold."""

    method = ""
    model = ""
    threshold = 0.0
    top_k = 2
    examples: np.ndarray

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.topics = list(topics)
        self.example_topic = np.array([i for i, t in enumerate(self.topics) for _ in t.examples])
        self.version = self.version_for(topics)

    @classmethod
    def version_for(cls, topics: Sequence[Topic]) -> str:
        """The version this tagger would stamp on its tags, known without loading any model."""
        recipe = json.dumps([[t.name, list(t.examples)] for t in topics], ensure_ascii=False)
        digest = hashlib.sha256(f"{recipe}|{cls.threshold}|{cls.top_k}".encode()).hexdigest()[:10]
        return f"{cls.method}-{cls.model}-{digest}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def prepare(self) -> None:
        self.examples = self.embed([e for t in self.topics for e in t.examples])

    def sentence_scores(self, texts: Sequence[str]) -> list[tuple[int, float]]:
        """For each sentence: (index of its best topic, similarity)."""
        similarity = self.embed(texts) @ self.examples.T
        # A topic's score is the mean of its `top_k` most similar examples: one odd example cannot win alone.
        per_topic = np.stack(
            [
                np.sort(similarity[:, self.example_topic == t], axis=1)[:, -self.top_k :].mean(axis=1)
                for t in range(len(self.topics))
            ],
            axis=1,
        )
        best = per_topic.argmax(axis=1)
        return [(int(t), float(per_topic[i, t])) for i, t in enumerate(best)]

    def tag(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        split = [sentences(text) for text in texts]
        flat = [s for parts in split for s in parts]
        scored = self.sentence_scores(flat) if flat else []
        results: list[list[tuple[str, float]]] = []
        position = 0
        for parts in split:
            found: dict[str, float] = {}
            best = 0.0
            for topic, score in scored[position : position + len(parts)]:
                best = max(best, score)
                if score >= self.threshold:
                    name = self.topics[topic].name
                    found[name] = max(found.get(name, 0.0), score)
            position += len(parts)
            results.append(sorted(found.items()) if found else [(OTHER, best)])
        return results


class EmbeddingTagger(_SimilarityTagger):
    method = "embeddings"
    model = "e5-small"
    threshold = 0.875

    def __init__(self, topics: Sequence[Topic], cache_dir: Path) -> None:
        from moderation.relevance.encoder import shared_encoder

        super().__init__(topics)
        # The process's one encoder: the relevance score uses the same instance.
        self.encoder = shared_encoder(cache_dir)
        self.prepare()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.embed(texts)


class LexicalTagger(_SimilarityTagger):
    method = "lexical"
    model = "tfidf-char"
    threshold = 0.18

    def __init__(self, topics: Sequence[Topic]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        super().__init__(topics)
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)
        self.vectorizer.fit([e for t in self.topics for e in t.examples])
        self.prepare()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        # TfidfVectorizer rows are already L2-normalised.
        return np.asarray(self.vectorizer.transform(list(texts)).toarray(), dtype=np.float32)


def make_tagger(topics: Sequence[Topic], cache_dir: Path, method: str = "embeddings") -> Tagger:
    """The encoder's tagger; the lexical one when asked for, or when the encoder cannot be loaded."""
    if method == "embeddings":
        try:
            return EmbeddingTagger(topics, cache_dir)
        except (ImportError, OSError) as error:
            log.warning("topic tagger: encoder unavailable (%s), using the lexical fallback", error)
    return LexicalTagger(topics)
