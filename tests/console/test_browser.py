"""The console in a real headless Chromium against `veilleur serve`'s app on uvicorn: sign in, filter, approve
with a key, undo, bulk-reject with a reason, reply from a template with a preview; markup in a review stays
text; a form without its CSRF token fails. A screenshot of the queue is kept in var/test-artefacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models import Mention, MentionStatus, ModerationEvent, RejectionReason
from tests.conftest import ROOT
from tests.console.browser import chromium, need_chromium, serve
from tests.console.support import PASSWORD, XSS, make_context
from web.app import create_app

ARTEFACTS = ROOT / "var" / "test-artefacts"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Any, str, Any]]:
    """(page signed in as the moderator mia, base URL, context), on SQLite: the HTTP tests cover PostgreSQL."""
    need_chromium()
    context = make_context(tmp_path, f"sqlite:///{tmp_path / 'console.db'}")
    with serve(create_app(context)) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{base}/console/")
        page.fill("input[name=name]", "mia")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=mia · moderator")
        page.dialogs = dialogs
        yield page, base, context
        assert dialogs == [], f"a dialog opened: {dialogs}"
    context.close()


def status(context: Any, mention_id: int) -> MentionStatus:
    with context.sessions.begin() as session:
        return session.get(Mention, mention_id).status


def test_moderator_clears_the_queue(site):
    page, base, context = site
    page.click("header nav >> text=To publish")
    page.wait_for_selector("table.queue")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "console-queue.png"), full_page=True)

    # Filter: the English reviews only.
    page.select_option("select[name=language]", "en")
    page.click("text=Filter")
    page.wait_for_url("**language=en**")
    assert page.locator("table.queue tbody tr").count() == 1

    # Keyboard: move to the row, approve it; then undo.
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_selector(".flash >> text=approved 1 of 1")
    assert status(context, 5) == MentionStatus.PUBLISHED
    page.keyboard.press("u")
    page.wait_for_selector(".flash >> text=undid approved 1 of 1")
    assert status(context, 5) == MentionStatus.TO_PUBLISH

    # Bulk: select two reviews, reject them with a reason.
    page.goto(f"{base}/console/queue/to_publish?sort=newest")
    page.check("input[name=ids][value='1']")
    page.check("input[name=ids][value='2']")
    page.select_option("#bulk-reason", "duplicate")
    page.click("#bulk-reject")
    page.wait_for_selector(".flash >> text=rejected 2 of 2")
    with context.sessions.begin() as session:
        for mention_id in (1, 2):
            mention = session.get(Mention, mention_id)
            assert mention.status == MentionStatus.REJECTED
            assert mention.rejection_reason == RejectionReason.DUPLICATE
        actors = {event.actor for event in session.query(ModerationEvent).filter(ModerationEvent.actor != "policy")}
        assert actors == {"console:mia"}

    # Reply: open the late review from the reply queue, fill a template, preview, save.
    page.click("header nav >> text=To reply")
    page.click("table.queue a[href^='/console/review/3?']")
    page.wait_for_selector("#review-text")
    page.select_option("#template", "merci")  # the page script submits the template form on change
    page.wait_for_function("document.querySelector('#reply').value.includes('merci pour votre avis')")
    page.fill("#reply", "Bonjour, nous vous rappelons aujourd'hui.")
    page.click("#reply-form >> text=Preview")
    page.wait_for_selector("#preview >> text=nous vous rappelons")
    assert status(context, 3) == MentionStatus.TO_REPLY
    page.click("#send-reply")
    page.wait_for_selector(".flash >> text=#3 reply saved")
    with context.sessions.begin() as session:
        mention = session.get(Mention, 3)
        assert mention.status == MentionStatus.REPLIED
        assert mention.reply_text == "Bonjour, nous vous rappelons aujourd'hui."


def test_markup_in_a_review_is_shown_as_text(site):
    page, base, _context = site
    page.goto(f"{base}/console/review/2")
    assert XSS in page.inner_text("#review-text")
    assert page.locator("#review-text img").count() == 0
    page.goto(f"{base}/console/queue/to_publish")
    assert XSS in page.inner_text("table.queue")
    assert page.locator("table.queue img").count() == 0
    # The fixture asserts that no dialog opened.


def test_a_form_without_its_csrf_token_fails(site):
    page, base, context = site
    page.goto(f"{base}/console/review/1")
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach((field) => field.remove())")
    with page.expect_response(lambda answer: answer.request.method == "POST") as posted:
        page.click("#do-approve")
    assert posted.value.status == 403
    assert "CSRF" in page.inner_text("body")
    assert status(context, 1) == MentionStatus.TO_PUBLISH


def test_missing_chromium_fails_on_ci_and_skips_locally(monkeypatch, tmp_path):
    from tests.console import browser

    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        browser.need_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        browser.need_chromium()
