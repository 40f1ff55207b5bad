"""Write the HTML report. Review text is never rendered here unescaped (autoescape is on)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports.figures import BrandFigures

_TEMPLATES = Path(__file__).parent / "templates"


def render(figures: BrandFigures, version: str) -> str:
    environment = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    total = figures.total
    rows = [*figures.sources, total] if len(figures.sources) > 1 else figures.sources
    return environment.get_template("report.html.j2").render(f=figures, rows=rows, total=total, version=version)


def write(figures: BrandFigures, path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".tmp")
    partial.write_text(render(figures, version), encoding="utf-8")
    partial.replace(path)
    return path
