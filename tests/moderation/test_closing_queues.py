"""Every queue can be emptied (issue 17), on a real database (SQLite and PostgreSQL): watched mentions dismissed
one by one and in bulk, automatic rejections held for a moderator before the author is told, threats and hate
alerted to a human whatever the policy and the quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from alerts.fatigue import Fatigue
from alerts.send import send_due as send_alerts
from alerts.transports import make_transport
from crawlers.survey_import import import_survey_body
from models import (
    Alert,
    AlertKind,
    Brand,
    Mention,
    MentionKind,
    MentionStatus,
    Notification,
    RejectionReason,
    Source,
    utcnow,
)
from models.db import make_engine, make_session_factory, upgrade
from moderation import workflow
from moderation.deadlines import publish_due
from moderation.jobs import Rules, classify_pending, route_classified
from moderation.notify import SinkNotifier, send_due
from moderation.policy import Thresholds
from moderation.queues import queue_query
from tests.moderation.support import RatingClassifier, survey_csv

S = MentionStatus
THRESHOLDS = Thresholds(negative=0.5, toxic=0.5, spam=0.5)
HOLD = Rules(hold_auto_reject=timedelta(hours=24))
WINDOW = timedelta(minutes=10)


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def sources(sessions) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        survey = Source(brand_id=brand.id, name="survey", kind="survey", own=True)
        social = Source(brand_id=brand.id, name="mastodon", kind="mastodon")
        session.add_all([survey, social])
        session.flush()
        return survey.id, social.id


def load(sessions, rows: list[dict], posts: list[str] = (), rules: Rules = HOLD) -> dict[str, int]:  # type: ignore[no-untyped-def,assignment]
    """Survey rows (own reviews with consent) and posts, classified and routed; {order_ref or text: id}."""
    survey, social = sources(sessions)
    with sessions.begin() as session:
        import_survey_body(session, survey, survey_csv(rows), "export.csv", "https://acme.example/survey")
        for n, text in enumerate(posts):
            session.add(Mention(source_id=social, external_id=f"p{n}", kind=MentionKind.POST, text=text))
    classify_pending(sessions, RatingClassifier())
    route_classified(sessions, THRESHOLDS, "#alerts", rules)
    with sessions() as session:
        return {
            ref or text: mention_id
            for ref, text, mention_id in session.execute(select(Mention.order_ref, Mention.text, Mention.id))
        }


def flagged(sessions) -> list[int]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return [mention.id for mention, _ in session.execute(queue_query("flagged"))]


POSTS = ["Recette testée hier, cinq étoiles !", "Super recette de carottes.", "Merci pour la recette.", "Bof."]


def test_handled_and_dismiss_take_watched_mentions_out_of_the_flagged_queue(sessions):
    ids = load(sessions, [], POSTS)
    watched = flagged(sessions)
    assert len(watched) == 4
    # The defect: `queue handled 21` said "done" and the mention stayed in the Flagged queue.
    with sessions.begin() as session:
        workflow.mark_handled(session, watched[0], "cli:alice")
    assert flagged(sessions) == watched[1:]
    with sessions.begin() as session:
        workflow.dismiss(session, watched[1], "console:bob")
    assert flagged(sessions) == watched[2:]
    # Bulk, as the CLI and the console's selection do: one that no longer applies is reported, the others done.
    with sessions.begin() as session:
        result = workflow.bulk(session, [*watched[2:], watched[0]], lambda i: workflow.dismiss(session, i, "cli:a"))
    assert result.done == watched[2:] and list(result.failed) == [watched[0]]
    assert "is dismissed: cannot dismiss it" in result.failed[watched[0]]
    assert flagged(sessions) == []
    with sessions() as session:
        assert {session.get_one(Mention, i).status for i in watched} == {S.DISMISSED}
    # Undo puts one back, within the undo window, like every moderator action.
    with sessions.begin() as session:
        workflow.undo(session, ids[POSTS[3]], "cli:a", WINDOW)
    assert flagged(sessions) == [ids[POSTS[3]]]


def test_dismiss_applies_to_watched_mentions_only(sessions):
    ids = load(sessions, [{"order_ref": "A1", "rating": "5", "text": "Parfait.", "author": "Marie Dupont"}])
    with sessions.begin() as session, pytest.raises(workflow.WorkflowError, match="is to_publish: cannot dismiss"):
        workflow.dismiss(session, ids["A1"], "cli:alice")


ABUSIVE = {
    "order_ref": "B1",
    "rating": "1",
    "text": "Vendeur idiot.",
    "author": "Jean Martin",
    "email": "jean@example.org",
}


def test_an_automatic_rejection_is_held_the_author_not_told_and_undo_puts_it_back(sessions, tmp_path):
    ids = load(sessions, [ABUSIVE])
    with sessions() as session:
        mention = session.get_one(Mention, ids["B1"])
        assert (mention.status, mention.rejection_reason) == (S.REJECTED, RejectionReason.ABUSIVE)
        assert workflow.held_until(session, mention.id) is not None
    sink = SinkNotifier(tmp_path / "mail.jsonl")
    # During the hold the notice waits: the author is not told.
    assert send_due(sessions, sink, now=utcnow() + timedelta(hours=23)) == (0, 0)
    assert not sink.path.exists()
    # A moderator disagrees with the model within the hold (hours later: not the 10-minute undo window).
    with sessions.begin() as session:
        workflow.undo(session, ids["B1"], "cli:alice", WINDOW, now=utcnow() + timedelta(hours=5))
    with sessions() as session:
        mention = session.get_one(Mention, ids["B1"])
        # Back where the policy would have put it without the abuse score: an own review waiting for approval,
        # negative, so also waiting for a reply with its deadline.
        assert (mention.status, mention.rejection_reason) == (S.TO_PUBLISH, None)
        assert mention.reply_due_at == mention.published_at + timedelta(hours=24)
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
    assert send_due(sessions, sink, now=utcnow() + timedelta(days=2)) == (0, 0)
    assert not sink.path.exists()


def test_a_held_rejection_is_final_and_told_after_the_hold(sessions, tmp_path):
    ids = load(sessions, [ABUSIVE])
    sink = SinkNotifier(tmp_path / "mail.jsonl")
    after = utcnow() + timedelta(hours=24, minutes=1)
    assert send_due(sessions, sink, now=after) == (1, 0)
    assert "jean@example.org" in sink.path.read_text()
    with sessions.begin() as session, pytest.raises(workflow.WorkflowError, match="hold is over: it is final"):
        workflow.undo(session, ids["B1"], "cli:alice", WINDOW, now=after)


def test_without_a_hold_an_automatic_rejection_is_final_at_once(sessions, tmp_path):
    ids = load(sessions, [ABUSIVE], rules=Rules())
    assert send_due(sessions, SinkNotifier(tmp_path / "mail.jsonl")) == (1, 0)
    with sessions.begin() as session, pytest.raises(workflow.WorkflowError, match="nothing to undo"):
        workflow.undo(session, ids["B1"], "cli:alice", WINDOW)


THREAT = {"order_ref": "T1", "rating": "1", "text": "Vendeur idiot, je vais vous crever.", "author": "X Y"}
QUIET_THREAT = {"order_ref": "T2", "rating": "3", "text": "Je sais où vous habitez.", "author": "Z W"}


def test_a_threat_alerts_a_human_even_when_rejected_and_in_quiet_hours(sessions, tmp_path):
    auto = Rules(publishing="auto", auto_sample_share=0.0, hold_auto_reject=timedelta(hours=24))
    ids = load(sessions, [THREAT, QUIET_THREAT], ["Je vais te buter, idiot."], auto)
    with sessions() as session:
        alerts = {a.mention_id: a for a in session.scalars(select(Alert))}
        rejected = session.get_one(Mention, ids["T1"])
        assert rejected.status == S.REJECTED  # the abuse model rejected it (held) ...
        assert alerts[rejected.id].kind == AlertKind.THREAT  # ... and a human hears of it
        assert "threat: 'je vais vous crever'" in alerts[rejected.id].payload["why"]["reason"]
        # Under the abuse threshold: alerted too, and never published automatically (publishing is "auto" here).
        calm = session.get_one(Mention, ids["T2"])
        assert calm.status == S.TO_PUBLISH and calm.publish_after is None
        assert alerts[calm.id].kind == AlertKind.THREAT
        # A post: the threat alert replaces the abuse alert rather than doubling it.
        post = ids["Je vais te buter, idiot."]
        assert [a.kind for a in alerts.values() if a.mention_id == post] == [AlertKind.THREAT]
    # 03:00 in Paris, quiet hours 22:00-07:00 and a cooldown: a threat is sent at once, each alone.
    night = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    fatigue = Fatigue(timedelta(minutes=10), time(22, 0), time(7, 0), ZoneInfo("Europe/Paris"))
    transport = make_transport("", "", Path(tmp_path / "slack.jsonl"))
    result = send_alerts(sessions, transport, "w1", 0, clock=lambda: night, fatigue=fatigue)
    assert result.held == 0
    with sessions() as session:
        assert all(a.sent_at is not None and a.held_reason is None for a in session.scalars(select(Alert)))
        assert session.scalar(select(func.count()).select_from(Alert)) == 3


def test_a_threat_under_the_abuse_threshold_is_never_published_by_the_deadline(sessions):
    """The publication deadline publishes what no moderator decided on in time, but not a threat: it waits."""
    ids = load(sessions, [QUIET_THREAT], [], Rules(publishing="one_click"))
    with sessions() as session:
        calm = session.get_one(Mention, ids["T2"])
        assert calm.status == S.TO_PUBLISH
        far = calm.collected_at.replace(tzinfo=UTC) + timedelta(days=400)
    assert publish_due(sessions, now=far, max_delay=timedelta(days=7)) == 0
    with sessions() as session:
        assert session.get_one(Mention, ids["T2"]).status == S.TO_PUBLISH
