"""The hosted survey form's page weight and time to first render, in a real headless Chromium against the app on
uvicorn (a temporary SQLite database, one demo order). Prints figures; asserts nothing.

    .venv/bin/python -m bench.survey_form [--runs 10]

Weight: the bytes of every response the page needs (one: the HTML, styles inline), raw and gzipped. First render:
Chromium's first-contentful-paint, from navigation start, on a loopback connection: the page's own cost only.
"""

from __future__ import annotations

import argparse
import gzip
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from config.settings import load_settings
from models import Brand, SurveyOrder, utcnow
from scheduler.context import Context
from surveys.invitations import form_link
from surveys.orders import Order, store_orders
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
SETTINGS = """
[database]
url = "sqlite:///{folder}/bench.db"
[crawl]
user_agent = "Veilleur-bench/0.1 (+mailto:bench@example.org)"
[serve]
public_url = "http://127.0.0.1:{port}"
[[brands]]
slug = "demo"
name = "Démo"
[[brands.sources]]
name = "survey"
kind = "survey"
urls = ["file:///dev/null"]
own = true
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        path = Path(folder) / "settings.toml"
        path.write_text(SETTINGS.format(folder=folder, port=port), encoding="utf-8")
        context = Context(load_settings(path), path)
        now = utcnow()
        with context.sessions.begin() as session:
            brand = session.query(Brand).one()
            order = Order("B-1", now, now, "bench@example.com", "Camille", "fr", ["PANIER-BIO-M"])
            store_orders(session, brand.id, [order], "bench")
            link = form_link(session, context.settings, session.query(SurveyOrder).one(), now)
        server = uvicorn.Server(uvicorn.Config(create_app(context), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        paints: list[float] = []
        sizes: list[int] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for width in (390, 1280):
                for _ in range(runs):
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    bodies: list[bytes] = []
                    page.on("response", lambda response, bodies=bodies: bodies.append(response.body()))
                    page.goto(link, wait_until="load")
                    paints.append(_first_paint(page))
                    sizes.append(sum(len(body) for body in bodies))
                    html = bodies[0]
                    page.close()
                print(
                    f"{width} px: first-contentful-paint median {statistics.median(paints):.0f} ms,"
                    f" max {max(paints):.0f} ms over {len(paints)} loads"
                )
                paints.clear()
            browser.close()
        print(f"page weight: {max(sizes)} bytes in {len(bodies)} request(s), {len(gzip.compress(html))} bytes gzipped")
        server.should_exit = True
        thread.join(timeout=20)
        context.close()


def _first_paint(page) -> float:  # type: ignore[no-untyped-def]
    """The paint entry is recorded once the frame is drawn, which may follow the load event. Polled from outside:
    the page's policy forbids the script a wait_for_function would run in it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        paint = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")
        if paint is not None:
            return float(paint)
        time.sleep(0.01)
    raise RuntimeError("no first-contentful-paint within 10 s")


if __name__ == "__main__":
    main()
