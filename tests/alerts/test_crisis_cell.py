"""The crisis cell against the local fake Slack Web API, on a real database: a crisis alert opens one channel
(reused by the brand's next crisis alert while open), invites the team, posts and pins the evidence, offers the
holding statements, keeps a timeline of mentions and actions, closes from the channel's button or the command
line, and its summary goes to the report. Slack down while opening: retried later, opened once."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from alerts import crisis_cell
from alerts.crisis_cell import CellConfig, channel_name, tick
from alerts.transports import SinkTransport, SlackTransport
from config.settings import SettingsError, load_settings
from models import (
    Alert,
    AlertKind,
    Brand,
    CrisisCell,
    CrisisEvent,
    CrisisStep,
    Mention,
    MentionKind,
    MentionStatus,
    Source,
)
from models.alert_payloads import CrisisPayload, TopMention
from moderation import workflow
from reports import csv_export
from reports.build import Options, build_report
from reports.html import render
from scheduler import jobs
from tests.alerts.test_slack_buttons import SECRET, click
from tests.conftest import write_settings
from veilleur.cli import app as cli
from web.app import create_app

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
TEAM = ["U0TEAM1", "U0TEAM2"]
STATEMENTS = {"fr": {"attente": "Nous examinons la situation."}, "en": {"holding": "We are looking into it."}}
CONFIG = CellConfig(TEAM, STATEMENTS)
BRANDS = """
[crisis.holding_statements.fr]
attente = "Nous examinons la situation."

