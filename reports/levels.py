"""The three readings of a report: operational (what to handle now), managerial (what changed, who is late),
direction (the trend and three lines to remember). Plain sentences built from the figures, nothing new computed."""

from __future__ import annotations

from dataclasses import dataclass

from reports.actions import action_line
from reports.figures import Change, Report, Tally, hours_text


@dataclass
class Levels:
    operational: list[str]
    managerial: list[str]
    direction: list[str]


def signed(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}{unit}"


def delta(current: float | None, previous: float | None) -> float | None:
    return None if current is None or previous is None else current - previous


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f} %"


def changed(change: Change, digits: int = 1, unit: str = "") -> str:
    """ "+0.12 vs previous period", or why there is no change to show."""
    if change.value is None:
        return change.why_not
    return f"{signed(change.value, digits, unit)} vs previous period"


def rating_line(report: Report, now: Tally, before: Tally) -> str:
    if now.average_rating is None:
        return f"{now.mentions} mentions, no rated review this period."
    small = " (a small sample)" if now.rated < report.min_sample else ""
    rating = report.change(now.average_rating, before.average_rating, now.rated, before.rated)
    nps = report.change(now.nps, before.nps, now.rated, before.rated)
    assert now.nps is not None
    return (
        f"Average rating {now.average_rating:.2f}/5 over {now.rated} rated reviews{small} ({changed(rating, 2)});"
        f" NPS-like {now.nps:+.0f} ({changed(nps, 0, ' pts')})."
    )


def operational(report: Report) -> list[str]:
    """The recommended actions (who does what, by when: reports/actions.py) and the crises."""
    lines = [action_line(action) for action in report.actions]
    for crisis in report.crises[:3]:
        lines.append(f"Crisis alert on {crisis.source} ({crisis.at:%Y-%m-%d %H:%M} UTC): {crisis.text}")
    return lines or ["Nothing waits: no late reply, no pending moderation, no low-rated product, no crisis."]


def managerial(report: Report) -> list[str]:
    now, before = report.total.current, report.total.previous
    negative = report.change(now.share("negative"), before.share("negative"), now.classified, before.classified)
    lines = [
        f"Volume {now.mentions} mentions ({signed(now.mentions - before.mentions, 0)} vs previous period).",
        rating_line(report, now, before),
        f"Negative share {percent(now.share('negative'))}"
        f" ({changed(negative if negative.value is None else Change(100 * negative.value), 0, ' pts')}).",
    ]
    if now.rejected:
        lines.append(f"{now.rejected} rejected reviews (spam, abuse...) left out of the ratings.")
    rising = sorted(report.topics, key=lambda t: t.previous["negative"] - t.current["negative"])
    for topic in rising[:2]:
        change = topic.current["negative"] - topic.previous["negative"]
        if change > 0:
            lines.append(f"Irritant rising: {topic.label} ({topic.current['negative']} negative, {change:+d}).")
    lines.append(
        f"Replies: {percent(now.answered_share)} of reviews answered, median {hours_text(now.median_reply_hours)},"
        f" {now.answered_late} answered late."
    )
    older = report.past_deadline - now.past_deadline
    if report.past_deadline:
        lines.append(
            f"{report.past_deadline} reviews past their reply deadline: {now.past_deadline} of this period,"
            f" {older} older."
        )
    for assignee, count in report.late_by_assignee.most_common(5):
        lines.append(f"Late: {assignee} has {count} overdue replies.")
    if report.backlog.total:
        lines.append(f"Backlog: {report.backlog.total} older items still open (apart from this period's figures).")
    return lines


def direction(report: Report) -> list[str]:
    now, before = report.total.current, report.total.previous
    lines = [rating_line(report, now, before)]
    if report.irritants:
        top = report.irritants[0]
        lines.append(f"Top irritant: {top.label} ({top.current['negative']} negative mentions).")
    else:
        lines.append(f"Negative share {percent(now.share('negative'))} of {now.mentions} mentions.")
    if report.praise:
        top = report.praise[0]
        lines.append(f"Top praise: {top.label} ({top.current['positive']} positive mentions).")
    else:
        lines.append(f"Replies: {percent(now.answered_share)} of reviews answered.")
    return lines


def levels(report: Report) -> Levels:
    return Levels(operational(report), managerial(report), direction(report))
