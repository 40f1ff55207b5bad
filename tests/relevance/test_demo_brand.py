"""The demo brand's query (settings.toml): its web alert is a Google Alert for "Slack", about Slack the company,
automotive slack adjusters and a police shooting; none of it is about the demo brand, so none may alert."""

from __future__ import annotations

from config.settings import load_settings
from crawlers.extract import extract
from models import MentionKind
from moderation.relevance.judge import Relevance
from tests.conftest import ROOT


def test_no_post_of_the_demo_web_alert_passes_the_demo_query() -> None:
    settings = load_settings(ROOT / "settings.toml")
    rules = Relevance.from_settings(settings).brands["demo"]
    query = rules.query_for("google-alerts", MentionKind.POST)
    assert query is not None
    rows = extract("feed", str(ROOT / "tests/fixtures/realdata/feeds/google-alerts_slack.atom.xml"))
    assert len(rows) == 20
    assert [row["title"] for row in rows if query.matches(f"{row['title']}. {row['text']}")] == []
    # The brand's own words pass; its reviews are not judged by the query.
    assert query.matches("Mon panier bio Démo est arrivé abîmé")
    assert rules.query_for("trustpilot-fr", MentionKind.REVIEW) is None
