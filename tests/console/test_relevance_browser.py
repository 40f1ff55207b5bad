"""The console's Off-topic and Relevant buttons (issue 18) in real Chromium: they post to their own route
(formaction) and the page script updates the queue in place, as Dismiss does."""

from __future__ import annotations

from models import Mention
from tests.console.test_browser import site  # noqa: F401 (the signed-in page, a fixture)


def off_topic(context, mention_id: int) -> bool:  # type: ignore[no-untyped-def]
    with context.sessions() as session:
        return session.get_one(Mention, mention_id).off_topic


def test_a_row_marked_off_topic_then_relevant_in_place(site):  # noqa: F811
    page, base, context = site
    page.goto(f"{base}/console/queue/flagged")
    page.wait_for_selector("table.queue")
    page.click("tr[data-id='4'] .row-off-topic")
    page.wait_for_selector(".flash >> text=marked off-topic 1 of 1")
    assert off_topic(context, 4)
    assert page.locator("#live >> text=Nothing here.").count() == 1  # refilled in place

    page.goto(f"{base}/console/queue/off_topic")
    page.check("input[name=ids][value='4']")
    page.click("#bulk-relevant")
    page.wait_for_selector(".flash >> text=marked relevant 1 of 1")
    assert not off_topic(context, 4)
