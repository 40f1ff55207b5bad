"""The PDF of the same HTML, laid out by weasyprint (A4, the page rules in the template's CSS)."""

from __future__ import annotations

import uuid
from pathlib import Path


def write(html: str, path: Path) -> Path:
    # Imported here: weasyprint loads Pango through ctypes, which only the PDF path needs.
    from weasyprint import HTML

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")  # one per writer, as in html.py
    HTML(string=html).write_pdf(partial)
    partial.replace(path)
    return path
