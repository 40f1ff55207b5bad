"""Slack buttons end to end on a real database: a click on the app `veilleur serve` runs acts through the
moderation workflow, records the Slack user in the audit log, and refuses a second, conflicting click."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from starlette.testclient import TestClient

from config.settings import load_settings
from models import Brand, Mention, MentionKind, MentionStatus, ModerationEvent, Publication, Source
from scheduler import jobs
from tests.conftest import write_settings
from tests.support.fake_slack import sign
from web.app import create_app

SECRET = "signing-secret-for-tests"


@pytest.fixture
def app(tmp_path, database_url, fake_slack):
    path = write_settings(tmp_path, database_url, "", slack=f'signing_secret = "{SECRET}"\nmoderators = ["U_MOD"]')
    context = jobs.Context(load_settings(path), path)
    with context.sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        source = Source(brand_id=brand.id, name="survey", kind="survey", own=True)
        session.add(source)
        session.flush()
        for number, status in enumerate((MentionStatus.TO_PUBLISH, MentionStatus.TO_REPLY), start=1):
            session.add(
                Mention(
                    id=number,
                    source_id=source.id,
                    external_id=str(number),
                    kind=MentionKind.REVIEW,
                    text=f"avis {number}",
                    rating=5.0,
                    consent=True,
                    status=status,
                )
            )
    with TestClient(create_app(context)) as client:
        yield client, context
    context.close()


def click(client, action: dict, response_url: str):  # type: ignore[no-untyped-def]
    action = {**action, "action_ts": f"{time.time():.6f}"}  # as Slack does: two clicks never have the same body
    payload = {
        "type": "block_actions",
        "user": {"id": "U_MOD"},
        "actions": [action],
        "response_url": response_url,
        "message": {"blocks": []},
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    return client.post(
        "/slack/actions",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(SECRET, timestamp, body),
        },
    )


def test_approve_then_reject_from_slack(app, fake_slack):
    client, context = app
    assert click(client, {"action_id": "approve", "value": "1"}, fake_slack.base_url + "r").status_code == 200
    assert click(client, {"action_id": "approve", "value": "1"}, fake_slack.base_url + "r").status_code == 200
    reason = {"action_id": "reject", "selected_option": {"value": "2:off_topic"}}
    assert click(client, reason, fake_slack.base_url + "r").status_code == 200
    with context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.PUBLISHED
        assert session.query(Publication).filter_by(mention_id=1).count() == 1
        rejected = session.get(Mention, 2)
        assert rejected.status == MentionStatus.REJECTED and rejected.rejection_reason.value == "off_topic"
        events = session.query(ModerationEvent).order_by(ModerationEvent.id).all()
        assert [(e.actor, e.action) for e in events] == [("slack:U_MOD", "approve"), ("slack:U_MOD", "reject")]
    updates = [r["body"]["text"] for r in fake_slack.requests]
    assert updates[0] == "Approved for publication by <@U_MOD>"
    assert updates[1].startswith("not done: mention 1 is published")
    assert updates[2] == "Rejected (off_topic) by <@U_MOD>"
