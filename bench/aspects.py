"""Aspect-level sentiment: F1 of (topic, polarity) pairs found by the topic tagger and the shipped classifier's
sentence sentiment, on two sets. Prints figures; asserts nothing (docs/reports.md keeps the figures).

    .venv/bin/python -m bench.aspects [--limit N]

- English: tests/fixtures/aspects/restaurant_en.tsv, 65 sentences written for this project, one topic of the
  restaurant list (or "other") and a polarity each. A pair counts when topic and polarity are both right.
- French: the TripAdvisor restaurant reviews in ../shared/labelled/absa_fr_tripadvisor_EVAL_ONLY (validation file,
  600 reviews; evaluation only, never used to choose anything). Each review has a polarity (or NE, not
  expressed) for Prix, Cuisine and Service; ours: the sentences tagged price_value, food, or service and
  wait_time, and their combined sentiment. Neutral gold labels are left out (the set marks few, inconsistently).
  For comparison, the same topics judged by the review's stars (the reports' rule before aspect sentiment).
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from reports.topics import OTHER, EmbeddingTagger, shipped_sentiment, topics_from

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "tests" / "fixtures" / "aspects" / "restaurant_en.tsv"
TRIPADVISOR = ROOT.parent / "shared" / "labelled" / "absa_fr_tripadvisor_EVAL_ONLY" / "ftdataset_val.tsv"
ASPECTS = {"Prix": ("price_value",), "Cuisine": ("food",), "Service": ("service", "wait_time")}
GOLD = {"Positive": "positive", "Négative": "negative"}


def f1(gold: Iterable[tuple[object, ...]], predicted: Iterable[tuple[object, ...]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of predicted pairs against gold pairs (sets of (item, aspect, polarity))."""
    gold, predicted = set(gold), set(predicted)
    hit = len(gold & predicted)
    precision = hit / len(predicted) if predicted else 0.0
    recall = hit / len(gold) if gold else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if hit else 0.0


def show(name: str, scores: tuple[float, float, float]) -> None:
    print(f"  {name:<44} precision {scores[0]:.2f}  recall {scores[1]:.2f}  F1 {scores[2]:.2f}")


def english(tagger: EmbeddingTagger) -> None:
    with ENGLISH.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    found = tagger.aspects([row["sentence"] for row in rows])
    gold = {(i, r["topic"], r["polarity"]) for i, r in enumerate(rows) if r["topic"] != OTHER}
    predicted = {(i, a.topic, a.sentiment) for i, aspects in enumerate(found) for a in aspects if a.topic != OTHER}
    topic_gold = {g[:2] for g in gold}
    topic_found = {p[:2] for p in predicted}
    right_topic = [p for p in predicted if p[:2] in topic_gold]
    print(f"English sentences ({len(rows)}, {len(gold)} with a topic):")
    show("topic and polarity (aspect-sentiment F1)", f1(gold, predicted))
    show("topic alone", f1(topic_gold, topic_found))
    polarity = sum(p in gold for p in right_topic) / len(right_topic) if right_topic else 0.0
    print(f"  polarity right where the topic is right: {polarity:.2f} ({len(right_topic)} sentences)")


def french(tagger: EmbeddingTagger, limit: int | None) -> None:
    if not TRIPADVISOR.exists():
        print(f"French: {TRIPADVISOR} not found, skipped")
        return
    with TRIPADVISOR.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))[:limit]
    found = tagger.aspects([row["Avis"] for row in rows])
    gold, by_sentences, by_stars = set(), set(), set()
    expressed = Counter[str]()
    for i, (row, aspects) in enumerate(zip(rows, found, strict=True)):
        stars = float(row["Note"])
        review = "positive" if stars >= 4 else "negative" if stars <= 2 else "neutral"
        for aspect, topics in ASPECTS.items():
            if row[aspect] in GOLD:
                gold.add((i, aspect, GOLD[row[aspect]]))
                expressed[aspect] += 1
            said = [a for a in aspects if a.topic in topics and a.sentiment]
            if said:
                # Two of our topics under one of theirs (service, wait time): the most confident sentence's.
                best = max(said, key=lambda a: a.sentiment_score or 0.0)
                by_sentences.add((i, aspect, best.sentiment))
                by_stars.add((i, aspect, review))
    print(f"French TripAdvisor reviews ({len(rows)}; aspects expressed: {dict(expressed)}):")
    show("sentence sentiment (ours)", f1(gold, by_sentences))
    show("review stars on the same topics (before)", f1(gold, by_stars))
    for aspect in ASPECTS:
        pick = {g for g in gold if g[1] == aspect}
        show(f"  {aspect}, sentence sentiment", f1(pick, {p for p in by_sentences if p[1] == aspect}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="French reviews read (all 600 by default)")
    args = parser.parse_args()
    cache = ROOT / ".cache" / "veilleur"
    sentiment = shipped_sentiment(cache)
    if sentiment is None:
        raise SystemExit("the shipped classifier cannot be loaded: nothing to measure")
    tagger = EmbeddingTagger(topics_from([], "restaurant"), cache, sentiment)
    print(f"tagger {tagger.version}")
    english(tagger)
    french(tagger, args.limit)


if __name__ == "__main__":
    main()
