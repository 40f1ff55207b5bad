"""The disclosure page (D111-16 to D111-19, ISO 20488): how reviews are collected, checked and published,
generated from settings so it says what the code does. French first, then English."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from models import RejectionReason, utcnow
from moderation.publishing.feed import environment

if TYPE_CHECKING:
    from config.settings import Settings


def disclosure_facts(settings: Settings, brand: str) -> dict[str, Any]:
    """What the page states, from settings alone (a pure function, tested as a table)."""
    moderation, publishing, privacy = settings.moderation, settings.publishing, settings.privacy
    return {
        "brand": settings.brand(brand).name,
        "classifier": settings.classifier.model,
        "mode": moderation.publishing,
        "auto_hours": f"{moderation.auto_approve_hours:g}",
        "sample_percent": f"{moderation.auto_sample_share * 100:g}",
        "max_days": publishing.max_publication_days,
        "reasons": [(reason.notice_fr, reason.notice_en) for reason in RejectionReason],  # the words notices use
        "pseudonymise_months": privacy.pseudonymise_after_months,
        "keep_removed_days": privacy.keep_removed_days,
        "incentive": publishing.incentive.strip(),
        "reply_hours": moderation.reply_sla_hours,
    }


def render_disclosure(settings: Settings, brand: str, now: datetime | None = None) -> str:
    facts = disclosure_facts(settings, brand)
    return environment.get_template("disclosure.html.j2").render(f=facts, updated=(now or utcnow()).date())
