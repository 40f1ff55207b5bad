"""The few lines posted above the weekly report's files in Slack: where the figures went, and what is late."""

from __future__ import annotations

from datetime import timedelta

from models.crisis_cells import duration_words
from reports.actions import action_line
from reports.figures import Report
from reports.levels import direction

SHOWN = 5  # actions in the Slack post: the report has them all


def summary(report: Report) -> str:
    last_day = (report.end - timedelta(days=1)).date()
    lines = [f"*{report.brand}* reputation report, {report.start.date()} to {last_day}:"]
    lines += [f"• {line}" for line in direction(report)]
    late = report.past_deadline
    if late or report.crises:
        lines.append(f"• {late} replies past their deadline, {len(report.crises)} crisis alerts.")
    if report.actions:
        lines.append("Recommended actions:")
        lines += [f"• {action_line(action)}" for action in report.actions[:SHOWN]]
        if len(report.actions) > SHOWN:
            lines.append(f"• … and {len(report.actions) - SHOWN} more in the report.")
    for cell in report.crisis_cells:
        state = f"closed after {duration_words(cell.duration)}" if cell.closed_at else "still open"
        lines.append(
            f"• Crisis #{cell.channel} {state}: {cell.mentions} mentions, peak {cell.peak} an hour,"
            f" reach {cell.reach:,}, {cell.replies} replies, first after {duration_words(cell.first_reply_after)}."
        )
    return "\n".join(lines)
