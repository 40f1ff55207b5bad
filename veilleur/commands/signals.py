"""`veilleur signals ...`: replay a count series through the worker's crisis detector, and measure it."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Annotated

import typer

from alerts.crisis import CrisisDetector, CrisisSettings, Tier, replay
from alerts.crisis_eval import (
    Labelled,
    Score,
    grid_settings,
    leave_one_series_out,
    load_anchors,
    load_labels,
    mean_sigma,
    read_series,
    score,
    score_anchor,
    today_vs_week,
)
from veilleur.commands.common import command_group

app = command_group("Crisis detection on mention counts.")


def _detector_alerts(times, counts):  # type: ignore[no-untyped-def]
    return [spike.at for spike in replay(times, counts, CrisisDetector(CrisisSettings()))]


@app.command("replay")
def replay_command(csv: Annotated[Path, typer.Option("--csv", help="timestamp,value rows, one per 5 minutes")]) -> None:
    """Print one JSON line per spike and per crisis (its `tier`), then a summary line (with the crisis tier's
    detection figures when NAB labels are beside it)."""
    try:
        times, counts = read_series(csv)
    except (OSError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    events = replay(times, counts, CrisisDetector(CrisisSettings()), tier=None)
    spikes = [event for event in events if event.tier == Tier.CRISIS]
    for spike in events:
        typer.echo(
            json.dumps(
                {
                    "tier": spike.tier.value,
                    "timestamp": spike.at.isoformat(),
                    "count": spike.count,
                    "expected": round(spike.expected, 1),
                    "ratio": round(spike.ratio, 1),
                    "p_value": spike.p_value,
                    "since": spike.since.isoformat(),
                    "message": spike.describe(),
                }
            )
        )
    summary: dict[str, object] = {
        "bins": len(counts),
        "alerts": len(spikes),  # crises: what pages the channel, and what is scored
        "spikes": len(events) - len(spikes),
        "settings": {f.name: getattr(CrisisSettings(), f.name) for f in fields(CrisisSettings)},
    }
    labels = csv.parent / "combined_windows.json"
    if labels.exists():
        try:
            windows, anomalies = load_labels(csv.parent, csv.name)
        except KeyError:
            windows = []
        if windows:
            result = score([s.at for s in spikes], windows, anomalies, times[-1] - times[0])
            summary.update(_figures(result))
    typer.echo(json.dumps({"summary": summary}))


def _figures(result: Score) -> dict[str, object]:
    return {
        "windows": result.windows,
        "detected": result.detected,
        "detection_rate": round(result.detection_rate, 3),
        "median_delay_minutes": result.median_delay,
        "false_alerts": result.false_alerts,
        "false_alerts_per_week": round(result.false_per_week, 2),
    }


@app.command("evaluate")
def evaluate(folder: Annotated[Path, typer.Option("--folder")] = Path("../shared/nab_realtweets")) -> None:
    """The detector and two simple baselines on every labelled series of FOLDER, in one run, then the detector
    with thresholds chosen leave-one-series-out (each series scored with what did best on the others)."""
    methods = {
        "veilleur detector": _detector_alerts,
        "mean + 3 sigma (2 weeks)": mean_sigma,
        "today vs 7-day average x 2": today_vs_week,
    }
    totals: dict[str, Score] = {}
    labelled = []
    for path in sorted(folder.glob("*.csv")):
        times, counts = read_series(path)
        windows, anomalies = load_labels(folder, path.name)
        labelled.append(Labelled(path.name, times, counts, windows, anomalies))
        for name, method in methods.items():
            result = score(method(times, counts), windows, anomalies, times[-1] - times[0])
            totals[name] = totals[name] + result if name in totals else result
            typer.echo(json.dumps({"series": path.name, "method": name, **_figures(result)}))
    cross = "veilleur detector, leave-one-series-out"
    for name, chosen, result in leave_one_series_out(labelled, grid_settings()):
        totals[cross] = totals[cross] + result if cross in totals else result
        picked = {key: getattr(chosen, key) for key in ("p_value", "min_ratio", "max_share", "persist_ratio")}
        typer.echo(json.dumps({"series": name, "method": cross, "chosen_on_others": picked, **_figures(result)}))
    # NAB's published detectors, from their alert times, scored by the same function (their threshold was chosen
    # by NAB over 58 series, these six included: an in-sample figure, like our shipped settings').
    for detector, alerts in load_anchors(folder).items():
        totals[f"anchor: {detector} (NAB standard threshold)"] = score_anchor(alerts, labelled)
    typer.echo("| method | windows detected | median delay (min) | false alerts / week |")
    typer.echo("|---|---|---|---|")
    for name, result in totals.items():
        delay = "-" if result.median_delay is None else f"{result.median_delay:g}"
        typer.echo(
            f"| {name} | {result.detected}/{result.windows} ({result.detection_rate:.0%}) | "
            f"{delay} | {result.false_per_week:.2f} |"
        )
