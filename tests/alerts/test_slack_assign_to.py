"""Assigning a review to a teammate from Slack, and one name per person across Slack, the console and the CLI.

Before, an alert offered "Assign to me" only (issue 17: a community manager could not hand a review to the
colleague who owns it), and what Slack assigned was stored as "slack:U…" where the console knows "alice", so
her "assigned to me" never found it. End to end: alerts sent by the real sender through slack-sdk to the local
fake Slack, the users menu it posted answered as Slack answers it (signed), then the same database read by
`veilleur queue list` and the console."""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from alerts.blocks import BLOCKS_LIMIT, build_group_message, build_message
from alerts.fatigue import Fatigue
from alerts.send import send_due
from alerts.transports import SlackTransport
from config.errors import SettingsError
from config.settings import load_settings
from models import Alert, AlertKind, Brand, Mention, MentionKind, MentionStatus, ModerationEvent, Source
from models.alert_payloads import MentionPayload
from scheduler import jobs
from tests.alerts.slack_checks import check_message
from tests.conftest import write_settings
from tests.console.conftest import Console
from tests.console.support import HASH
from tests.moderation.support import SURVEY_BRAND
from tests.support.fake_slack import sign
from veilleur.cli import app as cli
from web.app import create_app

SECRET = "signing-secret-for-tests"
NOW = datetime(2024, 12, 3, 15, 0, tzinfo=UTC)
ALICE, BOB, ZED = "U0ALICE1", "U0BOB2", "U0ZED3"  # bob moderates from Slack; alice owns reviews; zed: no account
ELEMENTS_LIMIT = 25  # elements in an actions block (Block Kit)

# id: (kind, status, assignee, alert kind or None)
ROWS = {
    1: (MentionKind.REVIEW, MentionStatus.TO_REPLY, None, AlertKind.REVIEW_TO_ANSWER),  # Trustpilot, to answer
    2: (MentionKind.POST, MentionStatus.WATCH, None, AlertKind.NEGATIVE_MENTION),
    3: (MentionKind.REVIEW, MentionStatus.REPLIED, None, None),  # answered: closed
    4: (MentionKind.REVIEW, MentionStatus.TO_REPLY, None, None),  # nobody's
    5: (MentionKind.REVIEW, MentionStatus.TO_REPLY, f"slack:{ALICE}", None),  # from Slack, before the slack_id
}


def users(*accounts: tuple[str, str]) -> str:
    listed = ", ".join(
        f'{{ name = "{name}", role = "moderator", password_hash = "{HASH}", slack_id = "{slack_id}" }}'
        for name, slack_id in accounts
    )
    return f"users = [{listed}]"


@pytest.fixture
def desk(tmp_path, database_url, fake_slack):
    slack = "\n".join(
        [
            f'signing_secret = "{SECRET}"',
            f'moderators = ["{BOB}"]',
            'bot_token = "xoxb-test"',
            f'base_url = "{fake_slack.base_url}"',
        ]
    )
    console = 'secret_key = "console-secret-for-tests-long-enough-to-sign"\n' + users(("alice", ALICE), ("bob", BOB))
    path = write_settings(tmp_path, database_url, SURVEY_BRAND, slack=slack, console=console)  # the CLI wants one
    context = jobs.Context(load_settings(path), path)
    with context.sessions.begin() as session:
        brand = session.scalars(select(Brand)).one()  # from the settings' [[brands]]
        trustpilot = Source(brand_id=brand.id, name="trustpilot-fr", kind="trustpilot")
        feed = Source(brand_id=brand.id, name="google-alerts", kind="feed")
        session.add_all([trustpilot, feed])
        session.flush()
        alerts = []
        for number, (kind, status, assignee, alert) in ROWS.items():
            source = feed if kind == MentionKind.POST else trustpilot
            url = f"https://{source.kind}.example/{number}"
            session.add(
                Mention(
                    id=number,
                    source_id=source.id,
                    external_id=str(number),
                    kind=kind,
                    text=f"texte {number}",
                    url=url,
                    rating=1.0 if kind == MentionKind.REVIEW else None,
                    rating_best=5.0 if kind == MentionKind.REVIEW else None,
                    status=status,
                    assignee=assignee,
                    reply_due_at=NOW + timedelta(hours=number) if status == MentionStatus.TO_REPLY else None,
                )
            )
            if alert is not None:
                payload = MentionPayload(mention_id=number, source=source.name, source_kind=source.kind, url=url)
                alerts.append(
                    Alert(
                        brand_id=brand.id,
                        mention_id=number,
                        kind=alert,
                        dedupe_key=f"{alert.value}:mention:{number}",
                        channel="#alerts",
                        payload=payload.to_json(),
                        created_at=NOW - timedelta(minutes=5),
                    )
                )
        session.flush()
        session.add_all(alerts)
    with TestClient(create_app(context)) as client:
        yield client, context
    context.close()


