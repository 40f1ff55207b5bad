"""The survey form in a real headless Chromium at a phone's width (390 px) and a desktop's (1280 px): filled with
the keyboard and the mouse, sent, stored; nothing fetched from anywhere else, no sideways scrolling on the phone,
every control labelled. Screenshots are kept in var/test-artefacts/."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from models import Brand, SurveyAnswer, SurveyOrder
from surveys.invitations import form_link
from surveys.orders import read_orders, store_orders
from tests.conftest import ROOT
from tests.console.browser import chromium, need_chromium
from tests.surveys.support import NOW, free_port, orders_csv, serve_on, survey_context
from web.app import create_app

ARTEFACTS = ROOT / "var" / "test-artefacts"
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, button')]
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
    .map(e => e.outerHTML)"""


@pytest.mark.parametrize(("width", "language"), [(390, "fr"), (1280, "en")])
def test_the_form_is_filled_in_chromium(tmp_path, width, language):
    need_chromium()
    port = free_port()
    context = survey_context(tmp_path, f"sqlite:///{tmp_path / 'survey.db'}", public_url=f"http://127.0.0.1:{port}")
    with context.sessions.begin() as session:
        brand = session.query(Brand).one()
        rows = [{"order_ref": "W-1", "email": "w@example.com", "delivered_at": "2026-11-23", "language": language}]
        store_orders(session, brand.id, read_orders(orders_csv(rows), "o.csv"), "post-purchase")
        link = form_link(session, context.settings, session.query(SurveyOrder).one(), NOW)
    requested: list[str] = []
    with serve_on(create_app(context), port) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.on("request", lambda request: requested.append(request.url))
        page.goto(link)
        assert page.evaluate(UNLABELLED) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        assert not page.is_checked("#consent")  # publication needs a deliberate tick
        # Keyboard: Tab reaches the first star, the arrows choose 4 of 5.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == "stars"
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.fill("#title", "Fresh and on time" if language == "en" else "Frais et à l'heure")
        page.fill("#text", "The box arrived on the day, vegetables very fresh.")
        page.check("input[name=nps][value='10']")
        page.check("input[name=csat][value='5']")
        page.check("input[name=ces][value='6']")
        page.fill("#experienced_at", "2026-11-24")
        page.click("label[for=consent]")  # the label ticks the box: a large target on a phone
        page.screenshot(path=str(_artefact(f"survey-form-{width}.png")), full_page=True)
        page.click("button[type=submit]")
        page.wait_for_selector("h1")
        heading = page.inner_text("h1")
        assert heading == ("Thank you for your review!" if language == "en" else "Merci pour votre avis !")
        page.screenshot(path=str(_artefact(f"survey-thanks-{width}.png")), full_page=True)
    context_answer = _answer(context)
    context.close()
    assert (context_answer.stars, context_answer.nps, context_answer.csat, context_answer.ces) == (4, 10, 5, 6)
    assert context_answer.consent and context_answer.language == language
    assert {urlsplit(url).netloc for url in requested} == {urlsplit(base).netloc}  # no third-party request


def _answer(context) -> SurveyAnswer:
    with context.sessions() as session:
        return session.query(SurveyAnswer).one()


def _artefact(name: str):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / name