[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "x"
kind = "feed"
urls = ["https://x.example/feed"]
"""
SETTINGS = f'signing_secret = "{SECRET}"\nmoderators = ["U_MOD"]\ncrisis_team = {json.dumps(TEAM)}'


@pytest.fixture
def context(tmp_path, database_url, fake_slack):
    path = write_settings(
        tmp_path,
        database_url,
        BRANDS,
        slack=SETTINGS + f'\nbot_token = "xoxb-test"\nbase_url = "{fake_slack.base_url}"',
    )
    context = jobs.Context(load_settings(path), path)
    yield context
    context.close()


def raise_crisis(context, key: str = "crisis:source:1:1", at: datetime = NOW) -> int:
    """A crisis alert as alerts/crisis_watch.py stores it."""
    payload = CrisisPayload(
        source="x",
        what="mention volume",
        text="42 mentions in 30 minutes, 8x usual",
        count=42,
        expected=5.2,
        ratio=8.1,
        usual_for="Wednesday 14:00-14:30 UTC",
        since=(at - timedelta(minutes=30)).isoformat(),
        top_mentions=[TopMention(text="<!channel> scandale", url="https://x.example/1", reach=120000)],
        negative_share=0.62,
        negative_share_before=0.11,
    )
    with context.sessions.begin() as session:
        brand = session.scalars(select(Brand)).one()
        alert = Alert(
            brand_id=brand.id,
            kind=AlertKind.CRISIS,
            dedupe_key=key,
            channel="#alerts",
            payload=payload.to_json(),
            created_at=at,
        )
        session.add(alert)
        session.flush()
        return alert.id


def add_mention(context, n: int, at: datetime, reach: int | None = None, status=MentionStatus.TO_REPLY) -> int:
    with context.sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        mention = Mention(
            source_id=source.id,
            external_id=str(n),
            kind=MentionKind.POST,
            text=f"mention {n}",
            published_at=at,
            reach=reach,
            status=status,
        )
        session.add(mention)
        session.flush()
        return mention.id


def slack(fake_slack) -> SlackTransport:
    return SlackTransport("xoxb-test", fake_slack.base_url)


def run(context, transport, at: datetime = NOW):  # type: ignore[no-untyped-def]
    return tick(context.sessions, transport, CONFIG, "test-worker", clock=lambda: at)


def the_cell(context) -> CrisisCell:
    with context.sessions.begin() as session:
        cell = session.scalars(select(CrisisCell)).one()
        session.expunge(cell)
        return cell


def test_a_crisis_opens_one_channel_invites_the_team_and_pins_the_evidence(context, fake_slack):
    raise_crisis(context)
    result = run(context, slack(fake_slack))
    assert (result.opened, result.done, result.retrying, result.failed) == (1, 5, 0, 0)
    assert [c["name"] for c in fake_slack.calls("conversations.create")] == [
        f"crisis-acme-{NOW - timedelta(minutes=30):%Y-%m-%d}"
    ]
    assert sorted(c["users"] for c in fake_slack.calls("conversations.invite")) == TEAM
    evidence, statements = [p for p in fake_slack.posted() if p["channel"] == "C0CELL1"]
    blocks = json.dumps(evidence["blocks"])
    assert "8.1x" in blocks and "Wednesday 14:00-14:30 UTC" in blocks and "62%" in blocks and "11%" in blocks
    assert "reach 120,000" in blocks
    assert "&lt;!channel&gt;" in blocks and "<!channel>" not in blocks  # a mention's text pings nobody
    button = evidence["blocks"][-1]["elements"][0]
    assert (button["action_id"], button["value"]) == ("close_crisis", str(the_cell(context).id))
    assert "Nous examinons la situation." in json.dumps(statements["blocks"])
    assert fake_slack.pins == {"C0CELL1": [the_cell(context).evidence_ref.rsplit(":", 1)[-1]]}

    # The same crisis seen again, and a second crisis alert of the brand while the cell is open: one channel.
    raise_crisis(context, key="crisis:topic:1:delivery:1")
    second = run(context, slack(fake_slack), NOW + timedelta(minutes=5))
    assert (second.opened, second.joined) == (0, 1)
    assert len(fake_slack.calls("conversations.create")) == 1
    assert len(fake_slack.calls("conversations.invite")) == 2
    assert "Another crisis alert" in [p for p in fake_slack.posted() if p["channel"] == "C0CELL1"][-1]["text"]


def test_a_channel_of_that_name_already_there_is_reused(context, fake_slack):
    # An earlier attempt created it and its answer was lost (or someone made it by hand): Slack says name_taken.
    name = channel_name("acme", NOW - timedelta(minutes=30))
    fake_slack.channels[name] = "C0CELL7"
    raise_crisis(context)
    run(context, slack(fake_slack))
    assert the_cell(context).channel_id == "C0CELL7"
    assert {p["channel"] for p in fake_slack.posted()} == {"C0CELL7"}


def test_slack_down_while_opening_is_retried_later_and_opens_once(context, fake_slack):
    raise_crisis(context)
    fake_slack.down = (500, {"ok": False, "error": "internal_error"}, {})
    first = run(context, slack(fake_slack))
    assert (first.done, first.retrying) == (0, 1)
    assert the_cell(context).channel_id is None
    fake_slack.down = None
    # Not due yet: the step waits its back-off, and the steps after it wait for it.
    assert run(context, slack(fake_slack), NOW + timedelta(seconds=10)).done == 0
    later = run(context, slack(fake_slack), NOW + timedelta(minutes=1))
    assert (later.done, later.failed) == (5, 0)
    assert len(fake_slack.calls("conversations.create")) == 1
    assert the_cell(context).channel_id == "C0CELL1"
    with context.sessions.begin() as session:
        assert session.scalars(select(CrisisStep.attempts).where(CrisisStep.step == "open_channel")).one() == 2


def test_a_post_whose_answer_was_lost_is_not_posted_twice(context, fake_slack):
    raise_crisis(context)
    run(context, slack(fake_slack))
    posts = len(fake_slack.posted())
    # As if the evidence's answer never came back: still claimed, tried once, its lease over.
    with context.sessions.begin() as session:
        step = session.scalars(select(CrisisStep).where(CrisisStep.step == "post_evidence")).one()
        step.sent_at, step.next_attempt_at = None, NOW
    again = run(context, slack(fake_slack), NOW + timedelta(minutes=6))
    assert again.done == 1
    assert len(fake_slack.posted()) == posts


def test_the_timeline_grows_with_mentions_and_actions(context, fake_slack):
    raise_crisis(context)
    run(context, slack(fake_slack))
    first = add_mention(context, 1, NOW + timedelta(minutes=1), reach=500)
    add_mention(context, 2, NOW + timedelta(minutes=2), reach=90000)
    with context.sessions.begin() as session:
        workflow.reply(session, first, "slack:U0TEAM1", "Nous regardons.")
    result = run(context, slack(fake_slack), NOW + timedelta(minutes=5))
    assert result.timeline == 3
    with context.sessions.begin() as session:
        kinds = session.scalars(select(CrisisEvent.kind).order_by(CrisisEvent.id)).all()
    assert kinds == ["alert", "mention", "mention", "action"]
    update = fake_slack.posted()[-1]
    assert "2 new mention(s), reach 90,500; 1 action(s)" in json.dumps(update["blocks"])
    # Nothing new: no line added, nothing posted.
    posts = len(fake_slack.posted())
    assert run(context, slack(fake_slack), NOW + timedelta(minutes=10)).timeline == 0
    assert len(fake_slack.posted()) == posts


def test_the_timeline_is_posted_at_most_every_timeline_minutes_and_loses_no_line(context, fake_slack):
    # A mention a minute for 25 minutes, the job each minute: an update a minute buried the team's messages.
    paced = replace(CONFIG, timeline_every=timedelta(minutes=10))
    raise_crisis(context)
    tick(context.sessions, slack(fake_slack), paced, "w", clock=lambda: NOW)
    for minute in range(1, 26):
        add_mention(context, minute, NOW + timedelta(minutes=minute))
        at = NOW + timedelta(minutes=minute, seconds=30)
        tick(context.sessions, slack(fake_slack), paced, "w", clock=lambda at=at: at)
    updates = [p for p in fake_slack.posted() if "new mention" in json.dumps(p["blocks"])]
    counts = [int(re.search(r"(\d+) new mention", json.dumps(u["blocks"]))[1]) for u in updates]
    assert counts == [1, 10, 10]  # minutes 1, 11 and 21; minutes 22-25 wait for the next update
    closed = CliRunner().invoke(
        cli, ["crisis", "close", str(the_cell(context).id), "--settings", str(context.settings_path)]
    )
    assert closed.exit_code == 0, closed.output
    tick(context.sessions, slack(fake_slack), paced, "w", clock=lambda: NOW + timedelta(minutes=26))
    updates = [p for p in fake_slack.posted() if "new mention" in json.dumps(p["blocks"])]
    assert int(re.search(r"(\d+) new mention", json.dumps(updates[-1]["blocks"]))[1]) == 4  # posted at close
    assert "Crisis closed" in fake_slack.posted()[-1]["text"]  # after the last lines, not before


def test_close_from_the_channel_button(context, fake_slack):
    raise_crisis(context)
    run(context, slack(fake_slack))
    cell_id = the_cell(context).id
    with TestClient(create_app(context)) as client:
        action = {"action_id": "close_crisis", "value": str(cell_id)}
        assert click(client, action, fake_slack.base_url + "r").status_code == 200
        answered = [r["body"] for r in fake_slack.requests if r["path"].endswith("/r")]
        assert "Crisis closed" in answered[-1]["text"]
        click(client, action, fake_slack.base_url + "r")  # a second click: refused, still closed once
        answered = [r["body"] for r in fake_slack.requests if r["path"].endswith("/r")]
        assert "closed already by slack:U_MOD" in answered[-1]["text"]
    cell = the_cell(context)
    assert cell.closed_by == "slack:U_MOD" and cell.open_brand_id is None
    run(context, slack(fake_slack), NOW + timedelta(minutes=1))
    assert "Crisis closed" in fake_slack.posted()[-1]["text"]
    # Closed: a new crisis of the brand opens a new cell (the day's channel is reused).
    raise_crisis(context, key="crisis:source:1:2")
    assert run(context, slack(fake_slack), NOW + timedelta(minutes=2)).opened == 1


def test_close_from_the_command_line(context, fake_slack):
    raise_crisis(context)
    run(context, slack(fake_slack))
    cell_id = the_cell(context).id
    runner = CliRunner()
    closed = runner.invoke(cli, ["crisis", "close", str(cell_id), "--settings", str(context.settings_path)])
    assert closed.exit_code == 0, closed.output
    assert "closed" in closed.output and "replies 0" in closed.output
    again = runner.invoke(cli, ["crisis", "close", str(cell_id), "--settings", str(context.settings_path)])
    assert again.exit_code == 1 and "closed already by cli" in again.output
    shown = runner.invoke(cli, ["crisis", "show", str(cell_id), "--settings", str(context.settings_path)])
    assert "\tclosed\t" in shown.output and "\talert\t" in shown.output


def test_the_post_crisis_summary_is_in_the_report(context, fake_slack, tmp_path):
    raise_crisis(context)
    run(context, slack(fake_slack))
    mentions = [add_mention(context, n, NOW + timedelta(minutes=n), reach=1000 * n) for n in range(1, 4)]
    with context.sessions.begin() as session:
        workflow.reply(session, mentions[0], "cli:alice", "Nous regardons.")
    run(context, slack(fake_slack), NOW + timedelta(minutes=5))
    with context.sessions.begin() as session:
        crisis_cell.close(session, the_cell(context).id, "cli", NOW + timedelta(hours=2, minutes=5))
        report = build_report(session, "acme", NOW - timedelta(days=1), NOW + timedelta(days=1), Options(topics=[]))
    [summary] = report.crisis_cells
    assert summary.duration == timedelta(hours=2, minutes=5)
    assert (summary.mentions, summary.reach, summary.replies) == (3, 6000, 1)
    assert summary.peak >= 1 and summary.first_reply_after is not None
    html = render(report, "test")
    assert "Crisis cells" in html and "2 h 05 min" in html and "6,000" in html
    assert csv_export.tables(report)["crisis_cells"][1][0][4:6] == [3, summary.peak]


def test_sink_mode_writes_the_channel_steps(context, tmp_path):
    raise_crisis(context)
    sink = tmp_path / "sink.jsonl"
    result = run(context, SinkTransport(sink))
    assert result.failed == 0
    lines = [json.loads(line) for line in sink.read_text().splitlines()]
    steps = [line.get("crisis_step") for line in lines]
    assert steps[:2] == ["conversations.create", "conversations.invite"]
    assert "pins.add" in steps
    assert any("Crisis cell for Acme" in (line.get("text") or "") for line in lines)


def test_channel_names_follow_slacks_rules():
    day = datetime(2026, 11, 25, tzinfo=UTC)
    assert channel_name("Démo Café", day) == "crisis-demo-cafe-2026-11-25"
    long = channel_name("x" * 200, day)
    assert len(long) <= 80 and long.endswith("-2026-11-25") and long == long.lower()


@pytest.mark.parametrize(
    ("section", "body", "named"),
    [
        ("slack", 'crisis_team = ["@alice"]', "crisis_team"),
        ("crisis.holding_statements.FR", 'x = "bonjour"', "holding_statements"),
        ("crisis.holding_statements.fr", 'x = "  "', "holding_statements"),
    ],
)
def test_crisis_settings_are_checked(tmp_path, section, body, named):
    path = write_settings(tmp_path, "sqlite:///x.db", "", **{section: body})
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert named in str(caught.value)
