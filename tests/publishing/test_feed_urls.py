"""The published feed carries no link from outside (docs/publishing.md lists its keys): a review whose stored
link is javascript:, as rows stored before the crawlers checked links may be, shows none in JSON or HTML. This
holds the feed to that; a link added to it later must go through models/urls.py's `safe_url`."""

from __future__ import annotations

import json
import re

from moderation.publishing.feed import feed_entries, feed_json
from moderation.publishing.widget import feed_html
from tests.publishing.test_feed import publish


def test_a_stored_javascript_link_reaches_neither_feed(sessions) -> None:  # type: ignore[no-untyped-def]
    publish(sessions, "Très bien.", url="JaVaScRiPt:alert(document.cookie)")
    with sessions.begin() as session:
        entries = feed_entries(session, "acme")
    assert len(entries) == 1
    as_json, as_html = feed_json(entries), feed_html(entries, "Acme")
    assert "javascript:" not in as_json.lower() and "javascript:" not in as_html.lower()
    assert re.findall(r"\b(?:href|src)=", as_html) == []
    assert "url" not in json.loads(as_json)[0]
