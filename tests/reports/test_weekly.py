"""The weekly report job: files kept in out_dir, queued once in the alert outbox, then posted by the send job to
Slack (files_upload_v2 against a fake Slack Web API, retried while Slack is down) or to the local sink."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import load_settings
from models import Alert, AlertKind
from scheduler import jobs
from tests.conftest import write_settings
from tests.reports import fixture
from tests.support.fake_slack import FakeSlack

MONDAY = datetime(2026, 3, 10, 9, tzinfo=UTC)  # a Tuesday: the last week is 2026-03-02 to 2026-03-08


def context_for(tmp_path: Path, database_url: str, slack: str) -> jobs.Context:
    reports = f'out_dir = "{tmp_path / "reports"}"\nweekly_formats = ["html", "pdf"]'
    path = write_settings(
        tmp_path, database_url, '[[brands]]\nslug = "acme"\nname = "Acme"\n', slack=slack, reports=reports
    )
    context = jobs.Context(load_settings(path), path)
    with context.sessions.begin() as session:
        fixture.load(session)
    return context


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_weekly_report_is_uploaded_once_with_a_summary(
    tmp_path: Path, database_url: str, fake_slack: FakeSlack
) -> None:
    slack = f'bot_token = "xoxb-test"\nbase_url = "{fake_slack.base_url}"\nchannel = "#alerts"'
    context = context_for(tmp_path, database_url, slack)
    try:
        jobs.send(context, min_interval=0)  # the fixture's own alerts, first
        written = jobs.weekly_report(context, now=MONDAY)
        fake_slack.script.append((500, {"ok": False, "error": "internal_error"}, {}))  # Slack down at first
        down = jobs.send(context, min_interval=0)
        again = jobs.weekly_report(context, now=MONDAY)
        with context.sessions.begin() as session:  # the retry is due now, not in 30 s
            report = session.scalars(select(Alert).where(Alert.kind == AlertKind.REPORT)).one()
            assert "HTTP 500" in (report.last_error or "")
            report.next_attempt_at = None
        up = jobs.send(context, min_interval=0)
        after = jobs.send(context, min_interval=0)
    finally:
        context.close()
    names = sorted(p.name for p in written)
    assert names == ["acme-2026-03-02-2026-03-08.html", "acme-2026-03-02-2026-03-08.pdf"]
    assert again == []  # written and queued already: the hourly check does nothing
    assert (down.sent, down.retrying, up.sent, after.sent) == (0, 1, 1, 0)
    paths = [r["path"].rsplit("/", 1)[-1] for r in fake_slack.requests]
    assert paths.count("files.getUploadURLExternal") == 2
    assert paths.count("files.completeUploadExternal") == 1
    complete = next(r["body"] for r in fake_slack.requests if r["path"].endswith("files.completeUploadExternal"))
    assert complete["channel_id"] == "C0FAKE"
    assert complete["initial_comment"].startswith("*Acme* reputation report, 2026-03-02 to 2026-03-08:")
    assert "Average rating" in complete["initial_comment"]
    titles = [f["title"] for f in json.loads(complete["files"])]
    # Each title is the file's name and which database and alert uploaded it (a retried upload finds its own).
    assert [title.split(" (")[0] for title in titles] == names and all(title.endswith(")") for title in titles)
    uploaded = sorted(fake_slack.uploads.values(), key=len)
    assert sorted((tmp_path / "reports" / name).read_bytes() for name in names) == sorted(uploaded)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_weekly_report_goes_to_the_sink_without_a_token(tmp_path: Path, database_url: str) -> None:
    sink = tmp_path / "sink.jsonl"
    context = context_for(tmp_path, database_url, f'sink_path = "{sink}"')
    try:
        jobs.weekly_report(context, now=MONDAY)
        jobs.send(context, min_interval=0)
        jobs.weekly_report(context, now=MONDAY)
        jobs.send(context, min_interval=0)
    finally:
        context.close()
    lines = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if "files" in line]  # not the fixture's own alerts
    assert len(lines) == 1
    assert len(lines[0]["files"]) == 2 and all(Path(name).is_file() for name in lines[0]["files"])
    assert "Top irritant: Delivery" in lines[0]["text"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_report_slack_refuses_for_good_is_recorded_for_status(
    tmp_path: Path, database_url: str, fake_slack: FakeSlack
) -> None:
    slack = f'bot_token = "xoxb-test"\nbase_url = "{fake_slack.base_url}"\nchannel = "#nowhere"'
    context = context_for(tmp_path, database_url, slack)
    try:
        jobs.weekly_report(context, now=MONDAY)
        result = jobs.send(context, min_interval=0)
        with context.sessions() as session:
            report = session.scalars(select(Alert).where(Alert.kind == AlertKind.REPORT)).one()
    finally:
        context.close()
    assert result.failed == 1
    assert (
        report.failed_at is not None and report.last_error == "Slack channel #nowhere not found (is the bot invited?)"
    )
