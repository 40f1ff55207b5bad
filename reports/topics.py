"""Topics of the customer journey, found in French and English text by comparing each sentence with the topics'
example phrases (the industry's shipped list, reports/topic_lists/, extended by settings), and the sentiment of
the sentences that speak of each topic (aspect-level sentiment).

Two taggers share one rule: a sentence takes the topic of its most similar examples when the similarity reaches
the tagger's threshold and beats the second best topic by a margin (a sentence that could be either stands under
neither); a mention takes the topics of its sentences (score: the best sentence's), or "other" with its best
score when no sentence is clear. Each topic keeps its sentences and their sentiment from the shipped classifier,
so "late delivery but lovely staff" is a delivery irritant and a staff praise, whatever the stars.
- `EmbeddingTagger` (the default): the classifier's encoder, multilingual-e5-small rebuilt locally, mean-pooled
  and normalised, so "colis" and "parcel" meet without a shared word.
- `LexicalTagger` (the fallback when the encoder cannot be loaded): TF-IDF over character 3-5-grams. Cheap,
  no model, but it only finds topics whose example phrases share word pieces with the text.
Thresholds and margins were chosen on tests/reports/data/topics_dev.tsv; accuracy is measured on topics_test.tsv.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from moderation.classifier.base import SENTIMENTS, Classifier, Prediction
from reports.topic_list import CUSTOM, industry_topics

log = logging.getLogger("veilleur.reports")
OTHER = "other"
MAX_SENTENCES = 12
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass(frozen=True)
class Topic:
    name: str
    label: str
    examples: tuple[str, ...]
    origin: str = CUSTOM  # the topic list it comes from ("restaurant.v1"), or "custom" for settings' own topics


def topics_from(settings_topics: Sequence[Any], industry: str = "retail") -> list[Topic]:
    """The industry's shipped topic list (reports/topic_lists/), extended by `[[reports.topics]]`: a settings
    topic with the name of a shipped one replaces it, any other is added. Industry "none": the settings' alone."""
    shipped, origin = industry_topics(industry)
    topics = {str(t["name"]): Topic(str(t["name"]), str(t["label"]), tuple(t["examples"]), origin) for t in shipped}
    for t in settings_topics:
        topics[t.name] = Topic(t.name, t.label, tuple(t.examples), CUSTOM)
    return list(topics.values())


def brand_topics(reports_settings: Any, brand_settings: Any) -> list[Topic]:
    """A brand's topic list: the shipped list of its industry (`[[brands]] industry`, else `[reports] industry`),
    extended by `[[reports.topics]]` when that is the `[reports]` industry, then by its own `[[brands.topics]]`
    (one named as a shipped or `[reports]` topic replaces it)."""
    industry = brand_settings.industry or reports_settings.industry
    shared = list(reports_settings.topics) if industry == reports_settings.industry else []
    return topics_from([*shared, *brand_settings.topics], industry)


def describe_version(version: str | None) -> tuple[str | None, str | None]:
    """(models, topic lists) of a tagger version, as a report says them: ("embeddings-e5-small, sentence
    sentiment e5-small-vei.3bcc50f11dcf", "restaurant.v1"). Versions from before topic lists: (version, None)."""
    if not version or version.count("|") != 3:
        return version, None
    method, lists, sentiment, _ = version.split("|")
    judged = "no sentence sentiment" if sentiment == "nosent" else f"sentence sentiment {sentiment}"
    return f"{method}, {judged}", lists


def list_names(topics: Sequence[Topic]) -> str:
    """The topic lists a set of topics comes from, as shown in reports: "restaurant.v1+custom"."""
    origins = sorted({t.origin for t in topics}, key=lambda origin: (origin == CUSTOM, origin))
    return "+".join(origins) or CUSTOM


def sentences(text: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCE_END.split(text or "")]
    kept = [part for part in parts if len(part) >= 3]
    return kept[:MAX_SENTENCES] or [text.strip()[:500] or "-"]


class Tagger(Protocol):
    method: str
    version: str

    def tag(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]: ...

    def aspects(self, texts: Sequence[str]) -> list[list[Aspect]]: ...


@dataclass(frozen=True)
class Aspect:
    """One topic of one mention: the sentence(s) that speak of it and their sentiment (None without a model)."""

    topic: str
    score: float
    sentence: str = ""
    sentiment: str | None = None
    sentiment_score: float | None = None  # the probability of `sentiment`


