"""The three readings of a report: operational (what to handle now), managerial (what changed, who is late),
direction (the trend and three lines to remember). Plain sentences built from the figures, nothing new computed."""

from __future__ import annotations

from dataclasses import dataclass

from reports.figures import Report, Tally


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


def rating_line(now: Tally, before: Tally) -> str:
    if now.average_rating is None:
        return f"{now.mentions} mentions, no rated review this period."
    return (
        f"Average rating {now.average_rating:.2f}/5 over {now.rated} rated reviews"
        f" ({signed(delta(now.average_rating, before.average_rating), 2)} vs previous period);"
        f" NPS-like {now.nps:+.0f} ({signed(delta(now.nps, before.nps), 0)})."
    )


def operational(report: Report) -> list[str]:
    lines = []
    late = sum(report.late_by_assignee.values())
    if late:
        lines.append(f"{late} reviews are past their reply deadline: answer them first.")
    if report.moderation.pending:
        lines.append(f"{report.moderation.pending} mentions of the period wait for moderation or a reply.")
    for product in report.low_products[:3]:
        lines.append(
            f"Product {product.product}: {product.average_rating:.1f}/5 over its last {product.reviews} reviews."
        )
    for crisis in report.crises[:3]:
        lines.append(f"Crisis alert on {crisis.source} ({crisis.at:%Y-%m-%d %H:%M} UTC): {crisis.text}")
    for source in report.sources:
        if not source.healthy:
            lines.append(f"Source {source.name} is unhealthy: {source.health_reason}.")
    return lines or ["Nothing waits: no late reply, no pending moderation, no low-rated product, no crisis."]


def managerial(report: Report) -> list[str]:
    now, before = report.total.current, report.total.previous
    negative, negative_before = now.share("negative"), before.share("negative")
    change = delta(negative, negative_before)
    lines = [
        f"Volume {now.mentions} mentions ({signed(now.mentions - before.mentions, 0)} vs previous period).",
        rating_line(now, before),
        f"Negative share {percent(negative)} ({signed(None if change is None else 100 * change, 0, ' pts')}).",
    ]
    rising = sorted(report.topics, key=lambda t: t.previous["negative"] - t.current["negative"])
    for topic in rising[:2]:
        change = topic.current["negative"] - topic.previous["negative"]
        if change > 0:
            lines.append(f"Irritant rising: {topic.label} ({topic.current['negative']} negative, {change:+d}).")
    lines.append(
        f"Replies: {percent(now.answered_share)} of reviews answered, median "
        + ("n/a" if now.median_reply_hours is None else f"{now.median_reply_hours:.1f} h")
        + f", {now.sla_breaches} past their deadline."
    )
    for assignee, count in report.late_by_assignee.most_common(5):
        lines.append(f"Late: {assignee} has {count} overdue replies.")
    return lines


def direction(report: Report) -> list[str]:
    now, before = report.total.current, report.total.previous
    lines = [rating_line(now, before)]
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
