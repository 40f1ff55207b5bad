"""Classifier throughput and accuracy, torch fp32 against ONNX Runtime int8.

    python -m bench.classifier [--settings settings.toml] [--threads 2] [--texts 192]

Each backend runs in its own process so that peak memory (max RSS) and load time are its own. Printed:
texts/s at 32, 64 and 128 tokens, the int8/fp32 speed ratio, macro-F1 on held-out sets for both (and how
often their labels agree), peak memory and load time. Figures, never assertions: CPUs differ.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

LENGTHS = (32, 64, 128)


def _texts_of_length(tokenizer, tokens: int, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Real French and English review text cut to `tokens` tokens (prefix and specials included)."""
    from moderation.classifier.transformer import realdata

    body = " ".join(text for _, text, _ in realdata.real_reviews())
    ids = tokenizer(body, add_special_tokens=False)["input_ids"]
    content = tokens - 2 - len(tokenizer("query: ", add_special_tokens=False)["input_ids"])
    step = max(1, (len(ids) - content) // count)
    return [tokenizer.decode(ids[i * step : i * step + content]) for i in range(count)]


def child(backend: str, settings_path: str, threads: int, count: int) -> dict:
    os.environ["OMP_NUM_THREADS"] = str(threads)
    from config.settings import load_settings
    from moderation.classifier.transformer import evaluate as ev
    from moderation.classifier.transformer.classifier import TransformerClassifier
    from moderation.classifier.transformer.model import WEIGHTS_FILE
    from moderation.classifier.transformer.rebuild import ensure_encoder

    settings = load_settings(settings_path)
    cache = settings.path(settings.classifier.cache_dir)
    encoder = ensure_encoder(cache)
    if backend == "onnx":  # export outside the timing, as first use does
        TransformerClassifier(encoder, WEIGHTS_FILE, cache, "onnx", threads=threads)
    started = time.perf_counter()
    model = TransformerClassifier(encoder, WEIGHTS_FILE, cache, backend, batch_size=32, threads=threads)
    load = time.perf_counter() - started
    out: dict = {"backend": backend, "load_seconds": load, "speed": {}}
    for tokens in LENGTHS:
        texts = _texts_of_length(model.tokenizer, tokens, count)
        model.logits(texts[:32])  # warm-up
        started = time.perf_counter()
        model.logits(texts)
        out["speed"][tokens] = len(texts) / (time.perf_counter() - started)
    labelled = settings.path(settings.classifier.labelled_dir)
    sets = [s for s in ev.eval_sets(labelled, sms_sample=300) if s.task in ("sentiment", "toxic", "spam")]
    predictions = {f"{s.name}|{s.task}|{s.language}": model.predict(s.texts) for s in sets if s.texts}
    out["scores"] = {
        key: ev.score(s.task, s.labels, predictions[key], 0.5)["macro_f1"]
        for s in sets
        if (key := f"{s.name}|{s.task}|{s.language}") in predictions
    }
    out["labels"] = {
        key: [(p.polarity, p.toxic >= 0.5, p.spam >= 0.5) for p in preds] for key, preds in predictions.items()
    }
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", default="settings.toml")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--texts", type=int, default=192)
    parser.add_argument("--child", choices=["torch", "onnx"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.settings, args.threads, args.texts)))
        return
    results = {}
    for backend in ("torch", "onnx"):
        command = [sys.executable, "-m", "bench.classifier", "--child", backend, "--settings", args.settings,
                   "--threads", str(args.threads), "--texts", str(args.texts)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
        results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
    fp32, int8 = results["torch"], results["onnx"]
    print(f"threads {args.threads}, {args.texts} texts per length, batch 32")
    print(f"{'':24}{'torch fp32':>14}{'onnx int8':>14}{'int8/fp32':>12}")
    for tokens in LENGTHS:
        a, b = fp32["speed"][str(tokens)], int8["speed"][str(tokens)]
        print(f"{f'texts/s at {tokens} tokens':24}{a:14.1f}{b:14.1f}{b / a:11.2f}x")
    print(f"{'load time (s)':24}{fp32['load_seconds']:14.1f}{int8['load_seconds']:14.1f}")
    print(f"{'peak memory (MB)':24}{fp32['peak_mb']:14.0f}{int8['peak_mb']:14.0f}")
    print("macro-F1 (threshold 0.5)        fp32     int8     diff  label agreement")
    for key, value in fp32["scores"].items():
        same = sum(x == y for x, y in zip(fp32["labels"][key], int8["labels"][key], strict=True))
        agree = same / len(fp32["labels"][key])
        print(f"  {key:28}{value:8.3f}{int8['scores'][key]:9.3f}{int8['scores'][key] - value:+9.3f}{agree:10.1%}")


if __name__ == "__main__":
    main()
