"""The survey's own figures for a brand and period: true NPS (0-10: promoters 9-10, detractors 0-6), CSAT (share
of 4 and 5 on 1-5), CES (mean on 1-7), beside the NPS-like score from the same answers' stars (reports/figures.py);
response rate by campaign, unsubscribe and bounce rates over the invitations sent in the period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import SurveyAnswer, SurveyMessage, SurveyOptOut, SurveyOrder
from reports.figures import Tally


@dataclass
class Campaign:
    name: str
    invited: int = 0
    answered: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None


@dataclass
class SurveyFigures:
    answers: int = 0
    nps: float | None = None
    nps_answers: int = 0
    nps_like: float | None = None  # from the answers' stars, as the reports score every review
    csat: float | None = None  # share of 4 and 5
    csat_answers: int = 0
    ces: float | None = None  # mean, 7 is easiest
    ces_answers: int = 0
    invited: int = 0
    unsubscribe_rate: float | None = None
    bounce_rate: float | None = None  # bounces and complaints
    capped: int = 0  # orders never invited: the customer had had an invitation recently (the cap)
    campaigns: list[Campaign] = field(default_factory=list)


def survey_figures(session: Session, brand_id: int, start: datetime, end: datetime) -> SurveyFigures:
    figures = SurveyFigures()
    answers = session.scalars(
        select(SurveyAnswer)
        .join(SurveyOrder, SurveyOrder.id == SurveyAnswer.order_id)
        .where(SurveyOrder.brand_id == brand_id, SurveyAnswer.created_at >= start, SurveyAnswer.created_at < end)
    ).all()
    figures.answers = len(answers)
    nps = [a.nps for a in answers if a.nps is not None]
    if nps:
        figures.nps = 100 * (sum(n >= 9 for n in nps) - sum(n <= 6 for n in nps)) / len(nps)
    figures.nps_answers = len(nps)
    tally = Tally()
    for answer in answers:
        tally.rated += 1
        tally.stars[answer.stars - 1] += 1
    figures.nps_like = tally.nps
    csat = [a.csat for a in answers if a.csat is not None]
    figures.csat, figures.csat_answers = (sum(c >= 4 for c in csat) / len(csat) if csat else None), len(csat)
    ces = [a.ces for a in answers if a.ces is not None]
    figures.ces, figures.ces_answers = (sum(ces) / len(ces) if ces else None), len(ces)

    invited = session.execute(
        select(SurveyOrder.campaign, SurveyOrder.id, SurveyAnswer.id)
        .join(SurveyMessage, SurveyMessage.order_id == SurveyOrder.id)
        .outerjoin(SurveyAnswer, SurveyAnswer.order_id == SurveyOrder.id)
        .where(
            SurveyOrder.brand_id == brand_id,
            SurveyMessage.kind == "invitation",
            SurveyMessage.sent_at >= start,
            SurveyMessage.sent_at < end,
        )
    ).all()
    campaigns: dict[str, Campaign] = {}
    for name, _order, answer_id in invited:
        campaign = campaigns.setdefault(name, Campaign(name))
        campaign.invited += 1
        campaign.answered += answer_id is not None
    figures.campaigns = sorted(campaigns.values(), key=lambda c: c.name)
    figures.invited = len(invited)
    outs: dict[str, int] = {
        reason: count
        for reason, count in session.execute(
            select(SurveyOptOut.reason, func.count())
            .where(SurveyOptOut.brand_id == brand_id, SurveyOptOut.at >= start, SurveyOptOut.at < end)
            .group_by(SurveyOptOut.reason)
        )
    }
    if figures.invited:
        figures.unsubscribe_rate = outs.get("unsubscribe", 0) / figures.invited
        figures.bounce_rate = (outs.get("bounce", 0) + outs.get("complaint", 0)) / figures.invited
    figures.capped = (
        session.scalar(
            select(func.count(SurveyOrder.id)).where(
                SurveyOrder.brand_id == brand_id,
                SurveyOrder.skipped == "cap",
                SurveyOrder.delivered_at >= start,
                SurveyOrder.delivered_at < end,
            )
        )
        or 0
    )
    return figures


def report_figures(session: Session, brand_id: int, start: datetime, end: datetime) -> SurveyFigures | None:
    """The report's survey section: None (no section) unless the brand has survey orders in or before the
    period; a brand without surveys is not shown a block of "n/a"."""
    ordered = session.scalar(
        select(SurveyOrder.id).where(SurveyOrder.brand_id == brand_id, SurveyOrder.ordered_at < end).limit(1)
    )
    return None if ordered is None else survey_figures(session, brand_id, start, end)


def figure_lines(figures: SurveyFigures) -> list[str]:
    """The section as plain lines (the command's output)."""

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.0f} %"

    def score(value: float | None, digits: int = 0) -> str:
        return "n/a" if value is None else f"{value:+.{digits}f}" if digits == 0 else f"{value:.{digits}f}"

    lines = [
        f"answers {figures.answers}",
        f"NPS {score(figures.nps)} ({figures.nps_answers} answers) | NPS-like from the stars {score(figures.nps_like)}",
        f"CSAT {pct(figures.csat)} satisfied ({figures.csat_answers} answers)"
        f" | CES {score(figures.ces, 1)} / 7 ({figures.ces_answers} answers)",
        f"invitations sent {figures.invited} | unsubscribed {pct(figures.unsubscribe_rate)}"
        f" | bounced or complained {pct(figures.bounce_rate)} | not invited (cap) {figures.capped}",
    ]
    lines += [
        f"campaign {c.name}: {c.invited} invited, {c.answered} answered, response rate {pct(c.response_rate)}"
        for c in figures.campaigns
    ]
    return lines
