"""Issue 17 through the HTTP app (SQLite and PostgreSQL): the partial answer the page script asks for, acting on
every review the filter matches (not only the page), the actions each queue offers, approve & next, and the
confirmation before a published review is withdrawn."""

from __future__ import annotations

from models import Mention, MentionStatus
from web.console import actions
from web.console.page import PARTIAL, queue_filters


def status(console, mention_id: int) -> MentionStatus:  # type: ignore[no-untyped-def]
    with console.context.sessions.begin() as session:
        return session.get(Mention, mention_id).status


def test_the_page_script_gets_the_changing_parts_only(console):
    console.login()
    whole = console.client.get("/console/queue/to_publish")
    part = console.client.get("/console/queue/to_publish", headers={PARTIAL: "1"})
    assert "<head>" in whole.text and PARTIAL not in whole.headers
    assert part.headers[PARTIAL] == "1"
    assert "<head>" not in part.text and "<footer>" not in part.text
    for part_id in ('id="nav"', 'id="who"', 'id="flash"', 'id="live"'):
        assert part_id in part.text


def test_an_action_posted_by_the_script_answers_the_queue_part_with_the_flash(console):
    console.login()
    token_page = console.client.get("/console/queue/to_publish")
    from tests.console.support import csrf_of

    answer = console.client.post(
        "/console/bulk",
        data={
            "csrf": csrf_of(token_page.text),
            "act": "approve:1",
            "queue": "to_publish",
            "back": "/console/queue/to_publish",
        },
        headers={PARTIAL: "1"},
    )
    assert answer.status_code == 200 and answer.headers[PARTIAL] == "1"
    assert "approved 1 of 1" in answer.text and "Undo approved 1 of 1" in answer.text
    assert 'data-id="1"' not in answer.text
    assert status(console, 1) == MentionStatus.PUBLISHED


def test_all_matching_acts_on_every_page_of_the_filter(console):
    console.login()  # 3 rows a page; French reviews to publish: 1, 2, 6 (5 is English)
    page = console.client.get("/console/queue/to_publish?language=fr&sort=newest&page=2")
    assert "all 3 matching" in page.text
    answer = console.post(
        "/console/bulk",
        {"act": "approve", "queue": "to_publish", "scope": "matching", "filter": "language=fr&sort=newest"},
    )
    assert "approved 3 of 3" in answer.text
    assert [status(console, i) for i in (1, 2, 5, 6)] == [
        MentionStatus.PUBLISHED,
        MentionStatus.PUBLISHED,
        MentionStatus.TO_PUBLISH,
        MentionStatus.PUBLISHED,
    ]


def test_all_matching_takes_at_most_the_limit_and_says_how_many_are_left(console, monkeypatch):
    monkeypatch.setattr(actions, "MATCHING_LIMIT", 2)
    console.login()
    answer = console.post("/console/bulk", {"act": "approve", "queue": "to_publish", "scope": "matching", "filter": ""})
    assert "approved 2 of 2 (4 matched: act again for the rest)" in answer.text
    # Most urgent first: 2 (reply due soon), then the oldest, 6.
    assert (status(console, 2), status(console, 6), status(console, 5)) == (
        MentionStatus.PUBLISHED,
        MentionStatus.PUBLISHED,
        MentionStatus.TO_PUBLISH,
    )


def test_a_queue_offers_only_its_own_actions(console):
    console.login()
    reply_queue = console.client.get("/console/queue/to_reply")
    assert 'id="bulk-handled"' in reply_queue.text and 'id="bulk-approve"' not in reply_queue.text
    assert 'id="bulk-approve"' in console.client.get("/console/queue/to_publish").text
    assert 'id="bulk"' in console.client.get("/console/queue/published").text
    assert 'name="ids"' not in console.client.get("/console/queue/rejected").text
    refused = console.post("/console/bulk", {"act": "approve", "queue": "to_reply", "ids": "2"})
    assert "not an action of the to_reply queue" in refused.text
    assert status(console, 2) == MentionStatus.TO_PUBLISH
    handled = console.post("/console/bulk", {"act": "handled", "queue": "to_reply", "ids": ["3"]})
    assert "marked handled 1 of 1" in handled.text
    assert status(console, 3) == MentionStatus.REPLIED


def test_approve_and_next_opens_the_next_review_of_the_same_queue_and_filter(console):
    console.login()
    back = "/console/queue/to_publish?sort=newest"  # 1, 2, 5, 6
    answer = console.post("/console/review/2", {"action": "approve", "next": "1", "back": back}, follow=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/review/5?back=%2Fconsole%2Fqueue%2Fto_publish%3Fsort%3Dnewest"
    # 6 is the last one: the first one left (1) comes next.
    last = console.post(
        "/console/review/6", {"action": "reject", "reason": "spam", "next": "1", "back": back}, follow=False
    )
    assert last.headers["location"] == "/console/review/1?back=%2Fconsole%2Fqueue%2Fto_publish%3Fsort%3Dnewest"
    plain = console.post("/console/review/5", {"action": "approve", "back": back}, follow=False)
    assert plain.headers["location"] == back
    final = console.post("/console/review/1", {"action": "approve", "next": "1", "back": back}, follow=False)
    assert final.headers["location"] == back  # the queue is empty: back to it


def test_a_withdrawal_is_confirmed_and_cancel_changes_nothing(console):
    console.login("ada")
    console.post("/console/review/1", {"action": "approve"})
    asked = console.post(
        "/console/review/1", {"action": "reject", "reason": "spam", "back": "/console/queue/published"}
    )
    assert asked.status_code == 200 and "Withdraw review #1" in asked.text
    assert 'href="/console/review/1?back=/console/queue/published" id="cancel"' in asked.text
    assert status(console, 1) == MentionStatus.PUBLISHED
    # A selection never withdraws: there is no confirmation for each review in it.
    bulk = console.post("/console/bulk", {"act": "reject", "reason": "spam", "ids": ["1"]})
    assert "withdraw it from its page" in bulk.text
    assert status(console, 1) == MentionStatus.PUBLISHED
    done = console.post("/console/review/1", {"action": "reject", "reason": "spam", "confirm": "withdraw"})
    assert "#1 rejected (spam)" in done.text
    assert status(console, 1) == MentionStatus.WITHDRAWN


def test_queue_filters_reads_only_a_queue_address():
    assert queue_filters("/console", "/console/queue/to_reply?sla=late").sla == "late"  # type: ignore[union-attr]
    assert queue_filters("/console", "/console/review/3") is None
    assert queue_filters("/console", "/console/queue/nope") is None
