"""The report on paper and on a phone, checked in pictures: the PDF's pages rendered to PNG (pdfium) and the HTML
report in headless Chromium at 1280 and 390 px, all kept in var/test-artefacts/ to be looked at.

What can be asserted is: every character the PDF draws lies inside the page's printable box (a cut column such as
"Health" draws past the right margin), every page but the last is filled at least to FILL of its height (no
half-empty page left by a block pushed to the next), and the HTML report is no wider than a phone's screen.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Source
from reports import html, pdf
from tests.conftest import ROOT
from tests.console.browser import chromium, need_chromium
from tests.reports.conftest import make_report

ARTEFACTS = ROOT / "var" / "test-artefacts"
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POINTS_PER_MM = 72 / 25.4
MARGIN_RIGHT_MM = 12  # reports/templates/layout.css, @page
FILL = 0.6
# What a failing source says in the Health column: long, and one unbreakable word (the URL).
REASON = (
    "HTTP 503 from https://fr.trustpilot.com/review/www.example-burger-chain.fr?languages=all&sort=recency&page=12"
    " (3 failures in a row since 2026-03-05 04:00)"
)


def _unhealthy(loaded: tuple[sessionmaker[Session], dict[int, int]]) -> sessionmaker[Session]:
    sessions = loaded[0]
    with sessions.begin() as session:
        source = session.scalars(select(Source).order_by(Source.id)).first()
        assert source is not None
        source.name = "trustpilot-example-burger-chain-fr"
        source.healthy, source.health_reason = False, REASON
    return sessions


def _ink_bottom(image) -> float:  # type: ignore[no-untyped-def]
    """How far down the page (0..1) its lowest non-white pixel lies, the page number in the footer left out."""
    grey = image.convert("L")
    width, height = grey.size
    footer = int(height * (1 - 16 * POINTS_PER_MM / (297 * POINTS_PER_MM)))  # the bottom margin holds the number
    pixels = grey.load()
    for y in range(footer - 1, -1, -1):
        if any(pixels[x, y] < 200 for x in range(0, width, 2)):
            return y / height
    return 0.0


@SQLITE
def test_pdf_pages_keep_tables_inside_and_leave_no_half_empty_page(
    loaded: tuple[sessionmaker[Session], dict[int, int]], tmp_path: Path
) -> None:
    import pypdfium2

    report = make_report(_unhealthy(loaded))
    path = pdf.write(html.render(report, "test"), tmp_path / "report.pdf")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTEFACTS.glob("report-pdf-page-*.png"):
        old.unlink()
    document = pypdfium2.PdfDocument(str(path))
    try:
        pages = len(document)
        assert pages >= 2
        fills = []
        words = []
        for index in range(pages):
            page = document[index]
            width, height = page.get_size()
            assert (round(width), round(height)) == (595, 842)  # A4 in points
            right = width - MARGIN_RIGHT_MM * POINTS_PER_MM + 1
            text = page.get_textpage()
            outside = [
                text.get_text_range(i, 1)
                for i in range(text.count_chars())
                if text.get_charbox(i)[2] > right and not text.get_text_range(i, 1).isspace()
            ]
            assert outside == [], f"page {index + 1} draws past its right margin: {''.join(outside)!r}"
            words.append(text.get_text_range())
            image = page.render(scale=1.5).to_pil()
            image.save(ARTEFACTS / f"report-pdf-page-{index + 1}.png")
            fills.append(_ink_bottom(image))
            text.close()
            page.close()
    finally:
        document.close()
    assert all(fill >= FILL for fill in fills[:-1]), f"pages filled to {[round(f, 2) for f in fills]}"
    everything = " ".join(" ".join(words).split())
    assert "Health" in everything
    # The whole reason is printed (wrapped, not cut): each of its words is there.
    flat = everything.replace(" ", "").replace("\n", "")
    assert REASON.replace(" ", "") in flat


@SQLITE
def test_html_report_in_chromium_at_1280_and_390_px(
    loaded: tuple[sessionmaker[Session], dict[int, int]], tmp_path: Path
) -> None:
    need_chromium()
    report = make_report(_unhealthy(loaded))
    page_file = tmp_path / "report.html"
    page_file.write_text(html.render(report, "test"), encoding="utf-8")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        for width in (1280, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(page_file.as_uri())
            assert page.locator("table").count() >= 8
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(ARTEFACTS / f"report-html-{width}.png"), full_page=True)
            page.close()


def test_the_fill_check_sees_a_half_empty_page() -> None:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(page).rectangle((40, 40, 500, 300), fill="black")
    ImageDraw.Draw(page).text((520, 830), "1 / 3", fill="black")  # the page number, in the bottom margin
    assert _ink_bottom(page) < FILL
    ImageDraw.Draw(page).rectangle((40, 500, 500, 700), fill="black")
    assert _ink_bottom(page) >= FILL
