"""A Slack group's "Open these N in the console" leads to a queue page showing exactly those mentions
(`?ids=12,15,19`), those still in the queue: the filter bar says so and clears it; a bad list is refused."""

from __future__ import annotations

import re
from html import unescape

from models import Mention, MentionStatus
from models.urls import QUEUE_IDS_LIMIT
from tests.console.test_pages import ids


def shown(console, query: str, queue: str = "to_publish") -> list[int]:  # type: ignore[no-untyped-def]
    answer = console.client.get(f"/console/queue/{queue}?{query}")
    assert answer.status_code == 200, answer.text
    return sorted(ids(answer.text))


def test_only_the_listed_ids_still_in_the_queue_show(console):
    console.login()  # to publish: 1, 2, 5, 6; to reply: 3, 2; flagged: 4
    assert shown(console, "ids=1,5") == [1, 5]
    assert shown(console, "ids=1,3,4") == [1]  # 3 and 4 are in other queues
    assert shown(console, "ids=3,4") == []
    assert shown(console, "ids=3,4", "to_reply") == [3]
    assert shown(console, "ids=1,2,5&language=en") == [5]  # with the other filters
    assert shown(console, "ids=%201%20,%205") == [1, 5]  # blanks around the numbers
    assert shown(console, "ids=") == shown(console, "")  # empty: no selection


def test_the_filter_bar_says_how_many_came_from_slack_and_clears_them(console):
    console.login()
    page = console.client.get("/console/queue/to_publish?ids=1,2,5,6,3&language=fr").text
    assert re.search(r"5 selected from Slack", page)
    clear = unescape(re.search(r'<a href="([^"]*)" id="clear-ids">clear</a>', page).group(1))  # type: ignore[union-attr]
    assert clear == "?language=fr"  # the selection dropped, the other filters kept
    assert '<input type="hidden" name="ids" value="1,2,5,6,3">' in page  # kept when another filter is chosen
    assert "selected from Slack" not in console.client.get("/console/queue/to_publish").text


def test_paging_and_acting_on_all_matching_stay_within_the_selection(console):
    console.login()  # 3 rows a page
    page = console.client.get("/console/queue/to_publish?ids=1,2,5,6&sort=newest").text
    following = unescape(re.search(r'<a href="\?([^"]*)" rel="next">', page).group(1))  # type: ignore[union-attr]
    assert "ids=1,2,5,6" in following
    answer = console.post(
        "/console/bulk", {"act": "approve", "queue": "to_publish", "scope": "matching", "filter": "ids=1,5,3"}
    )
    assert "approved 2 of 2" in answer.text
    with console.context.sessions.begin() as session:
        statuses = {i: session.get(Mention, i).status for i in (1, 2, 3, 5, 6)}
    assert statuses[1] == statuses[5] == MentionStatus.PUBLISHED
    assert statuses[2] == statuses[6] == MentionStatus.TO_PUBLISH
    assert statuses[3] != MentionStatus.PUBLISHED


def test_a_bad_list_is_refused_with_a_clear_400(console):
    console.login()
    too_many = ",".join(str(i) for i in range(1, QUEUE_IDS_LIMIT + 2))
    for query in ("ids=1,x", "ids=1;2", "ids=-1", "ids=1,,2", "ids=%C2%B2", f"ids={too_many}"):
        answer = console.client.get(f"/console/queue/to_publish?{query}")
        assert answer.status_code == 400, query
        assert "ids:" in answer.text, query
    under = ",".join(str(i) for i in range(1, QUEUE_IDS_LIMIT + 1))
    assert shown(console, f"ids={under}&page=2") == [1]  # the limit itself is allowed: 3 a page, 4 in all


def test_a_bulk_filter_edited_by_hand_does_nothing(console):
    console.login()
    answer = console.post(
        "/console/bulk", {"act": "approve", "queue": "to_publish", "scope": "matching", "filter": "ids=1,x"}
    )
    assert "ids: mention numbers" in answer.text
    with console.context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.TO_PUBLISH
