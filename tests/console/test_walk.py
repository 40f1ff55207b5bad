"""Issue 17, in Chromium at 1280 px and 390 px: a moderator clears a queue of 200 reviews with the keyboard
without a page load (tests/console/walk.py counts keys and loads; bench/console_walk.py prints them); every
button of a full queue is reachable at 390 px with no horizontal scrolling; approve and reject & next on the
review page; a ticked checkbox keeps the shortcuts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models import Mention, MentionStatus
from tests.console import walk
from tests.console.browser import chromium, need_chromium, serve
from tests.console.support import make_context
from web.app import create_app
from web.console.actions import REASONS

WIDTHS = [1280, 390]


@pytest.fixture
def walk_site(tmp_path: Path) -> Iterator[tuple[Any, str, Any]]:
    need_chromium()
    context = walk.walk_context(tmp_path)
    with serve(create_app(context)) as base, chromium() as browser:
        yield browser, base, context
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_clearing_200_reviews_one_by_one_loads_no_page(walk_site, width):
    browser, base, context = walk_site
    page = walk.sign_in(browser, base, width)
    tally = walk.clear_one_by_one(page, base, context)
    assert walk.waiting(context) == 0
    assert tally.loads == 0  # round3's console: 200
    assert tally.keys == walk.COUNT + 1, tally.pressed[:10]  # one `j`, then `a` per review (round3: 400)
    assert walk.overflow(page) == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_clearing_200_reviews_all_matching_in_two_keys(walk_site, width):
    browser, base, context = walk_site
    page = walk.sign_in(browser, base, width)
    page.goto(f"{base}/console/queue/to_publish")
    assert "all 200 matching" in page.inner_text(".bulk")
    tally = walk.clear_all_matching(page, base, context)
    assert walk.waiting(context) == 0
    assert (tally.keys, tally.loads) == (2, 0)
    assert "approved 200 of 200" in page.inner_text("#flash")
    # Undo covers the whole selection: the 200 ids fit in the session cookie.
    page.keyboard.press("u")
    page.wait_for_selector("#flash >> text=undid approved 200 of 200")
    assert walk.waiting(context) == walk.COUNT


def test_a_full_queue_fits_390_px_and_every_button_is_reachable(walk_site):
    browser, base, _context = walk_site
    page = walk.sign_in(browser, base, 390)
    for path in ("/console/queue/to_publish", "/console/", "/console/review/1?back=/console/queue/to_publish"):
        page.goto(base + path)
        assert walk.overflow(page) == 0, path
        for button in page.locator("main button, header button").all():
            box = button.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (path, button.inner_text())


def status(context: Any, mention_id: int) -> Mention:
    with context.sessions.begin() as session:
        mention = session.get(Mention, mention_id)
        session.expunge(mention)
        return mention


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Any, str, Any]]:
    need_chromium()
    context = make_context(tmp_path, f"sqlite:///{tmp_path / 'console.db'}")
    with serve(create_app(context)) as base, chromium() as browser:
        yield walk.sign_in(browser, base, 1280), base, context
    context.close()


def test_approve_and_reject_and_next_on_the_review_page(site):
    page, base, context = site
    # Newest first, the to_publish queue is 1, 2, 5, 6.
    page.goto(f"{base}/console/queue/to_publish?sort=newest")
    page.click("table.queue a[href^='/console/review/1?']")
    page.wait_for_selector("#review-text")
    page.keyboard.press("a")
    page.wait_for_url("**/review/2?**")
    assert status(context, 1).status == MentionStatus.PUBLISHED
    page.keyboard.press("r")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/5?**")
    rejected = status(context, 2)
    assert (rejected.status, rejected.rejection_reason) == (MentionStatus.REJECTED, REASONS[0])
    assert "#2 rejected" in page.inner_text("#flash")
    page.click("#back")
    page.wait_for_selector("table.queue")
    assert page.url.endswith("/console/queue/to_publish?sort=newest")


def test_a_ticked_checkbox_keeps_the_shortcuts(site):
    page, base, context = site
    page.goto(f"{base}/console/queue/to_publish?sort=newest")
    page.click("input[name=ids][value='2']")  # the focus is now on the checkbox
    page.keyboard.press("j")  # round3's console: swallowed
    assert page.get_attribute("table.queue tr.current", "data-id") == "5"
    page.keyboard.press("x")
    page.keyboard.press("a")  # the selection: 2 and 5
    page.wait_for_selector("#flash >> text=approved 2 of 2")
    assert {status(context, i).status for i in (2, 5)} == {MentionStatus.PUBLISHED}
    assert status(context, 1).status == MentionStatus.TO_PUBLISH
    # The cursor stays in place: the row now shown where 5 was (6; 3 rows a page) is the current one.
    assert page.get_attribute("table.queue tr.current", "data-id") == "6"


def test_mark_handled_from_the_reply_queue_in_place(site):
    page, base, context = site
    page.goto(f"{base}/console/queue/to_reply")
    assert page.locator("#bulk-approve").count() == 0  # round3 offered "Approve selected" here
    assert page.get_attribute("table.queue tbody tr", "data-id") == "3"  # late: first
    page.keyboard.press("j")
    page.keyboard.press("h")
    page.wait_for_selector("#flash >> text=marked handled 1 of 1")
    assert status(context, 3).status == MentionStatus.REPLIED
    assert page.locator("table.queue tr[data-id='3']").count() == 0
    assert page.get_attribute("table.queue tr.current", "data-id") == "2"
