"""The Slack interactivity endpoint over real HTTP (uvicorn on 127.0.0.1): signatures (valid, forged, replayed,
stale), the moderator allow-list, and the message update sent to Slack's response_url (the fake Slack)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from models import SlackSignature
from models.db import make_engine, make_session_factory, upgrade
from tests.alerts.slack_checks import check_message
from tests.support.fake_slack import sign
from web.slack import ActionRefused, slack_routes
from web.slack_signature import ReplayGuard, check

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, str, str | None]] = []

    def approve(self, session, mention_id, actor, value):  # type: ignore[no-untyped-def]
        self.calls.append((mention_id, actor, value))
        return "Approved"

    def reject(self, session, mention_id, actor, value):  # type: ignore[no-untyped-def]
        if mention_id == 404:
            raise ActionRefused("mention 404 is not waiting for moderation")
        self.calls.append((mention_id, actor, value))
        return f"Rejected ({value})"


@pytest.fixture
def sessions(database_url) -> Iterator[sessionmaker[Session]]:
    """A real database: the handlers here are fakes, but the replay guard keeps its signatures there."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def server(fake_slack, sessions) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    app = Starlette(
        routes=slack_routes(sessions, SECRET, {"U_MOD"}, {"approve": recorder.approve, "reject": recorder.reject})
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    http = uvicorn.Server(config)
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not (http.started and http.servers):
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = http.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", recorder
    http.should_exit = True
    thread.join(5)


def click(user: str, action: dict, response_url: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "actions": [action],
        "response_url": response_url,
        "message": {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "review"}}]},
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def post(base: str, body: bytes, timestamp: str | None = None, signature: str | None = None) -> httpx.Response:
    timestamp = timestamp or str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature or sign(SECRET, timestamp, body),
    }
    return httpx.post(f"{base}/slack/actions", content=body, headers=headers, timeout=5)


def wait_for_update(fake_slack, count: int) -> list[dict]:
    deadline = time.monotonic() + 5
    while len(fake_slack.requests) < count:
        assert time.monotonic() < deadline, "no message update reached Slack"
        time.sleep(0.01)
    return [r["body"] for r in fake_slack.requests]


def test_a_moderator_click_acts_and_updates_the_message(server, fake_slack):
    base, recorder = server
    body = click("U_MOD", {"action_id": "approve", "value": "12"}, fake_slack.base_url + "response/1")
    started = time.monotonic()
    response = post(base, body)
    assert response.status_code == 200 and time.monotonic() - started < 3
    assert recorder.calls == [(12, "slack:U_MOD", None)]
    update = wait_for_update(fake_slack, 1)[0]
    assert update["replace_original"] is True and "Approved by <@U_MOD>" in update["text"]
    assert update["blocks"][0]["text"]["text"] == "review"


def test_reject_with_a_reason_from_the_menu(server, fake_slack):
    base, recorder = server
    action = {"action_id": "reject", "selected_option": {"value": "7:spam"}}
    assert post(base, click("U_MOD", action, fake_slack.base_url + "r")).status_code == 200
    assert recorder.calls == [(7, "slack:U_MOD", "spam")]
    refused = {"action_id": "reject", "selected_option": {"value": "404:spam"}}
    post(base, click("U_MOD", refused, fake_slack.base_url + "r"))
    assert "not done: mention 404" in wait_for_update(fake_slack, 2)[1]["text"]


def test_users_outside_the_allow_list_cannot_moderate(server, fake_slack):
    base, recorder = server
    assert (
        post(base, click("U_OTHER", {"action_id": "approve", "value": "1"}, fake_slack.base_url + "r")).status_code
        == 200
    )
    assert recorder.calls == []
    assert "not allowed to moderate" in wait_for_update(fake_slack, 1)[0]["text"]


def test_what_a_click_brings_is_escaped_in_the_updated_message(server, fake_slack):
    base, recorder = server
    hostile = {"action_id": "reject", "selected_option": {"value": "7:<!channel> <http://x|fake>"}}
    post(base, click("U_MOD", hostile, fake_slack.base_url + "r"))
    post(base, click("U_MOD", {"action_id": "<!here>", "value": "1"}, fake_slack.base_url + "r"))
    post(base, click("<!here>", {"action_id": "approve", "value": "1"}, fake_slack.base_url + "r"))
    updates = wait_for_update(fake_slack, 3)
    for update in updates:
        check_message(update, mentions=True)
    assert updates[0]["text"] == "Rejected (&lt;!channel&gt; &lt;http://x|fake&gt;) by <@U_MOD>"
    assert updates[1]["text"] == "unknown action '&lt;!here&gt;'"
    assert updates[2]["text"].startswith("'&lt;!here&gt;' is not allowed to moderate")


def test_clicks_on_a_full_message_keep_it_within_fifty_blocks(server, fake_slack):
    base, recorder = server
    original = [{"type": "section", "text": {"type": "mrkdwn", "text": f"review {n}"}} for n in range(50)]
    for number in range(3):
        payload = {
            "type": "block_actions",
            "user": {"id": "U_MOD"},
            "actions": [{"action_id": "approve", "value": str(number + 1)}],
            "response_url": fake_slack.base_url + "r",
            "message": {"blocks": original},
        }
        post(base, urllib.parse.urlencode({"payload": json.dumps(payload)}).encode())
        original = wait_for_update(fake_slack, number + 1)[number]["blocks"]
    assert len(original) == 50
    assert original[-1]["elements"][0]["text"] == "Approved by <@U_MOD>"
    assert [b["block_id"] for b in original if b.get("block_id", "").startswith("veilleur_done:")] == [
        "veilleur_done:3"  # each click's line replaced the last one's: no room for both
    ]


