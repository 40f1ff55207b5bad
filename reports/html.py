"""Write the HTML report: one self-contained file (inline CSS and SVG charts, no script, nothing fetched).
Review text is never rendered unescaped (autoescape is on); a review's link is a link only when `safe_url`
passes it, checked here at render time so that rows stored before the crawlers checked links are covered."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from models.crisis_cells import duration_words
from models.urls import safe_url
from reports.charts import charts
from reports.competitors import top_topics
from reports.figures import Report, hours_text
from reports.levels import levels

_TEMPLATES = Path(__file__).parent / "templates"
# The printed page (A4, page breaks, tables within the page) and narrow screens, kept out of the template's own
# styles so that the report's content and its layout change apart.
LAYOUT_CSS = (_TEMPLATES / "layout.css").read_text(encoding="utf-8")


def _diff(current: float | None, previous: float | None) -> float | None:
    return None if current is None or previous is None else current - previous


def render(report: Report, version: str, product_max_rating: float = 3.0, product_last_reviews: int = 10) -> str:
    environment = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    environment.filters["safe_url"] = safe_url
    return environment.get_template("report.html.j2").render(
        r=report,
        t=report.total.current,
        p=report.total.previous,
        last_day=(report.end - timedelta(days=1)).date(),
        previous_last_day=(report.start - timedelta(days=1)).date(),
        levels=levels(report),
        charts=charts(report),
        diff=_diff,
        duration_words=duration_words,
        hours_text=hours_text,
        top_topics=top_topics,
        brand_topics=Counter({topic.label: topic.volume for topic in report.topics}),
        brand_negative=Counter({topic.label: topic.current["negative"] for topic in report.topics}),
        version=version,
        product_max_rating=product_max_rating,
        product_last_reviews=product_last_reviews,
        layout_css=Markup(LAYOUT_CSS),
    )


def write_text(text: str, path: Path) -> Path:
    """Write through a temporary file: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: the weekly job and an erasure's rewrite may write the same report at once.
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path
