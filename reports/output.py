"""Write a built report in a format: html (one file), pdf (one file), csv (a folder of tables)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.orm import Session

from models import ReportFile, utcnow
from models.claims import insert_once
from reports import csv_export, html, pdf
from reports.actions import ActionSettings
from reports.build import Options
from reports.figures import Report
from reports.topics import brand_topics, topics_from

Format = Literal["html", "pdf", "csv"]


def options_from(reports_settings: Any) -> Options:
    """Build options from the `[reports]` settings section."""
    return Options(
        topics=topics_from(reports_settings.topics, reports_settings.industry),
        product_last_reviews=reports_settings.product_last_reviews,
        product_max_rating=reports_settings.product_max_rating,
        signal_min_mentions=reports_settings.signal_min_mentions,
        signal_rise=reports_settings.signal_rise,
        min_sample=reports_settings.min_sample,
    )


def options_for(settings: Any) -> Options:
    """Build options from the settings: the `[reports]` section, and for the recommended actions the reply SLA,
    the product owners and where the console is."""
    actions = ActionSettings(
        reply_sla_hours=settings.moderation.reply_sla_hours,
        product_owners=dict(settings.moderation.product_owners),
        public_url=settings.serve.public_url,
    )
    names = {brand.slug: dict(brand.products) for brand in settings.brands}
    lists = {brand.slug: brand_topics(settings.reports, brand) for brand in settings.brands}
    return replace(options_from(settings.reports), actions=actions, product_names=names, brand_topics=lists)


def default_name(slug: str, start: datetime, end: datetime, fmt: Format) -> str:
    """demo-2026-11-16-2026-11-22.html: the brand and the first and last days (the end is excluded)."""
    stem = f"{slug}-{start.date()}-{(end - timedelta(days=1)).date()}"
    return stem if fmt == "csv" else f"{stem}.{fmt}"


def write(report: Report, fmt: Format, out: Path, version: str, options: Options) -> list[Path]:
    if fmt == "csv":
        return csv_export.write(report, out)
    text = html.render(report, version, options.product_max_rating, options.product_last_reviews)
    if fmt == "pdf":
        return [pdf.write(text, out)]
    return [html.write_text(text, out)]


def record(session: Session, report: Report, fmt: Format, out: Path) -> None:
    """Remember a written report and the mentions it quotes (one row per file or CSV folder, by path)."""
    path = str(out.resolve())
    values = {
        "brand_slug": report.slug,
        "start": report.start,
        "end": report.end,
        "format": fmt,
        "quoted": report.quoted(),
        "written_at": utcnow(),
        "last_error": None,
    }
    # Insert-or-skip, then update: two processes recording the same path (the weekly job, an erasure's rewrite,
    # `veilleur report`) end with one row, the last writer's.
    insert_once(session, ReportFile, [{"path": path, **values}])
    session.execute(update(ReportFile).where(ReportFile.path == path).values(**values))
