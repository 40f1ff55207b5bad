"""Precision and recall of relevance on the hand-labelled set: the brand query alone, then query + encoder score,
per brand and overall. Prints figures; asserts nothing.

    .venv/bin/python -m bench.relevance [--threshold 0.0]

The set: tests/fixtures/relevance/labelled.jsonl (mentions from the saved real pages, labelled by hand; licences
in tests/fixtures/realdata/LICENCES.md) and ambiguous_SYNTHETIC.tsv (hand-written ambiguous-name mentions).
The brands' queries and descriptions below are what a community manager would write; they were written while
looking at this set, so the figures are optimistic for a brand met for the first time (docs/relevance.md).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config.brand_query import BrandQuery, Term, parse_near
from moderation.relevance.score import Anchors, Scorer, anchors

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "fixtures" / "relevance"


@dataclass(frozen=True)
class Brand:
    query: BrandQuery
    about: str
    not_about: tuple[str, ...]


def _query(any_: Sequence[str] = (), none: Sequence[str] = (), near: Sequence[list[object]] = ()) -> BrandQuery:
    return BrandQuery(tuple(map(Term.parse, any_)), (), tuple(map(Term.parse, none)), tuple(map(parse_near, near)))


BRANDS = {
    "slack": Brand(
        _query(["slack"], none=["adjuster*", "slack wax"]),
        "Slack, the messaging app for teams at work: channels, workspaces, integrations. Slack Technologies the"
        " company (NYSE: WORK): its shares, executives, results and rivals such as Microsoft Teams.",
        (
            "automotive brake slack adjusters and car parts",
            "paraffin slack wax",
            "a police shooting, crime news",
            "high school sports, baseball playoffs",
        ),
    ),
    "orange": Brand(
        _query(["orange"], none=["jus d'orange", "agent orange"]),
        "Orange, l'opérateur télécom : Livebox, fibre, forfaits mobiles, réseau, factures, boutiques et service"
        " client. Orange the telecom operator: broadband, mobile plans, network, bills and customer support.",
        (
            "le fruit, une recette à l'orange",
            "la couleur orange",
            "la ville d'Orange dans le Vaucluse",
            "vigilance météo orange",
            "a film or a TV series",
        ),
    ),
    "free": Brand(
        _query(["free", "freebox"]),
        "Free, le fournisseur d'accès à internet et opérateur mobile (Iliad, Xavier Niel) : Freebox, fibre, Free"
        " Mobile, forfaits, réseau, factures et service client.",
        (
            "free of charge, a free trial, free shipping, free parking",
            "sugar free, gluten free food",
            "a film, a song or a music party",
        ),
    ),
    "burger-king": Brand(
        _query(["burger king", "burgerking", "bk", "whopper"]),
        "Burger King, chaîne de restauration rapide : burgers, Whopper, frites, menus, restaurants, drive,"
        " commande en ligne, livraison, accueil et service en restaurant.",
        ("a recipe to bake at home", "a software library or an app for developers", "a monument to visit"),
    ),
}


def load() -> list[dict[str, object]]:
    rows = [json.loads(line) for line in (DATA / "labelled.jsonl").read_text(encoding="utf-8").splitlines() if line]
    with (DATA / "ambiguous_SYNTHETIC.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows.append({"brand": row["brand"], "relevant": row["relevant"] == "1", "lang": row["lang"],
                         "text": row["text"], "source": "ambiguous_SYNTHETIC.tsv"})  # fmt: skip
    return rows


def precision_recall(truth: Sequence[bool], said: Sequence[bool]) -> tuple[float, float, int, int]:
    hits = sum(t and s for t, s in zip(truth, said, strict=True))
    return hits / max(1, sum(said)), hits / max(1, sum(truth)), sum(said), sum(truth)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.0, help="[relevance] threshold")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "veilleur")
    args = parser.parse_args(argv)
    from moderation.relevance.encoder import shared_encoder

    embed = shared_encoder(args.cache_dir).embed
    rows = load()
    languages = sorted({str(r["lang"]) for r in rows})
    print(f"{len(rows)} labelled mentions ({sum(bool(r['relevant']) for r in rows)} relevant), languages: {languages}")
    print(f"threshold {args.threshold:g}; precision / recall of 'about the brand' (said, truly relevant)")
    every: dict[str, tuple[list[bool], list[bool]]] = {"query": ([], []), "query + encoder": ([], [])}
    scores_by_brand: dict[str, list[tuple[float, bool]]] = {}
    for slug, brand in BRANDS.items():
        mine = [r for r in rows if r["brand"] == slug]
        texts = [str(r["text"]) for r in mine]
        truth = [bool(r["relevant"]) for r in mine]
        by_query = [brand.query.matches(text) for text in texts]
        scorer = Scorer(embed, Anchors(tuple(anchors(brand.about)), brand.not_about))
        scores = scorer.scores(texts)
        scores_by_brand[slug] = list(zip(scores, truth, strict=True))
        both = [q and s >= args.threshold for q, s in zip(by_query, scores, strict=True)]
        for name, said in (("query", by_query), ("query + encoder", both)):
            every[name][0].extend(truth)
            every[name][1].extend(said)
            p, r, n_said, n_true = precision_recall(truth, said)
            print(f"  {slug:12} {name:16} precision {p:.2f}  recall {r:.2f}  ({n_said} said, {n_true} relevant"
                  f" of {len(mine)})")  # fmt: skip
    for name, (truth, said) in every.items():
        p, r, _, _ = precision_recall(truth, said)
        print(f"  {'all':12} {name:16} precision {p:.2f}  recall {r:.2f}")
    print("by threshold (all brands): threshold, encoder alone P R, query + encoder P R")
    flat = [pair for pairs in scores_by_brand.values() for pair in pairs]
    passed = every["query"][1]
    truth = [t for _, t in flat]
    for threshold in (-0.1, -0.05, -0.03, -0.02, -0.01, 0.0, 0.02, 0.05):
        alone = precision_recall(truth, [s >= threshold for s, _ in flat])
        both = precision_recall(truth, [q and s >= threshold for q, (s, _) in zip(passed, flat, strict=True)])
        print(f"  {threshold:+.2f}  {alone[0]:.2f} {alone[1]:.2f}   {both[0]:.2f} {both[1]:.2f}")


if __name__ == "__main__":
    main()
