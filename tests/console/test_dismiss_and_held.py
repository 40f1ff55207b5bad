"""The console's two routes of issue 17 (web/console/handlers/dismiss.py, held.py) over HTTP on a real database:
watched mentions dismissed from the Flagged queue, an automatic rejection undone during its hold."""

from __future__ import annotations

from datetime import timedelta

from models import Mention, MentionStatus, ModerationEvent, RejectionReason, utcnow


def test_dismiss_selected_empties_the_flagged_queue_and_h_on_a_watched_review_too(console):
    console.login()
    page = console.client.get("/console/queue/flagged")
    assert 'id="bulk-dismiss"' in page.text and 'formaction="/console/dismiss"' in page.text
    assert 'id="bulk-dismiss"' not in console.client.get("/console/queue/to_publish").text
    answer = console.post(
        "/console/dismiss", {"ids": ["4"], "back": "/console/queue/flagged"}, "/console/queue/flagged"
    )
    assert answer.status_code == 200 and "dismissed 1 of 1" in answer.text
    with console.context.sessions() as session:
        assert session.get_one(Mention, 4).status == MentionStatus.DISMISSED
    assert "Nothing here." in console.client.get("/console/queue/flagged").text
    # Undo (the header's button) puts it back, as for any action.
    console.post("/console/undo", {"back": "/console/queue/flagged"}, "/console/queue/flagged")
    with console.context.sessions() as session:
        assert session.get_one(Mention, 4).status == MentionStatus.WATCH
    # The review page's `h` (mark handled) on a watched mention: it used to say "done" and leave it there.
    console.post("/console/review/4", {"action": "handled"}, "/console/review/4")
    with console.context.sessions() as session:
        assert session.get_one(Mention, 4).status == MentionStatus.DISMISSED


def _held_rejection(console, held_until) -> None:  # type: ignore[no-untyped-def]
    with console.context.sessions.begin() as session:
        mention = session.get_one(Mention, 6)
        mention.status, mention.rejection_reason = MentionStatus.REJECTED, RejectionReason.SPAM
        session.add(
            ModerationEvent(
                mention_id=6,
                actor="policy",
                action="route",
                from_status="classified",
                to_status="rejected",
                reason="spam score 0.91 >= 0.5",
                details={"rule": "spam", "held_until": held_until.isoformat(), "undo": {"status": "to_publish"}},
            )
        )


def test_an_automatic_rejection_is_undone_from_the_review_page_during_its_hold(console):
    _held_rejection(console, utcnow() + timedelta(hours=20))
    console.login()
    page = console.client.get("/console/review/6")
    assert 'id="restore"' in page.text and "held until" in page.text
    answer = console.post("/console/review/6/restore", {}, "/console/review/6")
    assert "back in its queue" in answer.text
    with console.context.sessions() as session:
        mention = session.get_one(Mention, 6)
        assert (mention.status, mention.rejection_reason) == (MentionStatus.TO_PUBLISH, None)
    assert 'id="restore"' not in console.client.get("/console/review/6").text


def test_a_final_automatic_rejection_is_not_undone(console):
    _held_rejection(console, utcnow() - timedelta(minutes=1))
    console.login()
    answer = console.post("/console/review/6/restore", {}, "/console/review/6")
    assert "no automatic rejection held (or it is final)" in answer.text
    with console.context.sessions() as session:
        assert session.get_one(Mention, 6).status == MentionStatus.REJECTED