def sentiment_version(classifier: Classifier | None) -> str:
    """The sentence-sentiment part of a tagger version: the weights, not the runtime (int8 or fp32 give the
    same labels to within noise, and re-tagging every mention for a runtime change would cost hours)."""
    if classifier is None:
        return "nosent"
    return f"{classifier.name[:12]}.{getattr(classifier, 'weights_version', classifier.version)[:12]}"


class _SimilarityTagger:
    """Shared rule: subclasses give `embed(texts) -> normalised vectors` and a threshold."""

    method = ""
    model = ""
    threshold = 0.0
    # A sentence goes to its best topic only when it beats the second best by this much: a sentence that could
    # be either stands under neither (one quote, one topic). Chosen on topics_dev.tsv (docs/reports.md).
    margin = 0.0
    top_k = 2
    examples: np.ndarray

    def __init__(self, topics: Sequence[Topic], sentiment: Classifier | None = None) -> None:
        self.topics = list(topics)
        self.sentiment = sentiment
        self.example_topic = np.array([i for i, t in enumerate(self.topics) for _ in t.examples])
        self.version = self.version_for(topics, sentiment_version(sentiment))

    @classmethod
    def version_for(cls, topics: Sequence[Topic], sentiment: str | None = None) -> str:
        """The version this tagger would stamp on its tags, known without loading any model: method and model,
        the topic lists it was made from, the sentence-sentiment model (None: the shipped classifier's) and a
        hash of the whole recipe."""
        sentiment = shipped_sentiment_version() if sentiment is None else sentiment
        recipe = json.dumps([[t.name, list(t.examples)] for t in topics], ensure_ascii=False)
        digest = hashlib.sha256(f"{recipe}|{cls.threshold}|{cls.margin}|{cls.top_k}|{sentiment}".encode())
        return "|".join((f"{cls.method}-{cls.model}", list_names(topics), sentiment, digest.hexdigest()[:10]))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def prepare(self) -> None:
        self.examples = self.embed([e for t in self.topics for e in t.examples])

    def sentence_scores(self, texts: Sequence[str]) -> list[tuple[int, float, float]]:
        """For each sentence: (index of its best topic, similarity, lead over the second best topic)."""
        similarity = self.embed(texts) @ self.examples.T
        # A topic's score is the mean of its `top_k` most similar examples: one odd example cannot win alone.
        per_topic = np.stack(
            [
                np.sort(similarity[:, self.example_topic == t], axis=1)[:, -self.top_k :].mean(axis=1)
                for t in range(len(self.topics))
            ],
            axis=1,
        )
        ranked = np.sort(per_topic, axis=1)
        lead = ranked[:, -1] - ranked[:, -2] if len(self.topics) > 1 else ranked[:, -1]
        best = per_topic.argmax(axis=1)
        return [(int(t), float(per_topic[i, t]), float(lead[i])) for i, t in enumerate(best)]

    def _assigned(self, texts: Sequence[str]) -> list[list[tuple[str, str, float]]]:
        """Per text: (sentence, topic, score) for each sentence, topic "" when none is clear enough."""
        split = [sentences(text) for text in texts]
        flat = [s for parts in split for s in parts]
        scored = self.sentence_scores(flat) if flat else []
        out: list[list[tuple[str, str, float]]] = []
        position = 0
        for parts in split:
            row = []
            for sentence, (topic, score, lead) in zip(parts, scored[position : position + len(parts)], strict=True):
                clear = score >= self.threshold and lead >= self.margin
                row.append((sentence, self.topics[topic].name if clear else "", score))
            position += len(parts)
            out.append(row)
        return out

    def tag(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        return [[(a.topic, a.score) for a in found] for found in self._aspects(texts, with_sentiment=False)]

    def aspects(self, texts: Sequence[str]) -> list[list[Aspect]]:
        return self._aspects(texts, with_sentiment=True)

    def _aspects(self, texts: Sequence[str], with_sentiment: bool) -> list[list[Aspect]]:
        assigned = self._assigned(texts)
        judged = [s for row in assigned for s, topic, _ in row if topic]
        model = self.sentiment if with_sentiment else None
        # Sentence sentiment in one batch for the whole call (the classifier sorts by length and batches itself).
        polarity = dict(zip(judged, model.predict(judged), strict=True)) if model and judged else {}
        results: list[list[Aspect]] = []
        for row in assigned:
            found: dict[str, list[tuple[str, float]]] = {}
            for sentence, topic, score in row:
                if topic:
                    found.setdefault(topic, []).append((sentence, score))
            if not found:
                results.append([Aspect(OTHER, max((score for _, _, score in row), default=0.0))])
                continue
            aspects = []
            for topic, said in sorted(found.items()):
                text = " ".join(sentence for sentence, _ in said)
                label, probability = _combined([polarity[s] for s, _ in said if s in polarity])
                aspects.append(Aspect(topic, max(score for _, score in said), text, label, probability))
            results.append(aspects)
        return results


def _combined(predictions: Sequence[Prediction]) -> tuple[str | None, float | None]:
    """The sentiment of a topic's sentences together: their mean probabilities' strongest label."""
    if not predictions:
        return None, None
    mean = {label: sum(p.sentiment.get(label, 0.0) for p in predictions) / len(predictions) for label in SENTIMENTS}
    label = max(SENTIMENTS, key=lambda name: mean[name])
    return label, round(mean[label], 4)


class EmbeddingTagger(_SimilarityTagger):
    method = "embeddings"
    model = "e5-small"
    threshold = 0.875
    # Any margin cost accuracy on topics_dev.tsv (0.80 at 0, 0.75 at 0.005, 0.675 at 0.01): each sentence still
    # takes its one best topic, so a sentence is never quoted under two.
    margin = 0.0

    def __init__(self, topics: Sequence[Topic], cache_dir: Path, sentiment: Classifier | None = None) -> None:
        from moderation.relevance.encoder import shared_encoder

        super().__init__(topics, sentiment)
        # The process's one encoder: the relevance score uses the same instance.
        self.encoder = shared_encoder(cache_dir)
        self.prepare()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.embed(texts)


class LexicalTagger(_SimilarityTagger):
    method = "lexical"
    model = "tfidf-char"
    threshold = 0.18
    margin = 0.01  # topics_dev.tsv: 0.875 at 0 and at 0.01, 0.85 at 0.02

    def __init__(self, topics: Sequence[Topic], sentiment: Classifier | None = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        super().__init__(topics, sentiment)
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)
        self.vectorizer.fit([e for t in self.topics for e in t.examples])
        self.prepare()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        # TfidfVectorizer rows are already L2-normalised.
        return np.asarray(self.vectorizer.transform(list(texts)).toarray(), dtype=np.float32)


@lru_cache(maxsize=2)
def shipped_sentiment(cache_dir: Path) -> Classifier | None:
    """The shipped fine-tuned classifier, for sentence sentiment; None when it cannot be loaded (tags then keep
    no sentence sentiment and reports fall back to the whole mention's)."""
    from moderation.classifier.transformer import model as mm
    from moderation.classifier.transformer.classifier import TransformerClassifier
    from moderation.classifier.transformer.rebuild import ensure_encoder

    try:
        encoder_dir = ensure_encoder(cache_dir)
        try:
            return TransformerClassifier(encoder_dir, mm.WEIGHTS_FILE, cache_dir, "onnx")
        except ImportError:
            return TransformerClassifier(encoder_dir, mm.WEIGHTS_FILE, cache_dir, "torch")
    except (ImportError, OSError) as error:
        log.warning("topic tagger: no sentence sentiment, the classifier cannot be loaded (%s)", error)
        return None


@lru_cache(maxsize=1)
def shipped_sentiment_version() -> str:
    """What `sentiment_version` gives the shipped classifier, read from its weights without loading them."""
    from moderation.classifier.transformer import model as mm

    if not mm.WEIGHTS_FILE.exists():
        return "nosent"
    return f"{mm.MODEL_NAME[:12]}.{mm.weights_version(mm.WEIGHTS_FILE)}"


def make_tagger(topics: Sequence[Topic], cache_dir: Path, method: str = "embeddings") -> Tagger:
    """The encoder's tagger with the shipped classifier's sentence sentiment; the lexical one (no sentence
    sentiment) when asked for, or when the encoder cannot be loaded."""
    if method == "embeddings":
        try:
            return EmbeddingTagger(topics, cache_dir, shipped_sentiment(cache_dir))
        except (ImportError, OSError) as error:
            log.warning("topic tagger: encoder unavailable (%s), using the lexical fallback", error)
    return LexicalTagger(topics)
