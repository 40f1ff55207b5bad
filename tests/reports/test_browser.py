"""The HTML report opened in headless Chromium (Debian's package, driven by Playwright): charts and tables are
drawn, nothing is fetched from the network, and a screenshot shows the charts' colours."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest

from reports import html
from reports.figures import Report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: tests/install_chromium.sh should have installed it")
        pytest.skip("chromium not installed (tests/install_chromium.sh installs it)")
    return CHROMIUM


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_report_renders_in_chromium_with_charts_and_tables(report: Report, tmp_path: Path, chromium_path: Path) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_text(html.render(report, "test"), encoding="utf-8")
    requested: list[str] = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(chromium_path), args=ARGS, viewport={"width": 1200, "height": 900}
        )
        try:
            page = browser.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.goto(page_file.as_uri())
            charts = page.locator("svg.chart")
            assert charts.count() == 5  # with the 12-month trend lines (issue 21)
            for index in range(4):
                box = charts.nth(index).bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 100
            assert page.locator("table").count() >= 8
            assert page.locator("#direction li").count() == 3
            shot = page.locator('svg[data-chart="topics"]').screenshot()
            full = page.screenshot(full_page=True)
        finally:
            browser.close()
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    # The topic chart's bars: negative red (#d9534f) and positive green (#5cb85c), near enough after smoothing.
    assert any(n > 50 and abs(r - 0xD9) < 12 and abs(g - 0x53) < 12 and abs(b - 0x4F) < 12 for n, (r, g, b) in colours)
    assert any(n > 50 and abs(r - 0x5C) < 12 and abs(g - 0xB8) < 12 and abs(b - 0x5C) < 12 for n, (r, g, b) in colours)
    page_image = Image.open(io.BytesIO(full))
    assert page_image.width == 1200 and page_image.height > 2000
