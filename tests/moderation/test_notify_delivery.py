"""E-mail notices across crashes and outages: a notifier in its own process killed with SIGKILL after the SMTP
server (or the local sink) got the message, a new notice queued before the retry, then a new notifier; an SMTP
server down for two hours (simulated clock); a refusal that retrying cannot fix."""

from __future__ import annotations

import asyncio
import json
import smtplib
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from models import Notification
from models.db import make_engine, make_session_factory, upgrade
from moderation.notify import SinkNotifier, SmtpNotifier, send_due
from tests.conftest import ROOT
from tests.moderation.test_notify import free_port

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE_OVER = NOW + timedelta(minutes=16)  # a claim holds a notice 15 minutes


class HoldingInbox:
    """Receives messages; the first one is kept unanswered (no "250 OK") until `released`."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.holding = threading.Event()
        self.released = threading.Event()
        self.hold_next = False

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope.content)
        if self.hold_next:
            self.hold_next = False
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait)
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw in self.messages]


@pytest.fixture
def inbox():
    inbox = HoldingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    inbox.released.set()
    controller.stop()


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def queue(sessions, *keys: str) -> list[int]:
    with sessions.begin() as session:
        rows = [
            Notification(dedupe_key=key, recipient=f"{key}@example.org", subject="s", body=key, created_at=NOW)
            for key in keys
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def notifier_process(url: str, how: str, target: str, now: datetime, *more: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.support.sender", "notices", url, how, target, now.isoformat(), *more]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def notices(sessions) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_killed_after_the_smtp_server_got_it_resends_under_the_same_message_id(sessions, database_url, inbox):
    server, port = inbox
    queue(sessions, "first")
    server.hold_next = True
    process = notifier_process(database_url, "smtp", str(port), NOW)
    deadline = datetime.now(UTC) + timedelta(seconds=60)
    while not server.holding.wait(timeout=0.2):
        assert process.poll() is None, process.communicate()
        assert datetime.now(UTC) < deadline, "the notifier never sent"
    process.kill()
    process.communicate()
    server.released.set()
    queue(sessions, "second")  # queued before the retry
    assert send_due(sessions, SmtpNotifier("127.0.0.1", port, "avis@acme.example"), now=LEASE_OVER) == (2, 0)
    ids = Counter(server.message_ids())
    # SMTP cannot be asked what it received: the first notice went twice (unavoidable), under one Message-ID a
    # mail client or the receiving server dedupes on; the second once; nothing lost.
    assert len(ids) == 2 and None not in ids and sorted(ids.values()) == [1, 2]
    assert all(row.sent_at for row in notices(sessions))


def test_killed_after_the_sink_wrote_it_writes_each_notice_once(sessions, database_url, tmp_path):
    sink = tmp_path / "mail.jsonl"
    queue(sessions, "first")
    process = notifier_process(database_url, "sink", str(sink), NOW, "die")
    out, err = process.communicate(timeout=120)
    assert process.returncode == -9, (out, err)
    queue(sessions, "second")
    assert send_due(sessions, SinkNotifier(sink), now=LEASE_OVER) == (2, 0)
    written = Counter(json.loads(line)["body"] for line in sink.read_text().splitlines())
    assert written == Counter(["first", "second"])


def test_an_smtp_outage_of_two_hours_loses_no_notice(sessions, inbox):
    server, port = inbox
    queue(sessions, "a", "b", "c")
    down = SmtpNotifier("127.0.0.1", free_port(), "avis@acme.example")  # nothing listens there
    up = SmtpNotifier("127.0.0.1", port, "avis@acme.example")
    now = NOW
    while now < NOW + timedelta(hours=4):
        send_due(sessions, down if now < NOW + timedelta(hours=2) else up, now=now)
        now += timedelta(minutes=1)
    assert len(server.messages) == 3 and all(row.sent_at and not row.failed_at for row in notices(sessions))


def test_a_refused_recipient_fails_at_once(sessions):
    class Refuses:
        def send(self, recipient, subject, body, key=""):
            raise smtplib.SMTPRecipientsRefused({recipient: (550, b"5.1.1 no such user")})

        def already_sent(self, key):
            return False

    queue(sessions, "gone")
    assert send_due(sessions, Refuses(), now=NOW) == (0, 1)
    [row] = notices(sessions)
    assert row.failed_at == NOW and "no such user" in row.last_error