def send(context, fake_slack) -> dict[int, dict]:
    """Each alert alone (group_max 1), as posted to the fake Slack, by mention id."""
    fatigue = Fatigue(cooldown=timedelta(0), timezone=ZoneInfo("Europe/Paris"), group_max=1)
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    send_due(context.sessions, transport, "w", min_interval=0, clock=lambda: NOW, fatigue=fatigue)
    found = {}
    for body in fake_slack.posted():
        message = dict(body)
        if isinstance(message["blocks"], str):
            message["blocks"] = json.loads(message["blocks"])
        for block in message["blocks"]:
            if str(block.get("block_id", "")).startswith("mention:"):
                found[int(block["block_id"].split(":")[1])] = message
    return found


def users_menu(message: dict) -> dict:
    [menu] = [
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["type"] == "users_select"
    ]
    return menu


def pick(client, fake_slack, action_id: str, user: str, clicker: str = BOB) -> str:  # type: ignore[no-untyped-def]
    """Choose `user` in the users menu `action_id`, as Slack reports it; what the message then says."""
    action = {"type": "users_select", "action_id": action_id, "selected_user": user}
    payload = {
        "type": "block_actions",
        "user": {"id": clicker},
        "actions": [{**action, "block_id": "mention:x", "action_ts": f"{time.time():.6f}"}],
        "response_url": fake_slack.base_url + "response",
        "message": {"blocks": []},
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, body),
    }
    assert client.post("/slack/actions", content=body, headers=headers).status_code == 200
    update = [r["body"] for r in fake_slack.requests if r["path"].endswith("/response")][-1]
    check_message(update, mentions=True)
    return update["text"]


