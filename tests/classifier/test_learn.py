"""Learning from moderators: a new version only if it beats the current one; recorded; rolled back in one command.

Corrections are drawn from a labelled set (the hand-written training reviews); the pooled vectors come from a
fixed character-n-gram hashing, so the heads' fit and the gate run in seconds without the encoder.
"""

from __future__ import annotations

import functools
import json
import random
from pathlib import Path

import numpy as np
import typer
from safetensors.numpy import save_file
from typer.testing import CliRunner

from moderation.classifier import versions
from moderation.classifier.base import SENTIMENTS
from moderation.classifier.transformer import data, heads, learn
from moderation.classifier.transformer.evaluate import EvalSet
from veilleur.commands import model as command

ROOT = Path(__file__).resolve().parents[2]


def vectors(texts) -> np.ndarray:  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import HashingVectorizer

    hashed = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=384, alternate_sign=False)
    return np.asarray(hashed.transform(list(texts)).todense(), dtype=np.float32) * 4


def untrained() -> dict[str, np.ndarray]:
    sizes = {"sentiment": 3, "stars": 5, "abuse": 2}
    return {f"{name}.{part}": np.zeros((size, 384) if part == "weight" else size)
            for name, size in sizes.items() for part in ("weight", "bias")}  # fmt: skip


def reviews(path: Path) -> list[data.Example]:
    return [e for e in data.read_hand(path) if e.source == "hand:review" and e.sentiment is not None]


def corrections(shuffle: bool = False) -> list[data.Example]:
    rows = [(e.text, "sentiment", SENTIMENTS[e.sentiment]) for e in reviews(data.HAND_TRAIN)]  # type: ignore[index]
    if shuffle:  # labels drawn at random: a moderator who clicks anything
        rng = random.Random(1)
        rows = [(text, task, rng.choice(SENTIMENTS)) for text, task, _ in rows]
    return data.from_corrections(rows)


def fixed() -> list[EvalSet]:
    test = reviews(data.HAND_TEST)
    return [EvalSet("hand_test reviews", "sentiment", "all", [e.text for e in test],
                    [SENTIMENTS[e.sentiment] for e in test])]  # type: ignore[index]  # fmt: skip


@functools.cache
def taught() -> learn.Outcome:
    """Heads learnt from good corrections, from untrained ones (fitted once for the tests that start from it)."""
    return learn.learn(corrections(), vectors, untrained(), fixed(), margin=0.01)


def test_corrections_that_teach_something_make_a_better_version() -> None:
    outcome = taught()
    assert outcome.promote, outcome.why
    held = next(r for r in outcome.rows if r["set"] == "held-out corrections")
    assert held["candidate"]["macro_f1"] > held["current"]["macro_f1"] + 0.2
    assert outcome.trained_on + outcome.held_out == len(corrections())
    assert outcome.held_out == round(len(corrections()) * 0.25)


def test_random_corrections_are_not_promoted() -> None:
    good = taught().candidate
    outcome = learn.learn(corrections(shuffle=True), vectors, good, fixed(), margin=0.01)
    assert not outcome.promote
    assert "held-out corrections" in outcome.why or "margin" in outcome.why


def test_a_version_that_loses_on_a_fixed_set_beyond_the_margin_is_not_promoted() -> None:
    good = taught().candidate
    # Corrections that all say "positive": better on their own held-out share, worse on the fixed set.
    rows = [(e.text, "sentiment", "positive") for e in reviews(data.HAND_TRAIN)]
    outcome = learn.learn(data.from_corrections(rows), vectors, good, fixed(), margin=0.01)
    assert not outcome.promote
    assert "margin 0.01" in outcome.why


def test_a_promoted_version_runs_until_rolled_back_in_one_command(tmp_path: Path) -> None:
    shipped = tmp_path / "shipped.safetensors"
    save_file({k: v.astype(np.float32) for k, v in untrained().items()}, str(shipped))
    folder = tmp_path / "versions"
    assert versions.active_weights(folder, shipped) == shipped
    outcome = taught()
    heads.write_with_heads(shipped, folder / "v1.safetensors", outcome.candidate, {"learnt_from": "test"})
    versions.record(folder, {"version": "v1", "parent_version": "shipped", "why": outcome.why,
                             "comparison": outcome.rows}, outcome.promote)  # fmt: skip
    assert versions.active_weights(folder, shipped) == folder / "v1.safetensors"
    stored = json.loads((folder / versions.REGISTRY).read_text())
    assert stored["versions"][0]["comparison"][0]["set"] == "held-out corrections"
    assert np.allclose(heads.read_heads(folder / "v1.safetensors")["sentiment.weight"],
                       outcome.candidate["sentiment.weight"], atol=1e-6)  # fmt: skip

    settings = tmp_path / "settings.toml"
    text = (ROOT / "settings.toml").read_text().replace('versions_dir = "var/classifier"', f'versions_dir = "{folder}"')
    settings.write_text(text)
    app = typer.Typer()
    app.command()(command.rollback)
    result = CliRunner().invoke(app, ["--settings", str(settings)])
    assert result.exit_code == 0, result.output
    assert "rolled back v1" in result.output
    assert versions.active_weights(folder, shipped) == shipped
    again = CliRunner().invoke(app, ["--settings", str(settings)])
    assert again.exit_code == 1 and "nothing to roll back" in again.output
