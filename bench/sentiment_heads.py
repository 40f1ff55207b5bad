"""Which sentiment decision to ship for reviews and posts: measured on pooled vectors cached from the int8 graph.

    nice -n 10 python -m bench.sentiment_heads [--settings settings.toml]

Variants (all read the same encoder; only the heads or the decision rule change):
  current        the shipped heads, argmax of the three-class sentiment head
  ordinal        polarity from the stars head's expected rating, two thresholds fitted on the train split of
                 reviews_stars (never its dev split)
  ordinal-lang   the same thresholds fitted per language (French: the hand-written training reviews)
  refit          sentiment and stars heads refitted on the training mix plus the English reviews with stars
                 (train split), from the shipped heads
  refit+ordinal  both
Selection reads reviews_stars dev and the UMSAB test splits; the short posts, hand_test, ABSA and real reviews
are reported, never used to choose. Figures only (macro-F1, and how often a positive review reads negative).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from moderation.classifier.base import SENTIMENTS


def _ordinal(expected: np.ndarray, low: float, high: float) -> list[str]:
    return ["negative" if s < low else "neutral" if s < high else "positive" for s in expected]


def fit_thresholds(expected: np.ndarray, gold: list[str]) -> tuple[float, float]:
    """The (low, high) cut of the expected rating that maximises macro-F1 on (expected, gold)."""
    from sklearn.metrics import f1_score

    grid = np.arange(1.5, 4.6, 0.05)
    best = (-1.0, 2.5, 3.5)
    for low in grid:
        for high in grid[grid > low]:
            score = f1_score(gold, _ordinal(expected, low, high), labels=list(SENTIMENTS), average="macro")
            if score > best[0]:
                best = (score, float(low), float(high))
    return best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settings", default="settings.toml")
    # On a shared 2-core machine embedding every long review takes most of an hour: samples, seeded.
    parser.add_argument("--train-reviews", type=int, default=1500, help="reviews_stars train rows to refit on")
    parser.add_argument("--dev-reviews", type=int, default=500, help="English reviews_stars dev rows to measure")
    parser.add_argument("--mix", type=int, default=100_000, help="rows of the training mix kept in the refit")
    parser.add_argument("--tweets", type=int, default=870, help="UMSAB test rows measured per language")
    args = parser.parse_args()
    from sklearn.metrics import f1_score

    from config.settings import load_settings
    from moderation.classifier.transformer import data, heads, realdata
    from moderation.classifier.transformer import evaluate as ev
    from moderation.classifier.transformer import model as mm
    from moderation.classifier.transformer.features import PooledEncoder
    from moderation.classifier.transformer.rebuild import ensure_encoder

    settings = load_settings(Path(args.settings))
    cache = settings.path(settings.classifier.cache_dir)
    labelled = settings.path(settings.classifier.labelled_dir)
    encoder = PooledEncoder(ensure_encoder(cache), mm.WEIGHTS_FILE, cache)
    reviews = data.reviews_stars(labelled)
    import random

    rng = random.Random(data.SEED)
    train_reviews = [(t, s, lang) for t, s, lang, _, part in reviews if part == "train"]
    train_reviews = rng.sample(train_reviews, min(args.train_reviews, len(train_reviews)))
    mix = [e for e in data.training_examples(labelled) if e.sentiment is not None or e.stars is not None]
    mix = list({e.text: e for e in mix}.values())
    mix = rng.sample(mix, min(args.mix, len(mix)))
    sets = [s for s in ev.eval_sets(labelled) if s.task == "sentiment" and "EVAL_ONLY" not in s.name]
    for item in sets:
        limit = args.dev_reviews if item.name == "reviews_stars dev" else args.tweets
        if item.name in ("reviews_stars dev", "umsab_fr", "umsab_en") and len(item.texts) > limit:
            keep = sorted(rng.sample(range(len(item.texts)), limit))
            item.texts, item.labels = [item.texts[i] for i in keep], [item.labels[i] for i in keep]
    texts = sorted({t for t, _, _ in train_reviews} | {e.text for e in mix} | {t for s in sets for t in s.texts})
    print(f"{len(texts)} texts to embed (cached after the first run)", flush=True)
    vectors = dict(zip(texts, encoder.vectors(texts, progress=True), strict=True))

    def x(rows: list[str]) -> np.ndarray:
        return np.stack([vectors[t] for t in rows])

    shipped = heads.read_heads(mm.WEIGHTS_FILE)
    # Refit: the mix as trained, plus the reviews with stars (polarity from the stars, and the stars).
    rows = [(e.text, e.sentiment, e.stars, 1.0) for e in mix]
    rows += [(t, SENTIMENTS.index(realdata.polarity(s)), s, 1.0) for t, s, _ in train_reviews]
    labels = heads.Labels([r[1] for r in rows], [r[2] for r in rows], [None] * len(rows), [None] * len(rows),
                          [r[3] for r in rows])  # fmt: skip
    refit = heads.fit(x([r[0] for r in rows]), labels, shipped)
    refit = {**shipped, **{k: v for k, v in refit.items() if not k.startswith("abuse")}}

    def expected(rows: list[str], head: dict) -> np.ndarray:
        return np.array([p.stars for p in heads.predict(x(rows), head)])

    fitted = {}
    for name, head in (("", shipped), ("refit", refit)):
        train_texts = [t for t, _, _ in train_reviews]
        gold = [realdata.polarity(s) for _, s, _ in train_reviews]
        fitted[name] = fit_thresholds(expected(train_texts, head), gold)
        french = [e for e in data.read_hand(data.HAND_TRAIN) if e.source == "hand:review" and e.language == "fr"]
        missing = [e.text for e in french if e.text not in vectors]
        vectors.update(zip(missing, encoder.vectors(missing), strict=True))
        fitted[name + "fr"] = fit_thresholds(expected([e.text for e in french], head),
                                             [SENTIMENTS[e.sentiment] for e in french])  # type: ignore[index]  # fmt: skip
    print("thresholds (low, high) on the expected stars:", {k or "shipped": v for k, v in fitted.items()})

    def decide(variant: str, rows: list[str], language: str) -> list[str]:
        head = refit if variant.startswith("refit") else shipped
        if variant in ("current", "refit"):
            return [p.polarity for p in heads.predict(x(rows), head)]
        key = "refit" if variant.startswith("refit") else ""
        if variant.endswith("lang") and language == "fr":
            key += "fr"
        return _ordinal(expected(rows, head), *fitted[key])

    variants = ("current", "ordinal", "ordinal-lang", "refit", "refit+ordinal", "refit+ordinal-lang")
    print(f"| set | lang | n | {' | '.join(variants)} |")
    print("|---" * (3 + len(variants)) + "|")
    for item in sets:
        if not item.texts:
            continue
        cells = []
        for variant in variants:
            guess = decide(variant, item.texts, item.language)
            present = sorted(set(item.labels))
            f1 = f1_score(item.labels, guess, labels=present, average="macro", zero_division=0)
            positive = [g for g, y in zip(guess, item.labels, strict=True) if y == "positive"]
            flipped = sum(g == "negative" for g in positive) / max(1, len(positive))
            cells.append(f"{f1:.3f} ({flipped:.0%} pos->neg)")
        print(f"| {item.name} | {item.language} | {len(item.texts)} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
