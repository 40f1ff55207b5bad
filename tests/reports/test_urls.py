"""A review's link in the report is checked when the report is rendered (models/urls.py: `safe_url`), so a
javascript: link stored before the crawlers checked links is plain text in the HTML and no link in the PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from models import Mention
from reports import html, pdf
from tests.reports.conftest import make_report

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
GOOD = "https://avis.example.fr/review/6"


def stored_before_the_check(loaded: tuple[sessionmaker[Session], dict[int, int]]) -> str:
    """Every review's link made hostile, as rows stored before the fix may be, but one good link; the report."""
    sessions, ids = loaded
    with sessions.begin() as session:
        session.execute(update(Mention).values(url="JaVaScRiPt:alert(document.cookie)"))
        # #3: a quoted irritant (#6 was quoted as a weak signal before issue 18).
        session.execute(update(Mention).where(Mention.id == ids[3]).values(url=GOOD))
    return html.render(make_report(sessions), "test")


@SQLITE
def test_html_report_links_only_to_http(loaded: tuple[sessionmaker[Session], dict[int, int]]) -> None:
    text = stored_before_the_check(loaded)
    assert "javascript:" not in text.lower()
    links = re.findall(r'href="([^"#][^"]*)"', text)
    assert links and set(links) == {GOOD}  # the good link is still a link; the others are gone


@SQLITE
def test_pdf_report_links_only_to_http(loaded: tuple[sessionmaker[Session], dict[int, int]], tmp_path: Path) -> None:
    from pypdf import PdfReader

    path = pdf.write(stored_before_the_check(loaded), tmp_path / "report.pdf")
    uris = set()
    for page in PdfReader(path).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.add(str(action["/URI"]))
    assert uris == {GOOD}
