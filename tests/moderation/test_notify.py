"""Author notices over real SMTP: a local aiosmtpd server receives what `send_due` sends; a server that is down
costs a retry, never a message."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from models import Notification, RejectionReason, utcnow
from moderation import workflow
from moderation.notify import SinkNotifier, SmtpNotifier, send_due
from tests.moderation.test_workflow import ROWS, load, sessions  # noqa: F401 (fixture)
from tests.support.servers import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_a_rejected_author_receives_the_reason_by_email_once(sessions, smtp_server):  # noqa: F811
    inbox, port = smtp_server
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        workflow.reject(session, ids["A2"], "cli:alice", RejectionReason.PERSONAL_DATA)
    notifier = SmtpNotifier("127.0.0.1", port, "avis@acme.example")
    assert send_due(sessions, notifier) == (1, 0)
    assert send_due(sessions, notifier) == (0, 0)  # never twice
    [(recipients, raw)] = inbox.messages
    message = message_from_bytes(raw, policy=policy.default)
    assert recipients == ["jean@example.org"]
    assert message["Subject"] == "Votre avis n'a pas été publié"
    assert "Motif : données personnelles." in message.get_content()


def test_smtp_down_is_retried_later_and_nothing_is_lost(sessions, smtp_server, tmp_path):  # noqa: F811
    inbox, port = smtp_server
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        workflow.reject(session, ids["A2"], "cli:alice", RejectionReason.SPAM)
    down = SmtpNotifier("127.0.0.1", free_port(), "avis@acme.example")
    assert send_due(sessions, down) == (0, 1)
    with sessions() as session:
        notice = session.scalars(select(Notification)).one()
        assert notice.sent_at is None and "ConnectionRefusedError" in (notice.last_error or "")
        retry_at = notice.next_attempt_at
    assert send_due(sessions, SmtpNotifier("127.0.0.1", port, "a@b.c")) == (0, 0)  # not before its time
    assert send_due(sessions, SmtpNotifier("127.0.0.1", port, "a@b.c"), now=retry_at + timedelta(seconds=1)) == (1, 0)
    assert len(inbox.messages) == 1
    # Without an SMTP host the demo writes notices to a local sink instead.
    with sessions.begin() as session:
        workflow.reject(session, ids["A1"], "cli:alice", RejectionReason.DUPLICATE)  # no e-mail known: no notice
    assert send_due(sessions, SinkNotifier(tmp_path / "mail.jsonl"), now=utcnow()) == (0, 0)


def test_a_product_name_with_a_line_break_makes_a_one_line_subject(sessions, smtp_server):  # noqa: F811
    # The product comes from a crawled page; "Burger\r\nBcc: victim@example.org" could not be written as a
    # subject, and the notice loop raised at every run (the notices after it never left).
    from models import Mention
    from moderation.notify import queue_owner_notice

    inbox, port = smtp_server
    ids = load(sessions, ROWS)
    with sessions.begin() as session:
        mention = session.get_one(Mention, ids["A2"])
        mention.product = "Burger\r\nBcc: victim@example.org"
        queue_owner_notice(session, mention, "owner@acme.example")
        session.add(Notification(dedupe_key="broken", recipient="x@acme.example", subject="a\nb", body="."))
        queue_owner_notice(session, session.get_one(Mention, ids["A1"]), "owner@acme.example")
    notifier = SmtpNotifier("127.0.0.1", port, "avis@acme.example")
    assert send_due(sessions, notifier) == (2, 1)  # the unwritable one given up alone, the others sent
    subjects = [message_from_bytes(raw, policy=policy.default)["Subject"] for _, raw in inbox.messages]
    assert "[Veilleur] Burger Bcc: victim@example.org: review rated 1/5" in subjects
    assert all(recipients == ["owner@acme.example"] for recipients, _ in inbox.messages)
    assert send_due(sessions, notifier) == (0, 0)  # given up for good, not retried
