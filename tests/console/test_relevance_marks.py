"""Moderators mark mentions off-topic, or relevant after all, from the console (issue 18): one row's button or
the selection, through moderation/relevance/marks.py as `veilleur queue offtopic` does, with the CSRF token and
the moderator role the other actions need. Over HTTP on a real database."""

from __future__ import annotations

from sqlalchemy import select

from models import Correction, Mention, ModerationEvent
from models.relevance import MARK_TASK


def _flags(console) -> dict[int, bool]:  # type: ignore[no-untyped-def]
    with console.context.sessions() as session:
        return {n: off for n, off in session.execute(select(Mention.id, Mention.off_topic).order_by(Mention.id))}


def test_off_topic_from_the_flagged_queue_and_relevant_from_the_off_topic_queue(console):
    console.login()
    flagged = console.client.get("/console/queue/flagged").text
    assert 'id="bulk-off-topic"' in flagged and 'formaction="/console/off-topic"' in flagged
    assert 'value="off_topic:4"' in flagged  # the row's own button
    assert 'id="bulk-relevant"' not in flagged
    assert 'id="bulk-off-topic"' not in console.client.get("/console/queue/to_publish").text

    # One row's button: #4 leaves the flagged queue for the off-topic one.
    answer = console.post(
        "/console/off-topic", {"act": "off_topic:4", "back": "/console/queue/flagged"}, "/console/queue/flagged"
    )
    assert answer.status_code == 200 and "marked off-topic 1 of 1" in answer.text
    assert _flags(console)[4] is True
    assert "Nothing here." in console.client.get("/console/queue/flagged").text
    # The selection, from another queue's page: the mark is the same whichever page posts it.
    console.post("/console/off-topic", {"ids": ["2", "3"], "back": "/console/queue/off_topic"})
    assert [n for n, off in _flags(console).items() if off] == [2, 3, 4]

    page = console.client.get("/console/queue/off_topic").text
    assert 'id="bulk-relevant"' in page and 'formaction="/console/relevant"' in page
    assert 'name="ids" value="4"' in page  # rows can be ticked on the off-topic queue now
    answer = console.post(
        "/console/relevant", {"ids": ["2", "3"], "back": "/console/queue/off_topic"}, "/console/queue/off_topic"
    )
    assert "marked relevant 2 of 2" in answer.text
    assert [n for n, off in _flags(console).items() if off] == [4]

    with console.context.sessions() as session:
        marks = session.execute(
            select(Correction.mention_id, Correction.label, Correction.actor)
            .where(Correction.task == MARK_TASK)
            .order_by(Correction.id)
        ).all()
        events = session.scalars(
            select(ModerationEvent.action).where(ModerationEvent.action.like("mark_%")).order_by(ModerationEvent.id)
        ).all()
    # Kept as the relevance score's examples, and audited, with the console user as the actor.
    assert [(m, label) for m, label, _ in marks] == [
        (4, "off_topic"),
        (2, "off_topic"),
        (3, "off_topic"),
        (2, "relevant"),
        (3, "relevant"),
    ]
    assert {actor for _, _, actor in marks} == {"console:mia"}
    assert events == ["mark_off_topic"] * 3 + ["mark_relevant"] * 2


def test_marks_need_the_csrf_token_and_a_moderator(console):
    console.login()
    refused = console.client.post("/console/off-topic", data={"ids": ["4"], "csrf": "forged"})
    assert refused.status_code == 403
    console.client.post("/console/logout", data={"csrf": "x"})
    console.client.cookies.clear()
    console.login("vic")  # a viewer
    assert 'id="bulk-off-topic"' not in console.client.get("/console/queue/flagged").text
    answer = console.post("/console/relevant", {"ids": ["4"]}, "/console/queue/flagged", follow=False)
    assert answer.status_code == 403 and "read only" in answer.text
    assert _flags(console)[4] is False
    answer = console.post("/console/off-topic", {}, "/console/queue/flagged", follow=False)
    assert answer.status_code == 403
