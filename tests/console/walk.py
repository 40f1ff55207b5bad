"""A moderator clearing a queue of 200 own reviews in Chromium with the keyboard, counting keystrokes and page
loads. Shared by tests/console/test_walk.py (asserts the queue ends empty) and bench/console_walk.py (prints the
figures). The walk adapts to what the page shows, so the same walk ran on the console before partial updates:
where the cursor is lost after a reload, it presses `j` again."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from config.settings import load_settings
from models import Brand, Mention, MentionKind, MentionStatus, Source, utcnow
from scheduler import jobs
from tests.conftest import write_settings
from tests.console.support import PASSWORD, console_settings

COUNT = 200
TEXTS = (
    "Livraison rapide, très contente.",
    "Great service, would buy again",
    "Correct sans plus, emballage un peu léger",
    "Produit conforme, je recommande",
    "Le service client a répondu en deux heures",
)


def walk_context(folder: Path, count: int = COUNT) -> jobs.Context:
    """A console with 50 rows a page (the default) and `count` own reviews waiting in to_publish."""
    sections = {name: text.replace("page_size = 3", "page_size = 50") for name, text in console_settings().items()}
    path = write_settings(folder, f"sqlite:///{folder / 'walk.db'}", "", **sections)
    context = jobs.Context(load_settings(path), path)
    now = utcnow()
    with context.sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        survey = Source(brand_id=brand.id, name="survey", kind="survey", own=True, consent=True)
        session.add(survey)
        session.flush()
        for number in range(1, count + 1):
            rating = 1 + number % 5
            session.add(
                Mention(
                    source_id=survey.id,
                    external_id=str(number),
                    kind=MentionKind.REVIEW,
                    url=f"https://example.org/review/{number}",
                    text=f"{TEXTS[number % len(TEXTS)]} (#{number})",
                    rating=rating,
                    rating_best=5.0,
                    rating_normalised=(rating - 1) / 4,
                    language="fr",
                    published_at=now - timedelta(minutes=number),
                    consent=True,
                    status=MentionStatus.TO_PUBLISH,
                )
            )
    return context


def waiting(context: jobs.Context) -> int:
    with context.sessions.begin() as session:
        query = select(func.count(Mention.id)).where(Mention.status == MentionStatus.TO_PUBLISH)
        return session.scalar(query) or 0


@dataclass
class Tally:
    """What the moderator did: keys pressed, clicks, page loads (a document loaded in the tab)."""

    keys: int = 0
    clicks: int = 0
    loads: int = 0
    seconds: float = 0.0
    pressed: list[str] = field(default_factory=list)


def sign_in(browser: Any, base: str, width: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{base}/console/login")
    page.fill("input[name=name]", "mia")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=mia · moderator")
    return page


def counting(page: Any, url: str) -> Tally:
    """Open `url`, then count from there on: the first queue page is not part of the walk."""
    page.goto(url)
    page.wait_for_selector("table.queue")
    tally = Tally()

    def loaded(_page: Any) -> None:
        tally.loads += 1

    page.on("load", loaded)
    return tally


def press(page: Any, tally: Tally, key: str) -> None:
    tally.keys += 1
    tally.pressed.append(key)
    page.keyboard.press(key)


def settled(page: Any, gone: str, seconds: float = 20) -> None:
    """Wait until the row acted on has left the page and no request of the page script is running."""
    page.wait_for_selector(f'table.queue tr[data-id="{gone}"]', state="detached", timeout=seconds * 1000)
    page.wait_for_load_state("load")  # a reloaded page's script listens for keys once it has run
    page.wait_for_selector("body:not([data-busy])", timeout=seconds * 1000)


def clear_one_by_one(page: Any, base: str, context: jobs.Context) -> Tally:
    """Move to a row if no row is current (`j`), approve it (`a`), until the queue is empty."""
    tally = counting(page, f"{base}/console/queue/to_publish")
    started = time.perf_counter()
    deadline = started + 600
    while waiting(context) and time.perf_counter() < deadline:
        if page.locator("table.queue tr.current").count() == 0:
            press(page, tally, "j")
        current = page.get_attribute("table.queue tr.current", "data-id")
        press(page, tally, "a")
        settled(page, str(current))
    tally.seconds = time.perf_counter() - started
    return tally


def clear_all_matching(page: Any, base: str, context: jobs.Context) -> Tally:
    """Select every review matching the filter (`X`), approve them (`a`), until the queue is empty."""
    tally = counting(page, f"{base}/console/queue/to_publish")
    started = time.perf_counter()
    deadline = started + 600
    while waiting(context) and time.perf_counter() < deadline:
        first = page.get_attribute("table.queue tbody tr", "data-id")
        press(page, tally, "X")
        press(page, tally, "a")
        settled(page, str(first))
    tally.seconds = time.perf_counter() - started
    return tally


def clear_by_page_with_the_mouse(page: Any, base: str, context: jobs.Context) -> Tally:
    """The console before "select all matching": tick "all on this page", click "Approve selected", per page."""
    tally = counting(page, f"{base}/console/queue/to_publish")
    started = time.perf_counter()
    deadline = started + 600
    while waiting(context) and time.perf_counter() < deadline:
        first = page.get_attribute("table.queue tbody tr", "data-id")
        page.click("#select-all")
        page.click("#bulk-approve")
        tally.clicks += 2
        settled(page, str(first))
    tally.seconds = time.perf_counter() - started
    return tally


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))
