"""`veilleur classify --input IN.jsonl --output OUT.jsonl`: classify mentions from a file, one JSON object a line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from config.settings import Settings
from moderation.classifier.base import Classifier, Prediction
from veilleur.commands.common import print_error, settings_or_exit

err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)  # one line per problem, greppable


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, object or None when malformed, why). Blank lines are skipped silently."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, f"not JSON ({error.msg})"
                continue
            if not isinstance(row, dict):
                yield number, None, "not a JSON object"
            elif not isinstance(row.get("text"), str):
                yield number, None, "no 'text' string"
            else:
                yield number, row, ""


# The outputs carry a name of their own: an input often has a `stars` or `sentiment` of its own (the author's
# rating), and overwriting it with the model's estimate loses the very thing one wants to compare against.
OUTPUT_PREFIX = "veilleur_"


def labels(prediction: Prediction, settings: Settings) -> dict[str, Any]:
    """The model's labels for one prediction (unprefixed); abuse uses the thresholds from settings (toxic first)."""
    thresholds = settings.classifier.thresholds
    abuse = (
        "toxic" if prediction.toxic >= thresholds.toxic else "spam" if prediction.spam >= thresholds.spam else "none"
    )
    return {"sentiment": prediction.polarity, "stars": round(prediction.stars, 2), "abuse": abuse,
            "scores": prediction.scores()}  # fmt: skip


def classify_file(source: Path, target: Path, classifier: Classifier, settings: Settings) -> tuple[int, int]:
    """Classify `source` into `target`; returns (written, skipped). Skipped lines are reported on stderr."""
    from moderation.language import detect_language

    rows: list[tuple[int, dict[str, Any]]] = []
    skipped = 0
    for number, row, why in read_lines(source):
        if row is None:
            err.print(f"{source}:{number}: skipped, {why}")
            skipped += 1
        else:
            rows.append((number, row))
    batch = settings.classifier.batch_size
    model = f"{classifier.name}@{classifier.version}"
    columns = (TextColumn("classifying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out, Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("classify", total=len(rows))
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            predictions = classifier.predict([row["text"] for _, row in chunk])
            for (_, row), prediction in zip(chunk, predictions, strict=True):
                outputs = {"language": detect_language(row["text"]), **labels(prediction, settings), "model": model}
                result = {**row, **{OUTPUT_PREFIX + name: value for name, value in outputs.items()}}
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
            progress.advance(task, len(chunk))
    return len(rows), skipped


def classify(
    input: Annotated[Path, typer.Option("--input", help="JSONL file: one object with a 'text' field per line")],
    output: Annotated[Path, typer.Option("--output", help="JSONL file to write")],
    settings: Annotated[Path, typer.Option("--settings", help="settings file")] = Path("settings.toml"),
) -> None:
    """Keep each line's fields and add veilleur_language, _sentiment, _stars, _abuse, _scores and _model."""
    config = settings_or_exit(settings, need_brand=False)  # the classifier's settings only
    if not input.is_file():
        print_error(err, f"input file not found: {input}" + (" (it is a folder)" if input.is_dir() else ""))
        raise typer.Exit(2)
    from moderation.classifier.load import load_classifier

    classifier = load_classifier(config)
    written, skipped = classify_file(input, output, classifier, config)
    model = f"{classifier.name}@{classifier.version}"
    err.print(f"{written} classified into {output}, {skipped} malformed line(s) skipped ({model})")
