"""From the survey export to the brand's site: import, the real baseline classifier, the policy, a moderator's
approval, the feed, and the signed webhook received by a local HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from crawlers.survey_import import import_survey_body
from models import Mention, MentionStatus, Source
from moderation import workflow
from moderation.classifier.baseline import BaselineClassifier
from moderation.jobs import classify_pending, route_classified
from moderation.policy import Thresholds
from moderation.publishing.feed import feed_entries
from moderation.publishing.webhook import send_due
from moderation.publishing.widget import feed_html
from tests.conftest import LABELLED, ROOT
from tests.publishing.receiver import Receiver

SECRET = "e2e-secret"
EXPORT = """order_ref,submitted_at,experienced_at,rating,consent,title,text,author,language
CMD-1001,2026-10-02,2026-09-28,5,oui,Parfait,"Livraison rapide, produit excellent.",Denise Jeanne Ragozzino,fr
CMD-1002,2026-10-03,2026-09-30,1,oui,Jamais reçu,"Trois semaines et rien, service injoignable <3 & 5 < 10",Luc Martin,fr
CMD-1003,2026-10-04,2026-10-01,5,non,Super,"Très contente de mon achat.",Anne Petit,fr
"""


def test_survey_review_to_feed_and_webhook(sessions):
    with sessions.begin() as session:
        survey = session.scalars(select(Source).where(Source.name == "survey")).one()
        imported = import_survey_body(session, survey.id, EXPORT.encode(), "export.csv", "https://acme.example/s")
    assert imported.imported == 3
    classifier = BaselineClassifier.load(LABELLED, ROOT / ".cache" / "veilleur")
    assert classify_pending(sessions, classifier) == 3
    assert route_classified(sessions, Thresholds(0.5, 0.5, 0.5), "#alerts") == 3
    with sessions.begin() as session:
        by_order = {m.order_ref: m for m in session.scalars(select(Mention))}
        # Positive and negative reviews with consent wait for publication alike (DESIGN.md rule 1).
        assert by_order["CMD-1001"].status == MentionStatus.TO_PUBLISH
        assert by_order["CMD-1002"].status == MentionStatus.TO_PUBLISH
        assert by_order["CMD-1003"].status != MentionStatus.TO_PUBLISH  # no consent
        good, bad = by_order["CMD-1001"].id, by_order["CMD-1002"].id
        workflow.publish(session, good, "cli:alice")
        workflow.publish(session, bad, "cli:alice")
        workflow.reply(session, bad, "cli:alice", "Bonjour Luc, toutes nos excuses : nous vous rappelons.")
    with sessions.begin() as session:
        entries = feed_entries(session, "acme")
    assert [entry["id"] for entry in entries] == [bad, good]
    negative, positive = entries
    assert positive["author"] == "Denise R."
    assert positive["review_date"].startswith("2026-10-02")
    assert positive["experience_date"].startswith("2026-09-28")
    assert negative["text"].endswith("service injoignable <3 & 5 < 10")
    assert negative["reply"]["text"].startswith("Bonjour Luc")
    html = feed_html(entries, "Acme")
    assert "injoignable &lt;3 &amp; 5 &lt; 10" in html
    assert html.count("<script") == 1

    now = datetime.now(UTC)
    with Receiver(SECRET) as site:
        site.status = 503  # the site is down for maintenance
        assert send_due(sessions, site.url, SECRET, now=now).failed == 3
        site.status = 200
        assert send_due(sessions, site.url, SECRET, now=now + timedelta(minutes=1)).sent == 3
        assert send_due(sessions, site.url, SECRET, now=now + timedelta(hours=1)).sent == 0
    accepted = site.accepted()
    assert all(request["signed"] for request in site.received)
    assert sorted(int(request["delivery"]) for request in accepted) == [1, 2, 3]
    # What the site holds at the end is the feed itself.
    shown = {request["body"]["id"]: request["body"] for request in accepted}
    assert {key: shown[bad][key] for key in entries[0]} == json.loads(json.dumps(entries[0]))
    assert shown[bad]["reply"]["text"].startswith("Bonjour Luc")
