"""A real headless Chromium (Debian's, driven by Playwright; never `playwright install`) and a real uvicorn
server on 127.0.0.1, for the console's end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import serve  # noqa: F401  (the console tests import it from here)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def need_chromium() -> None:
    """Skip where Chromium is missing, except on CI: there `tests/install_chromium.sh` must have installed it."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} missing (tests/install_chromium.sh installs it from apt)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
