"""Delivery across crashes and outages: a sender in its own process killed with SIGKILL at each stage of
sending (a message, a grouped message, a report upload, a webhook post, a local sink), new alerts queued before
the retry, then a new sender; a two-hour Slack outage on a simulated clock; `veilleur alerts retry`; what
`veilleur status` says while alerts wait."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from alerts.fatigue import Fatigue
from alerts.send import send_due
from alerts.transports import SinkTransport, SlackTransport, WebhookTransport
from models import Alert, AlertKind, Brand
from models.alert_payloads import ReportPayload
from models.db import make_engine, make_session_factory, upgrade
from scheduler.status import overview
from tests.conftest import ROOT, write_settings
from tests.support.fake_slack import FakeSlack
from veilleur.cli import app

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE_OVER = NOW + timedelta(minutes=6)  # the dead sender's claim (5 minutes) has expired
GROUPED = Fatigue(cooldown=timedelta(0), group_max=10)


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        session.add(Brand(slug="acme", name="Acme"))
    yield factory
    engine.dispose()


def queue(sessions, *keys: str, kind: AlertKind = AlertKind.NEGATIVE_MENTION, payload=None) -> list[int]:
    with sessions.begin() as session:
        brand = session.scalars(select(Brand)).one()
        rows = [
            Alert(
                brand_id=brand.id,
                kind=kind,
                dedupe_key=key,
                channel="#alerts",
                payload=payload or {"source": "shop", "text": f"review {key}"},
                created_at=NOW,
            )
            for key in keys
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def sender(url: str, how: str, target: str, now: datetime, *more: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.support.sender", "alerts", url, how, target, now.isoformat(), *more]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_while_held(process: subprocess.Popen[str], held: threading.Event) -> None:
    """SIGKILL the sender once the fake has its request (and has not answered it)."""
    deadline = datetime.now(UTC) + timedelta(seconds=60)
    while not held.wait(timeout=0.2):
        assert process.poll() is None, f"the sender ended before its request was held: {process.communicate()}"
        assert datetime.now(UTC) < deadline, "the sender never sent"
    process.kill()
    process.communicate()


def killed_by_itself(process: subprocess.Popen[str]) -> None:
    out, err = process.communicate(timeout=120)
    assert process.returncode == -9, (out, err)


def carried(body: dict) -> list[int]:
    """The alert ids a posted message carries (its metadata)."""
    payload = body["metadata"]["event_payload"]
    return payload.get("alert_ids") or [payload["alert_id"]]


def rows(sessions) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


@pytest.mark.parametrize("first", [1, 2], ids=["single", "grouped"])
def test_killed_after_slack_got_the_message_then_new_alerts_each_posted_once(sessions, database_url, tmp_path, first):
    with FakeSlack(record=tmp_path / "slack.jsonl") as slack:
        early = queue(sessions, *[f"early{n}" for n in range(first)])
        slack.hold("/chat.postMessage")
        kill_while_held(sender(database_url, "slack", slack.base_url, NOW), slack.holding)
    late = queue(sessions, "late1", "late2")  # new alerts of the same kind, before the retry
    # Slack restarted too: it remembers what it received.
    with FakeSlack(record=tmp_path / "slack.jsonl") as slack:
        transport = SlackTransport("xoxb-test", slack.base_url)
        result = send_due(sessions, transport, "w2", min_interval=0, clock=lambda: LEASE_OVER, fatigue=GROUPED)
        posted = Counter(i for body in slack.posted() for i in carried(body))
    assert posted == Counter(early + late)  # each alert in Slack exactly once
    assert result.sent == first + 2 and all(row.sent_at for row in rows(sessions))
    refs = {row.id: row.delivery_ref for row in rows(sessions)}
    assert refs[late[0]] != refs[early[0]]  # the new ones are not "sent" under the first message's reference


def test_killed_during_the_report_upload_posts_it_once(sessions, database_url, tmp_path, fake_slack):
    report = tmp_path / "report-acme.html"
    report.write_text("<h1>Acme</h1>")
    payload = ReportPayload(files=[str(report)], text="Weekly report").to_json()
    queue(sessions, "report:acme", kind=AlertKind.REPORT, payload=payload)
    fake_slack.hold("/files.completeUploadExternal")
    kill_while_held(sender(database_url, "slack", fake_slack.base_url, NOW), fake_slack.holding)
    fake_slack.release()
    late = queue(sessions, "late1")
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    result = send_due(sessions, transport, "w2", min_interval=0, clock=lambda: LEASE_OVER, fatigue=GROUPED)
    shared = [r for r in fake_slack.requests if r["path"].endswith("/files.completeUploadExternal")]
    assert len(shared) == 1  # uploaded once: the retry found it in the channel
    assert result.sent == 2 and [carried(body) for body in fake_slack.posted()] == [late]
    report_row = rows(sessions)[0]
    file_ids = [f["id"] for f in json.loads(shared[0]["body"]["files"])]
    assert report_row.delivery_ref == "slack-files:C0FAKE:" + ",".join(file_ids)


def test_webhook_mode_killed_mid_post_resends_with_the_same_idempotency_key(
    sessions, database_url, tmp_path, fake_slack
):
    hook = fake_slack.base_url + "hooks/T1"
    early = queue(sessions, "early1", "early2")
    fake_slack.hold("hooks/T1")
    kill_while_held(sender(database_url, "webhook", hook, NOW), fake_slack.holding)
    fake_slack.release()
    late = queue(sessions, "late1")
    send_due(sessions, WebhookTransport(hook), "w2", min_interval=0, clock=lambda: LEASE_OVER, fatigue=GROUPED)
    keys = [r["idempotency_key"] for r in fake_slack.requests if r["path"].endswith("hooks/T1")]
    # At least once: the grouped message went twice, under one key a receiver can dedupe on; nothing lost.
    assert len(keys) == 3 and None not in keys
    assert keys[0] == keys[1] and keys[2] != keys[0]
    assert keys[0].endswith(":" + ",".join(map(str, early))) and keys[2].endswith(":" + ",".join(map(str, late)))
    assert all(row.sent_at for row in rows(sessions))


def test_killed_after_the_sink_wrote_then_new_alerts_each_written_once(sessions, database_url, tmp_path):
    sink = tmp_path / "sink.jsonl"
    early = queue(sessions, "early1", "early2")
    killed_by_itself(sender(database_url, "sink", str(sink), NOW, "10", "die"))
    late = queue(sessions, "late1", "late2")
    send_due(sessions, SinkTransport(sink), "w2", min_interval=0, clock=lambda: LEASE_OVER, fatigue=GROUPED)
    written = Counter(i for line in sink.read_text().splitlines() for i in carried(json.loads(line)))
    assert written == Counter(early + late)


def test_a_sink_file_left_from_an_earlier_database_does_not_count_as_sent(tmp_path):
    sink = SinkTransport(tmp_path / "sink.jsonl")
    for name in ("old", "new"):  # two databases, the same alert ids, one sink file
        url = f"sqlite:///{tmp_path / name}.db"
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory.begin() as session:
            session.add(Brand(slug="acme", name="Acme"))
        queue(factory, "a", "b", "c")
        assert send_due(factory, sink, "w", min_interval=0, clock=lambda: NOW, fatigue=GROUPED).sent == 3
        engine.dispose()
    lines = [json.loads(line) for line in sink.path.read_text().splitlines()]
    assert len(lines) == 2 and carried(lines[0]) == carried(lines[1]) == [1, 2, 3]


def test_a_two_hour_outage_delivers_every_alert_once_afterwards(sessions, fake_slack):
    ids = queue(sessions, *[f"k{n}" for n in range(16)])
    fake_slack.down = (500, {"ok": False, "error": "internal_error"}, {})
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    one_by_one = Fatigue(cooldown=timedelta(0), group_max=1)
    now = NOW
    while now < NOW + timedelta(hours=4):
        if now >= NOW + timedelta(hours=2):
            fake_slack.down = None
        send_due(sessions, transport, "w1", min_interval=0, clock=lambda now=now: now, fatigue=one_by_one)
        now += timedelta(minutes=1)
    assert Counter(i for body in fake_slack.posted() for i in carried(body)) == Counter(ids)
    assert all(row.sent_at and not row.failed_at for row in rows(sessions))


def test_a_refusal_that_retrying_cannot_fix_gives_up_at_once(sessions, fake_slack):
    queue(sessions, "k")
    fake_slack.script.append((200, {"ok": False, "error": "channel_not_found"}, {}))
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    result = send_due(sessions, transport, "w1", min_interval=0, clock=lambda: NOW)
    assert result.failed == 1 and "channel_not_found" in rows(sessions)[0].last_error


def test_status_shows_the_last_error_and_the_oldest_pending_age(sessions, fake_slack):
    queue(sessions, "a", "b")
    fake_slack.down = (500, {"ok": False, "error": "internal_error"}, {})
    send_due(sessions, SlackTransport("xoxb-test", fake_slack.base_url), "w1", min_interval=0, clock=lambda: NOW)
    with sessions() as session:
        view = {t: dict(rows) for t, rows, _ in overview(session, now=NOW + timedelta(minutes=75)) if "outbox" in t}
    outbox = view["Alert outbox"]
    assert outbox["pending"] == 2
    assert outbox["oldest pending"] == "1h 15m"
    assert "HTTP 500" in outbox["last error"]
    assert outbox["due now"] == 2 and outbox["next one due in"] == "-"
    with sessions() as session:
        # Ten seconds after the failure the alerts back off (30 s): not stuck, due soon, and status says so.
        later = overview(session, now=NOW + timedelta(seconds=10))
        backing_off = {t: dict(rows) for t, rows, _ in later if "outbox" in t}
    assert backing_off["Alert outbox"]["due now"] == 0
    assert backing_off["Alert outbox"]["next one due in"] == "0h 00m"


SINK_SETTINGS = """
[[brands]]
slug = "acme"
name = "Acme"
"""


def test_alerts_retry_resends_failed_ones(tmp_path, sessions, database_url, fake_slack):
    settings = write_settings(tmp_path, database_url, SINK_SETTINGS)
    runner = CliRunner()
    factory = sessions
    ids = queue(factory, "a", "b", "c")
    for _ in ids:
        fake_slack.script.append((200, {"ok": False, "error": "not_in_channel"}, {}))
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    one_by_one = Fatigue(cooldown=timedelta(0), group_max=1)
    assert send_due(factory, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=one_by_one).failed == 3
    # The bot is invited now: resend one by its id, then the others.
    done = runner.invoke(app, ["alerts", "retry", "--id", str(ids[1]), "--settings", str(settings)])
    assert done.exit_code == 0, done.output
    assert "1 alert(s) queued again" in done.output
    assert send_due(factory, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=one_by_one).sent == 1
    done = runner.invoke(app, ["alerts", "retry", "--settings", str(settings)])
    assert "2 alert(s) queued again" in done.output
    assert send_due(factory, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=one_by_one).sent == 2
    assert Counter(i for body in fake_slack.posted() for i in carried(body)) == Counter(ids)
