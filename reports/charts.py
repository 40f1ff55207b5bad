"""The report's charts, drawn with matplotlib (Agg, no display) as SVG text to inline in the HTML: the file
stays self-contained, nothing is fetched when it is opened, and weasyprint draws the same SVG in the PDF."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.figure import Figure  # noqa: E402

from reports.figures import SENTIMENTS, Monthly, Report  # noqa: E402

COLOURS = {"negative": "#d9534f", "neutral": "#9e9e9e", "positive": "#5cb85c"}


def _svg(figure: Figure, name: str) -> str:
    buffer = io.StringIO()
    # A fixed hash salt and no date keep the SVG identical between runs (a report regenerates identically).
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Every chart's element ids are made its own ("volume-text_15"): matplotlib numbers them from 1 in each SVG,
    # and several SVGs inlined in one page would repeat them (invalid HTML; a reference could reach the wrong one).
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r'(href="#|url\(#)([^")]+)', rf"\1{name}-\2", text)
    return re.sub(r"<svg ", f'<svg class="chart" data-chart="{name}" role="img" aria-label="{name}" ', text, count=1)


def _figure(width: float = 6.5, height: float = 2.6) -> tuple[Figure, plt.Axes]:
    plt.rcParams["svg.hashsalt"] = "veilleur"
    figure, axes = plt.subplots(figsize=(width, height))
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def volume_chart(report: Report) -> str:
    trend = report.trend
    figure, axes = _figure()
    labels = [start.strftime("%d/%m") for start in trend.starts]
    positions = range(len(labels))
    other = [m - n for m, n in zip(trend.mentions, trend.negative, strict=True)]
    axes.bar(positions, trend.negative, color=COLOURS["negative"], label="negative")
    axes.bar(positions, other, bottom=trend.negative, color="#7aa6d6", label="other")
    axes.set_ylabel("mentions per " + ("day" if trend.bucket_days == 1 else "week"))
    step = max(1, len(labels) // 12)
    axes.set_xticks(list(positions)[::step], labels[::step], fontsize=8)
    ratings = [trend.average_rating(i) for i in positions]
    if any(r is not None for r in ratings):
        twin = axes.twinx()
        twin.plot(
            [i for i in positions if ratings[i] is not None],
            [r for r in ratings if r is not None],
            color="#333",
            marker="o",
            markersize=3,
            label="average rating",
        )
        twin.set_ylim(1, 5)
        twin.set_ylabel("rating /5")
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    return _svg(figure, "volume")


def rating_chart(report: Report) -> str:
    figure, axes = _figure(4.0, 2.4)
    now, before = report.total.current.stars, report.total.previous.stars
    positions = range(1, 6)
    axes.bar([p - 0.2 for p in positions], before, width=0.4, color="#c8c8c8", label="previous")
    axes.bar([p + 0.2 for p in positions], now, width=0.4, color="#f0ad4e", label="this period")
    axes.set_xticks(list(positions), [f"{p}★" for p in positions])
    axes.set_ylabel("reviews")
    axes.legend(fontsize=8, frameon=False)
    return _svg(figure, "ratings")


def sentiment_chart(report: Report) -> str:
    groups = [report.total, *report.sources]
    figure, axes = _figure(6.5, 0.5 + 0.35 * len(groups))
    names = [g.name for g in groups][::-1]
    left = [0.0] * len(groups)
    for label in SENTIMENTS:
        shares = [100 * (g.current.share(label) or 0) for g in groups][::-1]
        axes.barh(names, shares, left=left, color=COLOURS[label], label=label)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of classified mentions")
    axes.legend(fontsize=8, frameon=False, ncols=3, loc="lower right")
    return _svg(figure, "sentiment")


def topic_chart(report: Report) -> str:
    topics = sorted(report.topics, key=lambda t: t.volume)
    figure, axes = _figure(6.5, 0.5 + 0.3 * max(1, len(topics)))
    names = [t.label for t in topics]
    axes.barh(names, [-t.current["negative"] for t in topics], color=COLOURS["negative"], label="negative")
    axes.barh(names, [t.current["positive"] for t in topics], color=COLOURS["positive"], label="positive")
    axes.axvline(0, color="#333", linewidth=0.8)
    axes.set_xlabel("mentions (negative left, positive right)")
    axes.legend(fontsize=8, frameon=False)
    return _svg(figure, "topics")


def monthly_chart(monthly: Monthly) -> str:
    """Three panels over the last 12 months, a line per source (and the brand's in black): average rating,
    volume and negative share. A month without data leaves a gap rather than a zero."""
    plt.rcParams["svg.hashsalt"] = "veilleur"
    figure, panels = plt.subplots(3, 1, figsize=(6.5, 5.4), sharex=True)
    labels = [month.strftime("%m/%y") for month in monthly.months]
    lines = [("all sources", monthly.total, "#222")] + [(n, t, None) for n, t in monthly.by_source.items()]
    measures = [
        ("rating /5", lambda t: t.average_rating),
        ("mentions", lambda t: t.mentions or None),
        ("negative %", lambda t: None if t.share("negative") is None else 100 * t.share("negative")),
    ]
    for axes, (ylabel, measure) in zip(panels, measures, strict=True):
        axes.spines[["top", "right"]].set_visible(False)
        for name, tallies, colour in lines:
            values = [measure(t) for t in tallies]
            axes.plot(
                range(len(labels)),
                [float("nan") if v is None else v for v in values],
                marker="o",
                markersize=3,
                linewidth=2 if colour else 1.2,
                color=colour,
                label=name,
            )
        axes.set_ylabel(ylabel, fontsize=8)
    panels[0].set_ylim(1, 5)
    panels[2].set_ylim(0, 100)
    panels[2].set_xticks(range(len(labels)), labels, fontsize=8)
    panels[0].legend(fontsize=7, frameon=False, ncols=3, loc="lower left")
    return _svg(figure, "monthly")


def charts(report: Report) -> dict[str, str]:
    drawn = {"volume": volume_chart(report), "ratings": rating_chart(report), "sentiment": sentiment_chart(report)}
    if report.monthly is not None:
        drawn["monthly"] = monthly_chart(report.monthly)
    if report.topics:
        drawn["topics"] = topic_chart(report)
    return drawn
