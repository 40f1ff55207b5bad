"""Moderation through the console's HTTP app: each action goes through moderation/workflow.py and is audited
with `console:<user>`; bulk actions, undo within the window, roles."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from models import Correction, Mention, MentionStatus, ModerationEvent, Publication, RejectionReason, utcnow
from tests.console.conftest import Console
from tests.console.support import make_context
from web.console.app import create_console


def events(console, mention_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with console.context.sessions.begin() as session:
        rows = session.query(ModerationEvent).filter_by(mention_id=mention_id).order_by(ModerationEvent.id)
        return [(event.actor, event.action) for event in rows if event.actor != "policy"]


def status(console, mention_id: int) -> MentionStatus:  # type: ignore[no-untyped-def]
    with console.context.sessions.begin() as session:
        return session.get(Mention, mention_id).status


def test_approve_publishes_and_audits_the_user(console):
    console.login()
    answer = console.post("/console/review/1", {"action": "approve", "back": "/console/queue/to_publish"})
    assert answer.status_code == 200 and answer.url.path == "/console/queue/to_publish"
    assert "#1 approved" in answer.text
    assert status(console, 1) == MentionStatus.PUBLISHED
    assert events(console, 1) == [("console:mia", "approve")]
    with console.context.sessions.begin() as session:
        assert session.query(Publication).filter_by(mention_id=1).one().approved_by == "console:mia"
    again = console.post("/console/review/1", {"action": "approve"})
    assert "not done: mention 1 is published" in again.text


def test_reject_needs_a_reason_from_the_list(console):
    console.login()
    refused = console.post("/console/review/2", {"action": "reject", "reason": "i_dont_like_it"})
    assert "choose a rejection reason" in refused.text
    assert status(console, 2) == MentionStatus.TO_PUBLISH
    console.post("/console/review/2", {"action": "reject", "reason": "personal_data"})
    with console.context.sessions.begin() as session:
        mention = session.get(Mention, 2)
        assert mention.status == MentionStatus.REJECTED
        assert mention.rejection_reason == RejectionReason.PERSONAL_DATA
    assert events(console, 2) == [("console:mia", "reject")]


def test_only_an_admin_withdraws_a_published_review(console):
    console.login()
    console.post("/console/review/1", {"action": "approve"})
    refused = console.post("/console/review/1", {"action": "reject", "reason": "spam"})
    assert "only an admin may withdraw it" in refused.text
    assert status(console, 1) == MentionStatus.PUBLISHED
    console.login("ada")
    # Issue 17: a withdrawal is confirmed first (a page with the same form and confirm=withdraw, no script).
    asked = console.post("/console/review/1", {"action": "reject", "reason": "spam"})
    assert "Withdraw review #1 from the brand's site?" in asked.text
    assert 'name="confirm" value="withdraw"' in asked.text
    assert status(console, 1) == MentionStatus.PUBLISHED
    console.post("/console/review/1", {"action": "reject", "reason": "spam", "confirm": "withdraw"})
    assert status(console, 1) == MentionStatus.WITHDRAWN
    assert events(console, 1) == [("console:mia", "approve"), ("console:ada", "withdraw")]


def test_reply_with_a_template_preview_then_save(console):
    console.login()
    filled = console.client.get("/console/review/3?template=merci")
    assert "Bonjour , merci" not in filled.text  # no author: the template reads cleanly without a name
    assert "Bonjour, merci pour votre avis !" in filled.text
    preview = console.post("/console/review/3", {"action": "reply", "text": "Merci <b>vous</b>", "preview": "1"})
    assert preview.status_code == 200 and 'id="preview"' in preview.text
    assert "Merci &lt;b&gt;vous&lt;/b&gt;" in preview.text
    assert status(console, 3) == MentionStatus.TO_REPLY  # a preview changes nothing
    console.post("/console/review/3", {"action": "reply", "text": "Nous sommes désolés."})
    with console.context.sessions.begin() as session:
        mention = session.get(Mention, 3)
        assert mention.status == MentionStatus.REPLIED and mention.reply_text == "Nous sommes désolés."
    assert events(console, 3) == [("console:mia", "reply")]


def test_templates_follow_the_review_language(console):
    console.login()
    page = console.client.get("/console/review/5?template=thanks")
    assert "Hello, thank you!" in page.text and "merci" not in page.text.lower().split("reply template")[-1][:0]
    assert "<option>thanks</option>" in page.text and "<option>merci</option>" not in page.text


def test_assign_handled_and_correct(console):
    console.login()
    console.post("/console/review/3", {"action": "assign", "assignee": ""})
    console.post("/console/review/3", {"action": "handled"})
    console.post("/console/review/4", {"action": "correct", "task": "toxic", "label": "0"})
    bad = console.post("/console/review/4", {"action": "correct", "task": "toxic", "label": "maybe"})
    assert "label &#39;maybe&#39;" in bad.text
    with console.context.sessions.begin() as session:
        mention = session.get(Mention, 3)
        assert mention.assignee == "mia" and mention.status == MentionStatus.REPLIED and mention.reply_due_at is None
        assert [(c.task, c.label, c.actor) for c in session.query(Correction)] == [("toxic", "0", "console:mia")]
    assert events(console, 3) == [("console:mia", "assign"), ("console:mia", "handled")]


def test_bulk_reject_with_a_reason_then_undo(console):
    console.login()
    page = "/console/queue/to_publish"
    answer = console.post("/console/bulk", {"act": "reject", "reason": "spam", "ids": ["1", "5", "3"], "back": page})
    assert answer.url.path == page
    assert "rejected 3 of 3" in answer.text
    assert {status(console, i) for i in (1, 5, 3)} == {MentionStatus.REJECTED}
    undone = console.post("/console/undo", {"back": page}, page=page)
    assert "undid rejected 3 of 3 on 3 review(s)" in undone.text
    assert [status(console, i) for i in (1, 5, 3)] == [
        MentionStatus.TO_PUBLISH,
        MentionStatus.TO_PUBLISH,
        MentionStatus.TO_REPLY,
    ]
    assert events(console, 5) == [("console:mia", "reject"), ("console:mia", "undo")]
    nothing = console.post("/console/undo", {})
    assert "nothing to undo" in nothing.text


def test_bulk_approve_reports_what_did_not_apply(console):
    console.login()
    answer = console.post("/console/bulk", {"act": "approve", "ids": ["1", "3"]})
    assert "approved 1 of 2" in answer.text and "mention 3 has no publication consent" in answer.text
    assert status(console, 1) == MentionStatus.PUBLISHED and status(console, 3) == MentionStatus.TO_REPLY
    one = console.post("/console/bulk", {"act": "approve:5"})
    assert "approved 1 of 1" in one.text and status(console, 5) == MentionStatus.PUBLISHED
    refused = console.post("/console/bulk", {"act": "reply", "ids": ["6"]})
    assert "cannot be applied to a selection" in refused.text


def test_undo_does_not_take_back_what_someone_did_since(console):
    console.login()
    console.post("/console/review/3", {"action": "assign", "assignee": "mia"})
    other = Console(TestClient(console.client.app), console.context)
    other.login("ada")
    other.post("/console/review/3", {"action": "assign", "assignee": "ada"})
    answer = console.post("/console/undo", {})
    assert "console:ada acted on it since" in answer.text
    with console.context.sessions.begin() as session:
        assert session.get(Mention, 3).assignee == "ada"


def test_undo_window_closes(tmp_path: Path, database_url):
    context = make_context(tmp_path, database_url)
    now = [utcnow()]
    app = Starlette(routes=[Mount("/console", create_console(context, clock=lambda: now[0]))])
    with TestClient(app) as client:
        console = Console(client, context)
        console.login()
        console.post("/console/review/1", {"action": "approve"})
        assert "Undo #1 approved (u)" in client.get("/console/review/1").text
        now[0] += timedelta(minutes=11)  # [moderation] undo_minutes = 10
        assert "Undo #1 approved" not in client.get("/console/review/1").text
        answer = console.post("/console/undo", {})
        assert "nothing to undo" in answer.text
    with context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.PUBLISHED
    context.close()


def test_back_goes_only_to_console_pages(console):
    console.login()
    for back in ("https://evil.example/", "//evil.example/console/", "/elsewhere"):
        answer = console.post("/console/review/6", {"action": "assign", "back": back}, follow=False)
        assert answer.headers["location"] == "/console/review/6"
