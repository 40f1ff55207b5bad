"""The PDF of the same HTML, laid out by weasyprint (A4, the page rules in the template's CSS)."""

from __future__ import annotations

from pathlib import Path


def write(html: str, path: Path) -> Path:
    # Imported here: weasyprint loads Pango through ctypes, which only the PDF path needs.
    from weasyprint import HTML

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".tmp")
    HTML(string=html).write_pdf(partial)
    partial.replace(path)
    return path
