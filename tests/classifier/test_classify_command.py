"""`veilleur classify` with a fake classifier: output fields, thresholds, malformed lines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from config.settings import load_settings
from moderation.classifier.base import Prediction
from veilleur.commands import classify as command

ROOT = Path(__file__).resolve().parents[2]


class FakeClassifier:
    name = "fake"
    version = "1"

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        out = []
        for text in texts:
            bad = "nul" in text
            out.append(
                Prediction(
                    sentiment={"negative": 0.8 if bad else 0.1, "neutral": 0.1, "positive": 0.1 if bad else 0.8},
                    stars=1.5 if bad else 4.6,
                    toxic=0.95 if "connard" in text else 0.01,
                    spam=0.9 if "http" in text else 0.02,
                )
            )
        return out


def test_malformed_lines_are_reported_and_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": 1, "text": "Service nul, colis jamais reçu."}),
        "{not json",
        json.dumps({"id": 3, "text": "Super accueil, merci !"}),
        json.dumps(["a list"]),
        "",
        json.dumps({"id": 6, "body": "no text field"}),
        json.dumps({"id": 7, "text": "connard de vendeur"}),
        json.dumps({"id": 8, "text": "Gagnez un iPhone http://x.example"}),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr("moderation.classifier.load.load_classifier", lambda settings: FakeClassifier())
    app = typer.Typer()
    app.command()(command.classify)
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["--input", str(source), "--output", str(target), "--settings", str(ROOT / "settings.toml")]
    )
    assert result.exit_code == 0, result.output
    for number in (2, 4, 6):
        assert f"in.jsonl:{number}: skipped" in result.output
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == [1, 3, 7, 8]
    first = rows[0]
    assert first["text"] == "Service nul, colis jamais reçu."
    assert first["veilleur_language"] == "fr"
    assert first["veilleur_sentiment"] == "negative"
    assert first["veilleur_stars"] == 1.5
    assert first["veilleur_abuse"] == "none"
    assert first["veilleur_scores"]["sentiment"]["negative"] == 0.8
    assert first["veilleur_model"] == "fake@1"
    assert [row["veilleur_abuse"] for row in rows] == ["none", "none", "toxic", "spam"]


def test_the_input_fields_are_kept_beside_the_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 19: an input `stars` (the author's rating) was overwritten by the model's estimate.
    source = tmp_path / "in.jsonl"
    row = {"id": "r1", "text": "Service nul, colis jamais reçu.", "stars": 2, "sentiment": "mine", "model": "x"}
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    monkeypatch.setattr("moderation.classifier.load.load_classifier", lambda settings: FakeClassifier())
    app = typer.Typer()
    app.command()(command.classify)
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["--input", str(source), "--output", str(target), "--settings", str(ROOT / "settings.toml")]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(target.read_text(encoding="utf-8"))
    assert {name: out[name] for name in row} == row
    assert out["veilleur_stars"] == 1.5
    assert out["veilleur_sentiment"] == "negative"
    assert out["veilleur_model"] == "fake@1"
    assert set(out) - set(row) == {f"veilleur_{name}" for name in
                                   ("language", "sentiment", "stars", "abuse", "scores", "model")}  # fmt: skip


def test_abuse_follows_thresholds_from_settings() -> None:
    settings = load_settings(ROOT / "settings.toml", environ={"VEILLEUR__CLASSIFIER__THRESHOLDS__TOXIC": "0.99"})
    prediction = FakeClassifier().predict(["connard"])[0]
    assert command.labels(prediction, settings)["abuse"] == "none"


def test_an_input_that_is_not_a_file_is_named(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(command.classify)
    for given, said in ((tmp_path, "(it is a folder)"), (tmp_path / "nope.jsonl", "input file not found")):
        result = CliRunner().invoke(
            app,
            ["--input", str(given), "--output", str(tmp_path / "o.jsonl"), "--settings", str(ROOT / "settings.toml")],
        )
        assert result.exit_code == 2 and said in result.output and "Traceback" not in result.output
