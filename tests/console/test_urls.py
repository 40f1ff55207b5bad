"""The review page links to the review on its site only through models/urls.py's `safe_url`, the check the
crawlers use when they store: a link stored before that check, or one that hides where it goes, is no link."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from models import Mention

HOSTILE = [
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://",
    "https://www.trustpilot.com@evil.example/review/2",
    "https://evil.example\\.trustpilot.com/review/2",
    "https://example.org/review/2 onmouseover=alert(1)",
    "https://example.org/\u202ecod.exe",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_review_page_shows_no_link_that_is_not_plain_http(console, url: str) -> None:  # type: ignore[no-untyped-def]
    with console.context.sessions.begin() as session:
        session.execute(update(Mention).where(Mention.id == 2).values(url=url))
    console.login()
    page = console.client.get("/console/review/2").text
    assert "open on survey" not in page
    assert "evil.example" not in page and "javascript:" not in page.lower() and "data:text" not in page
    assert 'href="http://"' not in page and "\u202e" not in page