def test_an_alert_offers_assign_to_a_teammate_within_block_kit_limits(desk, fake_slack):
    client, context = desk
    messages = send(context, fake_slack)
    for number in (1, 2):  # a review to answer elsewhere, a post
        menu = users_menu(messages[number])
        assert menu["action_id"] == f"assign_to:{number}"  # the mention, since a users menu has no value
        assert menu["placeholder"]["text"] == "Assign to…"
        ids = [e["action_id"] for b in messages[number]["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert "assign_me" in ids  # the one-click case stays
        for block in messages[number]["blocks"]:
            assert len(block.get("elements", [])) <= ELEMENTS_LIMIT
        check_message(messages[number])  # slack_sdk reads the blocks back; 50 blocks at most


def test_a_group_keeps_one_menu_per_line_within_fifty_blocks():
    # A users menu per line would take a block of its own per line: a group of 48 would need 98 blocks. The
    # lines keep their one menu, "Assign to me" in it; each line's console link assigns to anyone.
    items = [
        (n, MentionPayload(mention_id=n, source="trustpilot-fr", source_kind="trustpilot", text="x").to_json())
        for n in range(1, 49)
    ]
    message = build_group_message(AlertKind.REVIEW_TO_ANSWER, "Acme", items)
    check_message(message)
    assert len(message["blocks"]) <= BLOCKS_LIMIT
    assert "users_select" not in json.dumps(message["blocks"])
    lines = [b for b in message["blocks"] if str(b.get("block_id", "")).startswith("item:")]
    assert lines and all(f"{n}:assign_me" in json.dumps(b["accessory"]) for n, b in enumerate(lines, start=1))


def test_assigned_from_slack_is_found_under_the_account_name_in_the_cli_and_the_console(desk, fake_slack):
    client, context = desk
    messages = send(context, fake_slack)
    said = pick(client, fake_slack, users_menu(messages[1])["action_id"], ALICE)
    assert said == f"Assigned to <@{ALICE}> by <@{BOB}>"  # Slack shows both people by name
    assert pick(client, fake_slack, users_menu(messages[2])["action_id"], ZED) == f"Assigned to <@{ZED}> by <@{BOB}>"
    with context.sessions.begin() as session:
        assert session.get(Mention, 1).assignee == "alice"  # her account names her Slack user
        assert session.get(Mention, 2).assignee == f"slack:{ZED}"  # nobody's account: the Slack id, as before
        events = session.execute(
            select(ModerationEvent.mention_id, ModerationEvent.actor).where(ModerationEvent.action == "assign")
        ).all()
    assert sorted(events) == [(1, "slack:bob"), (2, "slack:bob")]  # bob's account names the clicking user

    def listed(*options: str) -> list[str]:
        args = ["queue", "list", "to_reply", *options, "--settings", str(context.settings_path)]
        result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return [line.split()[1] for line in result.output.splitlines() if line.split()[1:2] in (["1"], ["4"], ["5"])]

    # 5 was assigned from Slack as "slack:U0ALICE1" before her account named her Slack user: hers too.
    assert listed("--assignee", "alice") == ["1", "5"]
    assert listed("--assignee", "none") == ["4"]
    output = CliRunner().invoke(
        cli, ["queue", "list", "to_reply", "--settings", str(context.settings_path)], env={"COLUMNS": "200"}
    )
    assert "slack:U0ALICE1" not in output.output and output.output.count("alice") == 2

    console = Console(client, context)
    console.login("alice")
    mine = client.get("/console/queue/to_reply", params={"assignee": "me"}).text
    assert 'href="/console/review/1' in mine and 'href="/console/review/5' in mine
    assert 'href="/console/review/4' not in mine
    assert 'data-label="assignee">alice<' in mine and "slack:U0ALICE1" not in mine
    assert 'value="me" selected' in mine  # the filter shows what it filters on
    nobody = client.get("/console/queue/to_reply", params={"assignee": "none"}).text
    assert 'href="/console/review/4' in nobody and 'href="/console/review/1' not in nobody
    review = client.get("/console/review/4").text  # assigning in the console offers the same names
    assert '<option value="alice">' in review and '<option value="bob">' in review


def test_assigning_from_slack_refuses_as_other_buttons_do(desk, fake_slack):
    client, context = desk
    assert pick(client, fake_slack, "assign_to:3", ALICE) == "not done: mention 3 is replied: nothing left to assign"
    assert pick(client, fake_slack, "assign_to:999", ALICE) == "not done: no mention 999"
    refused = pick(client, fake_slack, "assign_to:1", ALICE, clicker=ZED)
    assert refused == f"<@{ZED}> is not allowed to moderate (ask an admin to add you to [slack] moderators)"
    with context.sessions.begin() as session:
        assert [session.get(Mention, n).assignee for n in (1, 3)] == [None, None]
        assert session.scalars(select(ModerationEvent).where(ModerationEvent.action == "assign")).all() == []


@pytest.mark.parametrize(
    ("accounts", "said"),
    [
        ((("alice", "@alice"),), "slack_id"),  # a name, not an id: would never match a Slack user
        ((("alice", "u0alice1"),), "slack_id"),
        ((("alice", ALICE), ("ali", ALICE)), "slack_id must be unique"),  # whose name would it get?
    ],
)
def test_an_accounts_slack_id_is_checked(tmp_path, accounts, said):
    path = write_settings(tmp_path, "sqlite:///x.db", "", console=users(*accounts))
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert said in str(caught.value)


def test_an_alert_names_its_assignee_as_slack_shows_the_person(desk, fake_slack):
    client, context = desk
    due = NOW + timedelta(hours=5)
    with context.sessions.begin() as session:
        payload = MentionPayload(
            mention_id=5, source="trustpilot-fr", source_kind="trustpilot", reply_due=due.isoformat(), assignee="alice"
        )
        brand = session.scalars(select(Brand)).one()
        session.add(
            Alert(
                brand_id=brand.id,
                mention_id=5,
                kind=AlertKind.REPLY_DUE,
                dedupe_key="reply_due:mention:5",
                channel="#alerts",
                payload=payload.to_json(),
                created_at=NOW,
            )
        )
    jobs.send(context, min_interval=0)  # as the scheduler sends: the accounts from the settings
    reminder = next(
        body
        for body in fake_slack.posted()
        if "mention:5" in json.dumps(body["blocks"])  # type: ignore[index]
    )
    blocks = json.loads(reminder["blocks"]) if isinstance(reminder["blocks"], str) else reminder["blocks"]
    fields = [field["text"] for field in blocks[1]["fields"]]
    assert f"*Assigned to:* <@{ALICE}>" in fields  # her account's Slack user: Slack shows her name
    check_message({**reminder, "blocks": blocks}, mentions=True)


@pytest.mark.parametrize(
    ("assignee", "shown"),
    [
        ("owner@example.org", "*Assigned to:* owner@example.org"),  # a product's owner, no Slack user
        (f"slack:{ZED}", f"*Assigned to:* <@{ZED}>"),  # assigned from Slack to a user no account names
        ("slack:<!channel>", "*Assigned to:* slack:&lt;!channel&gt;"),  # not a user id: text, escaped
    ],
)
def test_an_assignee_without_an_account_is_shown_safely(assignee, shown):
    payload = MentionPayload(mention_id=5, source="trustpilot-fr", source_kind="trustpilot", assignee=assignee)
    message = build_message(AlertKind.REPLY_DUE, "Acme", payload.to_json(), 1)
    assert shown in [field["text"] for field in message["blocks"][1]["fields"]]
    check_message(message, mentions=True)
