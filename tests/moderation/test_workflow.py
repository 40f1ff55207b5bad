"""The moderation workflow on a real database (SQLite and PostgreSQL): a survey export is imported, classified,
routed by the policy, then moderators act through moderation/workflow.py as every front-end does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crawlers.survey_import import import_survey_body
from models import (
    Alert,
    AlertKind,
    Brand,
    Correction,
    Mention,
    MentionStatus,
    ModerationEvent,
    Notification,
    Publication,
    RejectionReason,
    Source,
    WebhookDelivery,
    utcnow,
)
from models.db import make_engine, make_session_factory, upgrade
from moderation import workflow
from moderation.deadlines import publish_due, remind_replies
from moderation.jobs import Rules, classify_pending, route_classified
from moderation.policy import Thresholds
from tests.moderation.support import RatingClassifier, survey_csv

S = MentionStatus
THRESHOLDS = Thresholds(negative=0.5, toxic=0.5, spam=0.5)


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    yield factory
    engine.dispose()


def load(sessions, rows: list[dict], rules: Rules | None = None, own: bool = True) -> dict[str, int]:
    """Import rows as a survey export, classify and route them; return {order_ref: mention id}."""
    with sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        source = Source(brand_id=brand.id, name="survey", kind="survey", own=own)
        session.add(source)
        session.flush()
        import_survey_body(session, source.id, survey_csv(rows), "export.csv", "https://acme.example/survey")
    classify_pending(sessions, RatingClassifier())
    route_classified(sessions, THRESHOLDS, "#alerts", rules or Rules())
    with sessions() as session:
        return {ref: mention_id for ref, mention_id in session.execute(select(Mention.order_ref, Mention.id))}


ROWS = [
    {"order_ref": "A1", "rating": "5", "text": "Parfait, livré en deux jours.", "author": "Marie Dupont"},
    {
        "order_ref": "A2",
        "rating": "1",
        "text": "Colis arrivé cassé.",
        "author": "Jean Martin",
        "email": "jean@example.org",
    },
    {"order_ref": "A3", "rating": "2", "text": "Carottes molles.", "product": "CAROTTE-500", "author": "Luc B"},
]


def test_routing_queues_both_polarities_for_publication_and_negatives_for_a_reply(sessions):
    owners = {"CAROTTE-500": "owner@example.org"}
    ids = load(sessions, ROWS, Rules(reply_sla=timedelta(hours=24), product_owners=owners))
    with sessions() as session:
        happy, broken, soft = (session.get_one(Mention, ids[ref]) for ref in ("A1", "A2", "A3"))
        assert (happy.status, broken.status, soft.status) == (S.TO_PUBLISH, S.TO_PUBLISH, S.TO_PUBLISH)
        assert happy.reply_due_at is None
        assert broken.reply_due_at == broken.published_at + timedelta(hours=24)
        # The product review rated 2/5 goes to the product's owner: assigned and told.
        assert soft.assignee == "owner@example.org"
        notice = session.scalars(select(Notification).where(Notification.mention_id == soft.id)).one()
        assert notice.recipient == "owner@example.org" and "CAROTTE-500" in notice.subject
        assert broken.author.contact == "jean@example.org"
        route = session.scalars(select(ModerationEvent).where(ModerationEvent.mention_id == broken.id)).one()
        assert route.actor == "policy" and route.details["rule"] == "own_review_with_consent"
        assert route.details["held_for_moderator"] is True  # one-click mode: a moderator approves


def test_approve_publishes_once_with_a_minimised_name_and_tells_the_site(sessions):
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        workflow.publish(session, ids["A1"], "cli:alice")
    with sessions.begin() as session, pytest.raises(workflow.WorkflowError, match="is published"):
        workflow.publish(session, ids["A1"], "cli:bob")
    with sessions() as session:
        publication = session.scalars(select(Publication)).one()
        assert (publication.display_name, publication.approved_by) == ("Marie D.", "cli:alice")
        assert session.scalars(select(WebhookDelivery.event)).all() == ["published"]
        actions = session.scalars(select(ModerationEvent.actor).where(ModerationEvent.action == "approve")).all()
        assert actions == ["cli:alice"]


def test_reject_tells_the_author_and_undo_puts_everything_back(sessions):
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        workflow.reject(session, ids["A2"], "console:alice", RejectionReason.OFF_TOPIC)
    with sessions() as session:
        mention = session.get_one(Mention, ids["A2"])
        assert (mention.status, mention.rejection_reason) == (S.REJECTED, RejectionReason.OFF_TOPIC)
        notice = session.scalars(select(Notification).where(Notification.mention_id == mention.id)).one()
        assert notice.recipient == "jean@example.org" and "hors sujet" in notice.body
    with sessions.begin() as session:
        workflow.undo(session, ids["A2"], "console:alice", timedelta(minutes=10))
    with sessions() as session:
        mention = session.get_one(Mention, ids["A2"])
        assert (mention.status, mention.rejection_reason) == (S.TO_PUBLISH, None)
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
        assert [e.action for e in mention.events] == ["route", "reject", "undo"]


def test_undo_refuses_once_the_window_has_passed_and_never_undoes_the_policy(sessions):
    ids = load(sessions, ROWS)
    with sessions.begin() as session, pytest.raises(workflow.WorkflowError, match="nothing to undo"):
        workflow.undo(session, ids["A1"], "cli:alice", timedelta(minutes=10))
    with sessions.begin() as session:
        workflow.publish(session, ids["A1"], "cli:alice")
    later = utcnow() + timedelta(minutes=11)
    with sessions.begin() as session, pytest.raises(workflow.WorkflowError, match="older than the undo window"):
        workflow.undo(session, ids["A1"], "cli:alice", timedelta(minutes=10), now=later)
    with sessions.begin() as session:
        workflow.undo(session, ids["A1"], "cli:alice", timedelta(minutes=10))
    with sessions() as session:
        assert session.get_one(Mention, ids["A1"]).status == S.TO_PUBLISH
        assert session.scalars(select(Publication.withdrawn_at)).one() is not None
        assert session.scalars(select(WebhookDelivery.event).order_by(WebhookDelivery.id)).all() == [
            "published",
            "withdrawn",
        ]


def test_a_reply_to_a_published_review_updates_the_site_and_can_be_undone(sessions):
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        workflow.publish(session, ids["A2"], "cli:alice")
        workflow.reply(session, ids["A2"], "cli:alice", "Toutes nos excuses, un colis part demain.")
    with sessions() as session:
        mention = session.get_one(Mention, ids["A2"])
        assert mention.status == S.PUBLISHED and mention.reply_text.startswith("Toutes nos excuses")
        assert session.scalars(select(WebhookDelivery.event).order_by(WebhookDelivery.id)).all()[-1] == "updated"
    with sessions.begin() as session:
        workflow.undo(session, ids["A2"], "cli:alice", timedelta(minutes=10))
    with sessions() as session:
        mention = session.get_one(Mention, ids["A2"])
        assert (mention.status, mention.reply_text, mention.reply_at) == (S.PUBLISHED, None, None)


def test_third_party_reviews_leave_the_reply_queue_when_answered(sessions):
    ids = load(sessions, ROWS, own=False)
    with sessions() as session:
        assert session.get_one(Mention, ids["A2"]).status == S.TO_REPLY
    with sessions.begin() as session, pytest.raises(workflow.WorkflowError, match="not the brand's own"):
        workflow.publish(session, ids["A1"], "cli:alice")
    with sessions.begin() as session:
        workflow.reply(session, ids["A2"], "cli:alice", "Nous sommes désolés.")
    with sessions() as session:
        assert session.get_one(Mention, ids["A2"]).status == S.REPLIED


def test_bulk_actions_report_what_did_not_apply_and_keep_the_rest(sessions):
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        workflow.reject(session, ids["A3"], "cli:alice", RejectionReason.DUPLICATE)
    with sessions.begin() as session:
        result = workflow.bulk(session, ids.values(), lambda i: workflow.publish(session, i, "cli:alice"))
    assert sorted(result.done) == sorted([ids["A1"], ids["A2"]])
    assert list(result.failed) == [ids["A3"]] and "rejected" in result.failed[ids["A3"]]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 2


def test_corrections_are_stored_as_labels_and_checked(sessions):
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        workflow.correct(session, ids["A2"], "cli:alice", "toxic", "0")
        with pytest.raises(workflow.WorkflowError, match="label 'maybe'"):
            workflow.correct(session, ids["A2"], "cli:alice", "toxic", "maybe")
    with sessions() as session:
        assert session.execute(select(Correction.task, Correction.label)).all() == [("toxic", "0")]


def test_assign_and_mark_handled_take_a_review_out_of_the_reply_queue(sessions):
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        workflow.assign(session, ids["A2"], "cli:alice", "bob")
        workflow.mark_handled(session, ids["A2"], "cli:bob")
    with sessions() as session:
        mention = session.get_one(Mention, ids["A2"])
        assert (mention.assignee, mention.reply_due_at, mention.status) == ("bob", None, S.TO_PUBLISH)


def test_automatic_approval_publishes_after_the_delay_except_the_sampled_share(sessions):
    rules = Rules(publishing="auto", auto_approve_after=timedelta(hours=6), auto_sample_share=0.3)
    rows = [{"order_ref": f"R{n}", "rating": str(1 + n % 5), "text": f"Avis numéro {n}."} for n in range(40)]
    ids = load(sessions, rows, rules)
    assert publish_due(sessions) == 0  # nothing before the delay
    published = publish_due(sessions, now=utcnow() + timedelta(hours=6, minutes=1))
    with sessions() as session:
        held = session.scalars(select(Mention.id).where(Mention.status == S.TO_PUBLISH)).all()
        expected_held = [i for i in ids.values() if rules.publish_after(i, utcnow()) is None]
        assert sorted(held) == sorted(expected_held)
        assert 0 < len(held) < 40 and published == 40 - len(held)
        assert set(session.scalars(select(Publication.approved_by)).all()) == {"auto"}


def test_reply_reminders_fire_once_when_near_and_once_when_late(sessions):
    written_now = [{**row, "submitted_at": utcnow().isoformat(), "experienced_at": "2026-01-01"} for row in ROWS]
    ids = load(sessions, written_now, Rules(reply_sla=timedelta(hours=24)))
    with sessions() as session:
        due = session.get_one(Mention, ids["A2"]).reply_due_at
    near = timedelta(hours=4)
    assert remind_replies(sessions, "#alerts", near, now=due - timedelta(hours=5)) == 0
    # A2 (1/5) and A3 (2/5) wait for a reply; A1 (5/5) does not.
    assert remind_replies(sessions, "#alerts", near, now=due - timedelta(hours=3)) == 2
    assert remind_replies(sessions, "#alerts", near, now=due - timedelta(hours=2)) == 0
    with sessions.begin() as session:
        workflow.reply(session, ids["A3"], "cli:alice", "Merci, nous regardons.")
    assert remind_replies(sessions, "#alerts", near, now=due + timedelta(minutes=1)) == 1
    with sessions() as session:
        alerts = session.scalars(select(Alert).where(Alert.kind == AlertKind.REPLY_DUE).order_by(Alert.id)).all()
        assert [(a.mention_id, a.payload["why"]["rule"]) for a in alerts] == [
            (ids["A2"], "reply_near"),
            (ids["A3"], "reply_near"),
            (ids["A2"], "reply_late"),
        ]


def test_no_reminder_for_a_review_collected_after_its_deadline(sessions):
    ids = load(sessions, ROWS, Rules(reply_sla=timedelta(hours=24)))  # written 20 Nov, collected today
    with sessions() as session:
        assert session.get_one(Mention, ids["A2"]).reply_due_at < utcnow()
    assert remind_replies(sessions, "#alerts", timedelta(hours=4)) == 0


def test_alerts_link_to_the_review_in_the_console_when_a_public_url_is_set(sessions):
    from alerts.blocks import build_message

    ids = load(sessions, ROWS, Rules(console_url="https://veilleur.acme.example/"))
    with sessions() as session:
        alert = session.scalars(select(Alert).where(Alert.mention_id == ids["A2"])).one()
        assert alert.payload["console_url"] == f"https://veilleur.acme.example/console/review/{ids['A2']}"
        message = build_message(alert.kind, "Acme", alert.payload, alert.id)
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {"action_id": "open_console", "url": alert.payload["console_url"]}.items() <= next(
        b for b in buttons if b.get("action_id") == "open_console"
    ).items()


def test_an_erased_review_does_not_come_back_when_the_export_is_imported_again(sessions):
    from moderation.privacy import erase_author

    load(sessions, ROWS)
    with sessions.begin() as session:
        erase_author(session, name="Jean Martin", actor="cli:dpo")
    with sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        result = import_survey_body(session, source.id, survey_csv(ROWS), "export.csv", "https://acme.example/s")
    assert result.imported == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Mention.text == "Colis arrivé cassé.")) == 0


def test_one_click_mode_still_publishes_at_the_maximum_delay_whatever_the_sentiment(sessions):
    ids = load(sessions, ROWS)  # one-click: every review waits for a moderator...
    assert publish_due(sessions, max_delay=timedelta(days=7)) == 0
    with sessions.begin() as session:
        workflow.reject(session, ids["A3"], "cli:alice", RejectionReason.DUPLICATE)
    # ...but not beyond the delay the disclosure page promises: the positive and the negative one go out.
    assert publish_due(sessions, now=utcnow() + timedelta(days=7, minutes=1), max_delay=timedelta(days=7)) == 2
    with sessions() as session:
        published = session.scalars(select(Mention.order_ref).where(Mention.status == S.PUBLISHED)).all()
        assert sorted(published) == ["A1", "A2"]
        reasons = session.scalars(select(ModerationEvent.reason).where(ModerationEvent.action == "approve")).all()
        assert all("maximum publication delay" in reason for reason in reasons)
