"""Kill the worker mid-cycle, start it again: nothing lost, nothing stored or sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from models import Alert, Mention, MentionStatus
from tests.conftest import ROOT, write_settings
from tests.skeleton.test_end_to_end import brand_body


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def count(engine, sql: str) -> int:
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar() or 0
    except Exception:  # the schema may not exist yet while the worker is starting
        return 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_killed_mid_cycle_then_restarted(tmp_path: Path, database_url, pages_server, fake_slack):
    # A source that answers 404 becomes unhealthy: an alert that does not depend on the classifier.
    gone = f"""
[[brands.sources]]
name = "gone"
kind = "schema_org"
urls = ["{pages_server.base_url}/no-such-page.html"]
"""
    settings = write_settings(
        tmp_path,
        database_url,
        brand_body(pages_server.base_url) + gone,
        slack=f'bot_token = "xoxb-test"\nbase_url = "{fake_slack.base_url}"\nchannel = "#alerts"',
        reports=f'out_dir = "{tmp_path / "reports"}"',
    )
    command = [sys.executable, "-m", "veilleur", "cycle", "--settings", str(settings)]
    engine = create_engine(database_url)
    worker = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        # Kill it (and its crawl child) once the first source is stored and the second is being crawled.
        wait_for(lambda: count(engine, "select count(*) from crawl_run") >= 2, 120, "the second crawl")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    stored_before = count(engine, "select count(*) from mention")
    assert 0 < stored_before < 35

    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]

    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Mention.__table__)) == 35
        statuses = {row[0] for row in connection.execute(select(Mention.__table__.c.status))}
        assert MentionStatus.NEW.value not in statuses and MentionStatus.CLASSIFIED.value not in statuses
        outcomes = [row[0] for row in connection.execute(text("select outcome from crawl_run order by id"))]
        assert "running" not in outcomes and "abandoned" in outcomes
        alert_ids = [row[0] for row in connection.execute(select(Alert.__table__.c.id))]
    engine.dispose()
    sent_ids = [body["metadata"]["event_payload"]["alert_id"] for body in fake_slack.posted()]
    assert alert_ids and sorted(sent_ids) == sorted(alert_ids)  # each alert sent, and only once
    unhealthy = [body for body in fake_slack.posted() if "acme/gone" in str(body["blocks"])]
    assert len(unhealthy) == 1
