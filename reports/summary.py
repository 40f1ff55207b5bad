"""The few lines posted above the weekly report's files in Slack: where the figures went, and what is late."""

from __future__ import annotations

from datetime import timedelta

from reports.figures import Report
from reports.levels import direction


def summary(report: Report) -> str:
    last_day = (report.end - timedelta(days=1)).date()
    lines = [f"*{report.brand}* reputation report, {report.start.date()} to {last_day}:"]
    lines += [f"• {line}" for line in direction(report)]
    late = sum(report.late_by_assignee.values())
    if late or report.crises:
        lines.append(f"• {late} replies past their deadline, {len(report.crises)} crisis alerts.")
    return "\n".join(lines)