def test_forged_replayed_and_stale_requests_are_refused(server, fake_slack):
    base, recorder = server
    body = click("U_MOD", {"action_id": "approve", "value": "3"}, fake_slack.base_url + "r")
    assert post(base, body, signature="v0=" + "0" * 64).status_code == 401
    timestamp = str(int(time.time()))
    signature = sign(SECRET, timestamp, body)
    assert post(base, body, timestamp, signature).status_code == 200
    assert post(base, body, timestamp, signature).status_code == 401  # the same request again
    old = str(int(time.time()) - 6 * 60)
    assert post(base, body, old, sign(SECRET, old, body)).status_code == 401
    assert recorder.calls == [(3, "slack:U_MOD", None)]


def test_signature_check_reasons(sessions):
    guard = ReplayGuard(sessions)
    body = b"payload=x"
    assert check(SECRET, "1000", sign(SECRET, "1000", body), body, guard, now=1000) is None
    assert check(SECRET, "1000", sign(SECRET, "1000", body), body, guard, now=1001) == "replayed request"
    assert check(SECRET, "1000", sign("other", "1000", body), body, guard, now=1000) == "bad signature"
    assert check(SECRET, "1000", sign(SECRET, "1000", body), body, guard, now=1400).startswith("stale request")
    assert check("", "1000", "v0=x", body, guard, now=1000).startswith("no signing secret")


def test_requests_slack_sdk_cannot_verify_are_refused_with_a_reason(sessions):
    guard = ReplayGuard(sessions)
    assert check("  ", "1000", "v0=x", b"payload=x", guard, now=1000).startswith("no signing secret")
    assert check(SECRET, "1000", "v0=x", b"payload=\xff", guard, now=1000) == "body is not UTF-8 text"
    assert check(SECRET, "soon", "v0=x", b"payload=x", guard, now=1000) == "timestamp 'soon' is not a number"


def test_a_replay_is_refused_after_a_restart_and_until_its_timestamp_is_stale(sessions):
    body = b"payload=x"
    signature = sign(SECRET, "1000", body)
    assert check(SECRET, "1000", signature, body, ReplayGuard(sessions), now=1000) is None
    restarted = ReplayGuard(sessions)  # a new process on the same database
    assert check(SECRET, "1000", signature, body, restarted, now=1200) == "replayed request"
    # A timestamp up to five minutes ahead is accepted; its replay stays refused until that timestamp is stale.
    ahead = sign(SECRET, "1300", body)
    assert check(SECRET, "1300", ahead, body, restarted, now=1000) is None
    assert check(SECRET, "1300", ahead, body, restarted, now=1590) == "replayed request"
    assert check(SECRET, "1300", ahead, body, restarted, now=1601).startswith("stale request")
    # Rows whose timestamp can no longer pass are deleted as new requests arrive.
    assert check(SECRET, "5000", sign(SECRET, "5000", body), body, restarted, now=5000) is None
    with sessions() as session:
        assert session.scalars(select(SlackSignature.signature)).all() == [sign(SECRET, "5000", body)]


def signed_payload(payload: object) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def good_payload(response_url: str) -> dict:
    return json.loads(
        urllib.parse.parse_qs(click("U_MOD", {"action_id": "approve", "value": "12"}, response_url).decode())[
            "payload"
        ][0]
    )


MALFORMED = {
    "payload-a-list": lambda p: [p],
    "actions-a-string": lambda p: {**p, "actions": "approve"},
    "actions-empty": lambda p: {**p, "actions": []},
    "action-a-string": lambda p: {**p, "actions": ["approve"]},
    "action-id-a-list": lambda p: {**p, "actions": [{"action_id": ["approve"], "value": "12"}]},
    "value-a-number": lambda p: {**p, "actions": [{"action_id": "approve", "value": 12}]},
    "option-a-string": lambda p: {**p, "actions": [{"action_id": "reject", "selected_option": "12:spam"}]},
    "mention-id-too-large": lambda p: {**p, "actions": [{"action_id": "approve", "value": "9" * 30}]},
    "mention-id-unicode-digits": lambda p: {**p, "actions": [{"action_id": "approve", "value": "\u0661\u0662"}]},
    "user-id-an-object": lambda p: {**p, "user": {"id": {"U_MOD": 1}}},
    "user-a-string": lambda p: {**p, "user": "U_MOD"},
    "message-a-string": lambda p: {**p, "message": "review"},
    "blocks-a-string": lambda p: {**p, "message": {"blocks": "review"}},
    "block-a-number": lambda p: {**p, "message": {"blocks": [1]}},
    "response-url-an-object": lambda p: {**p, "response_url": {"url": "x"}},
    "response-url-not-http": lambda p: {**p, "response_url": "file:///etc/passwd"},
}


@pytest.mark.parametrize("change", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_signed_but_malformed_payload_is_a_400_and_changes_nothing(server, fake_slack, change):
    base, recorder = server
    response = post(base, signed_payload(change(good_payload(fake_slack.base_url + "r"))))
    assert response.status_code == 400, response.text
    assert "error" in response.json()
    assert recorder.calls == []
    # The check came before acting: the same click, well formed, is then done once and reported once.
    assert post(base, signed_payload(good_payload(fake_slack.base_url + "r"))).status_code == 200
    assert recorder.calls == [(12, "slack:U_MOD", None)]
    assert len(wait_for_update(fake_slack, 1)) == 1
