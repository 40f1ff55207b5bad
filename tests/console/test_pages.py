"""What the console shows: queues with counts and filters, one review with why it is there, the dashboard.
Review text is always escaped."""

from __future__ import annotations

import re

from models import RejectionReason
from tests.console.support import XSS


def ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'<tr data-id="(\d+)"', html)]


def test_queues_and_counts(console):
    console.login()
    page = console.client.get("/console/queue/to_publish")
    assert page.status_code == 200
    assert re.search(r"To publish <span class=\"count\">4</span>", page.text)
    assert re.search(r"To reply <span class=\"count\">2</span>", page.text)  # 3 (to_reply) and 2 (due, own review)
    assert re.search(r"Flagged <span class=\"count\">1</span>", page.text)
    assert ids(page.text) == [2, 6, 5]  # most urgent first: a reply deadline, then the oldest; 3 a page
    assert ids(console.client.get("/console/queue/to_publish?page=2").text) == [1]
    assert ids(console.client.get("/console/queue/to_publish?sort=newest").text) == [1, 2, 5]
    assert ids(console.client.get("/console/queue/to_reply").text) == [3, 2]
    assert ids(console.client.get("/console/queue/flagged").text) == [4]
    assert console.client.get("/console/queue/deleted").status_code == 404


def test_filters(console):
    console.login()

    def shown(query: str, queue: str = "to_publish") -> list[int]:
        return sorted(ids(console.client.get(f"/console/queue/{queue}?{query}").text))

    assert shown("language=en") == [5]
    assert shown("rating=5") == [1, 5]
    assert shown("rating=3") == [6]
    assert shown("sentiment=negative") == [2]
    assert shown("rule=own_review") == [1, 5, 6]
    assert shown("rule=abusive", "flagged") == [4]
    assert shown("sla=late", "to_reply") == [3]
    assert shown("sla=near", "to_reply") == [2]
    assert shown("sla=ok", "to_reply") == []
    assert shown("age=day") == []
    assert shown("age=week&page=2") == [1]  # 3 a page: 4 under a week
    assert shown("age=older", "to_reply") == []
    assert shown("q=colis") == [2]
    assert shown("q=%25") == []  # a % is searched for, not a wildcard
    assert shown("brand=acme&source=survey&sentiment=positive") == [1, 5]
    assert shown("brand=other") == []
    assert shown("sentiment=bogus&sort=newest") == [1, 2, 5]  # an unknown value is ignored


def test_review_text_is_escaped_everywhere(console):
    console.login()
    for path in ("/console/queue/to_publish", "/console/queue/to_reply", "/console/review/2", "/console/review/4"):
        page = console.client.get(path).text
        assert XSS not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, path


def test_review_page_says_who_why_and_what_was_done(console):
    console.login()
    console.post("/console/review/2", {"action": "assign", "assignee": "léa"})
    page = console.client.get("/console/review/2").text
    assert "Camille D." in page and "a1b2c3d4" in page and "Camille Durand" not in page and "a1b2c3d4e5f6a1" not in page
    assert 'href="/console/review/4">#4</a>' in page  # the author's other post
    assert "negative_review" in page and "0.70" in page and "0.90" in page  # rule, score, threshold
    assert 'href="https://example.org/review/2"' in page
    assert "console:mia" in page and "assigned to léa" in page
    flagged = console.client.get("/console/review/4").text
    assert "javascript:" not in flagged  # a crawled link that is not http(s) is not a link


def test_the_review_page_shows_the_product(console):
    from models import Mention

    with console.context.sessions.begin() as session:
        session.get_one(Mention, 2).product = "CAROTTE-500"
    console.login()
    # No [brands.products] here: the reference alone (named: Settings.product_label, tests/skeleton/test_settings.py).
    assert "<dt>product</dt><dd>CAROTTE-500</dd>" in console.client.get("/console/review/2").text


def test_reject_menus_show_the_registry_labels(console):
    console.login()
    expected = [(reason.value, reason.label_en) for reason in RejectionReason]
    for path, menu in (("/console/review/2", 'id="reason"'), ("/console/queue/to_publish", 'id="bulk-reason"')):
        page = console.client.get(path).text
        select = page[page.index(menu) : page.index("</select>", page.index(menu))]
        assert re.findall(r'<option value="([a-z_]+)">([^<]+)</option>', select) == expected, path


def test_dashboard(console):
    console.login()
    page = console.client.get("/console/").text
    assert re.search(r"<strong>1</strong> replies late", page)
    assert re.search(r"<strong>1</strong> replies due soon", page)
    assert "review_to_answer" in page and 'href="/console/review/3"' in page
    assert "unhealthy: HTTP 403" in page
