"""Recommended actions: what to do after reading the report, each with an owner, a target and a link into the
moderator console. Built from the report's figures and the settings only (nothing new is counted here); the HTML
report, the Slack post of the weekly report and the CSV export all show this same list."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from reports.figures import Report

MODERATORS = "the moderators"
NO_OWNER = "no owner: set one in [moderation.product_owners]"


@dataclass(frozen=True)
class ActionSettings:
    reply_sla_hours: int = 24
    product_owners: dict[str, str] = field(default_factory=dict)  # product reference -> owner
    public_url: str = ""  # [serve] public_url: links go to PUBLIC_URL/console/queue/QUEUE?filters


@dataclass(frozen=True)
class Action:
    what: str
    owner: str
    target: str
    link: str | None = None  # into the console; None when no public URL is set


def queue_link(settings: ActionSettings, queue: str, **filters: str) -> str | None:
    """The console's queue page with its filters (web/console/queries.py `Filters.parse` reads them)."""
    if not settings.public_url:
        return None
    query = urlencode({k: v for k, v in filters.items() if v})
    return f"{settings.public_url.rstrip('/')}/console/queue/{queue}" + (f"?{query}" if query else "")


def recommended_actions(report: Report, settings: ActionSettings) -> list[Action]:
    actions = []
    sla = f"{settings.reply_sla_hours} h"
    late_link = queue_link(settings, "to_reply", brand=report.slug, sla="late")
    for assignee, count in sorted(report.late_by_assignee.items(), key=lambda item: (-item[1], item[0])):
        owner = MODERATORS + " (unassigned)" if assignee == "unassigned" else assignee
        actions.append(
            Action(
                f"Answer {count} review{'s' if count > 1 else ''} past the reply deadline",
                owner,
                f"today: the deadline is {sla} after a review arrives",
                late_link,
            )
        )
    waiting = report.total.current.reviews - report.total.current.answered - report.total.current.rejected
    if report.total.current.with_deadline and waiting > 0:
        actions.append(
            Action(
                "Answer this period's reviews that are still waiting for a reply",
                MODERATORS,
                f"each within {sla} (reply deadline)",
                queue_link(settings, "to_reply", brand=report.slug, sort="urgent"),
            )
        )
    for product in report.low_products[:3]:
        named = report.product_label(product.product)
        actions.append(
            Action(
                f"Look into product {named}: {product.average_rating:.1f}/5 over its last "
                + (f"{product.reviews} reviews" if product.reviews > 1 else "review"),
                settings.product_owners.get(product.product, NO_OWNER),
                "an answer to each low review, and the cause found before the next report",
                queue_link(settings, "to_reply", brand=report.slug, rating="1"),
            )
        )
    if report.moderation.pending:
        actions.append(
            Action(
                f"Moderate {report.moderation.pending} mentions of the period still waiting",
                MODERATORS,
                f"within {sla}",
                queue_link(settings, "to_publish", brand=report.slug),
            )
        )
    backlog = report.backlog
    if backlog.total:
        actions.append(
            Action(
                f"Clear the backlog: {backlog.total} older items still open ({backlog.to_moderate} to moderate,"
                f" {backlog.to_publish} to publish, {backlog.to_reply} to reply)",
                MODERATORS,
                "before the next report",
                queue_link(settings, "to_publish", brand=report.slug, age="older"),
            )
        )
    for source in report.sources:
        if not source.healthy:
            actions.append(
                Action(
                    f"Repair source {source.name}: {source.health_reason}",
                    "the operator",
                    "before its next crawl",
                    None,
                )
            )
    return actions


def action_line(action: Action) -> str:
    """One line: what, who, by when, and the link (Slack shows a bare url as a link: the summary is escaped)."""
    line = f"{action.what}: {action.owner}, {action.target}"
    return f"{line}, {action.link}" if action.link else line
