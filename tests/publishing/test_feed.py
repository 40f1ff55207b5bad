"""The published feed: what each entry shows (DESIGN.md rules 3 to 5), and review text escaped everywhere."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from models import RejectionReason
from moderation import workflow
from moderation.publishing.feed import feed_entries, feed_json
from moderation.publishing.widget import feed_html, script_json
from tests.publishing.conftest import add_review

LONG = "Très bon accueil. " * 400 + "Fin."
XSS = [
    "<script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<!-- <script> & &amp; \u2028 \"quotes\" 'single' </SCRIPT >",
]


def publish(sessions, text, **values):
    with sessions.begin() as session:
        mention = add_review(session, text, **values)
        workflow.publish(session, mention.id, "cli:alice")
        return mention.id


def entries(sessions):
    with sessions.begin() as session:
        return feed_entries(session, "acme")


def test_an_entry_shows_what_the_rules_require(sessions):
    mention_id = publish(
        sessions,
        LONG,
        title="Parfait",
        verified_purchase=True,
        order_ref="CMD-1",
        product="CAROTTE-500",
        updated_at=datetime(2026, 10, 5, tzinfo=UTC),
    )
    with sessions.begin() as session:
        workflow.reply(session, mention_id, "cli:bob", "Merci Denise !")
    [item] = entries(sessions)
    assert item["id"] == mention_id
    assert item["author"] == "Denise R."
    assert item["review_date"] == "2026-10-02T09:30:00+00:00"
    assert item["experience_date"] == "2026-09-28T00:00:00+00:00"
    assert item["updated_at"] == "2026-10-05T00:00:00+00:00"
    assert (item["rating"], item["rating_best"]) == (5.0, 5.0)
    assert item["title"] == "Parfait"
    assert item["text"] == LONG
    assert item["verified_purchase"] is True
    assert item["product"] == "CAROTTE-500"
    assert item["reply"]["text"] == "Merci Denise !"
    assert item["reply"]["at"] is not None
    assert item["published_at"] is not None


def test_verified_only_with_an_order_reference(sessions):
    publish(sessions, "Sans commande", verified_purchase=True, order_ref=None)
    publish(sessions, "Commande sans drapeau", verified_purchase=False, order_ref="CMD-2", author="Luc Martin")
    assert [item["verified_purchase"] for item in entries(sessions)] == [False, False]


def test_no_reply_no_update_no_product(sessions):
    publish(sessions, "Simple.", author="Anne")
    [item] = entries(sessions)
    assert item["author"] == "Anne"
    assert (item["reply"], item["updated_at"], item["product"]) == (None, None, None)


def test_only_published_and_not_withdrawn_reviews_are_in_the_feed(sessions):
    kept = publish(sessions, "Publié", author="Anne")
    withdrawn = publish(sessions, "Retiré", author="Bea B")
    with sessions.begin() as session:
        add_review(session, "En attente", author="Carl C")
        add_review(session, "Tiers", source="trustpilot", author="Dan D")
        workflow.reject(session, withdrawn, "cli:alice", RejectionReason.PERSONAL_DATA)
    assert [item["id"] for item in entries(sessions)] == [kept]


def test_negative_reviews_are_published_like_positive_ones(sessions):
    day = datetime(2026, 10, 1, tzinfo=UTC)
    publish(sessions, "Nul.", rating=1.0, author="Anne", published_at=day)
    publish(sessions, "Super.", rating=5.0, author="Bea B", published_at=day + timedelta(days=1))
    # Newest first, whatever the rating.
    assert [item["rating"] for item in entries(sessions)] == [5.0, 1.0]


def test_the_feed_of_another_brand_is_empty(sessions):
    publish(sessions, "Publié")
    with sessions.begin() as session:
        assert feed_entries(session, "other") == []


def test_json_keeps_text_whole(sessions):
    publish(sessions, LONG)
    assert json.loads(feed_json(entries(sessions)))[0]["text"] == LONG


class Collector(HTMLParser):
    """The page as a browser parses it: the scripts and the visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        else:
            self.text.append(data)


@pytest.mark.parametrize("payload", XSS)
def test_hostile_text_stays_text_in_html_and_json_ld(sessions, payload):
    publish(sessions, f"Avant {payload} après", title=payload, author=f"Eve {payload}")
    with sessions.begin() as session:
        mention = add_review(session, "à répondre", author="Zoe Z")
        workflow.publish(session, mention.id, "cli:alice")
        workflow.reply(session, mention.id, "cli:bob", payload)
    html = feed_html(entries(sessions), "Acme </script><script>alert(2)</script>")
    page = Collector()
    page.feed(html)
    page.close()
    # One script only, the JSON-LD block: nothing in the reviews opened another element.
    assert [attrs for attrs, _ in page.scripts] == [{"type": "application/ld+json"}]
    # The widget's own elements (its style, lists, summary, link); still no element a review could have opened.
    widget = {"style", "div", "ol", "li", "h4", "ul", "a"}
    assert (
        set(page.tags)
        <= {"section", "script", "h2", "article", "header", "span", "p", "time", "h3", "blockquote"} | widget
    )
    assert "img" not in page.tags
    visible = "".join(page.text)
    assert f"Avant {payload} après" in visible
    assert payload in visible  # the reply and the title, as text
    # The JSON-LD parses back to exactly the stored text.
    ld = json.loads(page.scripts[0][1])
    reviews = [node for node in ld["@graph"] if node["@type"] == "Review"]
    bodies = {review["reviewBody"] for review in reviews}
    assert f"Avant {payload} après" in bodies
    titles = {review.get("name") for review in reviews}
    assert payload in titles
    replies = {review["comment"]["text"] for review in reviews if "comment" in review}
    assert replies == {payload}
    assert not re.search(r"</script", page.scripts[0][1], re.IGNORECASE)
    assert not re.search(r"<(script|img)", html.split("</script>", 1)[1], re.IGNORECASE)


def test_script_json_escapes_only_what_could_end_the_block():
    value = {"text": "</script><!--&\u2028é"}
    escaped = str(script_json(value))
    assert "<" not in escaped and ">" not in escaped and "&" not in escaped and "\u2028" not in escaped
    assert "é" in escaped
    assert json.loads(escaped) == value


def test_html_shows_the_entry(sessions):
    mention_id = publish(
        sessions, "Très bien.", title="Top", verified_purchase=True, order_ref="CMD-1", product="CAROTTE-500"
    )
    with sessions.begin() as session:
        workflow.reply(session, mention_id, "cli:bob", "Merci !")
    html = feed_html(entries(sessions), "Acme & Fils", products={"CAROTTE-500": "Carottes bio, 500 g"})
    assert "Denise R." in html and "Ragozzino" not in html
    assert "Achat vérifié" in html
    assert 'Avis du <time datetime="2026-10-02T09:30:00+00:00">02/10/2026</time>' in html
    assert "Expérience du" in html and "28/09/2026" in html
    assert "Réponse de Acme &amp; Fils" in html
    # By its name from [brands.products], never its reference (issue 21: the widget showed SKUs).
    page = Collector()
    page.feed(html)
    assert "Produit : Carottes bio, 500 g" in html and "CAROTTE-500" not in "".join(page.text)
    english = feed_html(entries(sessions), "Acme", language="en")
    assert "Verified purchase" in english and "2026-10-02" in english


def test_an_empty_feed(sessions):
    html = feed_html([], "Acme")
    assert "Aucun avis publié" in html
    assert json.loads(Collector_scripts(html))["@graph"] == []


def Collector_scripts(html: str) -> str:  # noqa: N802
    page = Collector()
    page.feed(html)
    return page.scripts[0][1]
