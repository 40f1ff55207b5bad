"""The Slack transport against a fake Slack that answers the way a real one sometimes does: a Retry-After that is
an HTTP date or a fraction, an answer cut short, and report files of the same name posted by another database.
Each is a retry or a fresh upload, never a crash or an alert marked sent with someone else's files."""

from __future__ import annotations

import http.client
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from alerts.transports import RetryLater, SlackTransport, WebhookTransport, retry_after_seconds


def report_message(path: Path, outbox: str) -> dict:
    return {
        "text": "weekly report",
        "files": [str(path)],
        "metadata": {"event_type": "veilleur_alert", "event_payload": {"outbox": outbox, "alert_ids": [1]}},
    }


def test_files_of_the_same_name_from_another_database_are_not_taken_for_this_upload(tmp_path, fake_slack):
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    staging, prod = tmp_path / "staging", tmp_path / "prod"
    for folder, text in ((staging, b"<h1>staging</h1>"), (prod, b"<h1>prod</h1>")):
        folder.mkdir()
        (folder / "demo-2026-11-16-2026-11-22.html").write_bytes(text)
    first = transport.deliver("#alerts", report_message(staging / "demo-2026-11-16-2026-11-22.html", "staging"), 1)
    # Prod's sender died once (retaken=True): it looks in the channel and must not find staging's file as its own.
    second = transport.deliver(
        "#alerts", report_message(prod / "demo-2026-11-16-2026-11-22.html", "prod"), 1, retaken=True
    )
    assert first != second
    assert sorted(fake_slack.uploads.values()) == [b"<h1>prod</h1>", b"<h1>staging</h1>"]
    # And its own upload, found again after another death, is not uploaded a second time.
    third = transport.deliver(
        "#alerts", report_message(prod / "demo-2026-11-16-2026-11-22.html", "prod"), 1, retaken=True
    )
    assert third == second and len(fake_slack.uploads) == 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7),
        ("1.5", 1),
        ("", 30),
        ("soon", 30),
        ("nan", 30),
        ("-5", 1),
        ("999999", 3600),
    ],
)
def test_retry_after_is_read_whatever_its_form(header, expected):
    assert retry_after_seconds({"Retry-After": header}) == expected


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=120)
    assert 100 <= retry_after_seconds({"Retry-After": format_datetime(when, usegmt=True)}) <= 120


def test_an_answer_cut_short_is_a_retry_not_a_crash(fake_slack, monkeypatch):
    transport = SlackTransport("xoxb-test", fake_slack.base_url)

    def cut_short(**_: object) -> None:
        raise http.client.IncompleteRead(b'{"ok":tr', 92)

    monkeypatch.setattr(transport.client, "chat_postMessage", cut_short)
    with pytest.raises(RetryLater, match="IncompleteRead"):
        transport.deliver("#alerts", {"text": "x", "blocks": []}, 1)


def test_a_webhook_answer_cut_short_is_a_retry_not_a_crash(monkeypatch):
    transport = WebhookTransport("https://hooks.slack.example/services/T/B/X")

    def cut_short(*_: object, **__: object) -> None:
        raise http.client.IncompleteRead(b'{"ok":tr', 92)

    monkeypatch.setattr(transport.client, "send_dict", cut_short)
    with pytest.raises(RetryLater, match="IncompleteRead"):
        transport.deliver("#alerts", {"text": "x", "blocks": []}, 1)
