"""Slack alerts act on what each mention is (issue 17), end to end on a real database: alerts sent by the real
sender through slack-sdk to the local fake Slack, then every button of what it posted clicked on the app
`veilleur serve` runs (signed as Slack signs), and the database checked for what the button said it does."""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from alerts.fatigue import Fatigue
from alerts.send import send_due
from alerts.transports import SlackTransport
from config.settings import load_settings
from models import (
    Alert,
    AlertKind,
    Brand,
    Mention,
    MentionKind,
    MentionStatus,
    ModerationEvent,
    Publication,
    Source,
    WebhookDelivery,
)
from models.alert_payloads import MentionPayload, Why
from moderation.publishing.feed import feed_entries
from scheduler import jobs
from tests.alerts.slack_checks import check_message
from tests.conftest import write_settings
from tests.support.fake_slack import sign
from web.app import create_app

SECRET = "signing-secret-for-tests"
PUBLIC = "https://veilleur.acme.example"
NOW = datetime(2024, 12, 3, 15, 0, tzinfo=UTC)  # a Tuesday; Paris is UTC+1 (CET)
PARIS = ZoneInfo("Europe/Paris")
TEMPLATES = {
    "moderation.reply_templates.fr": 'excuses = "Bonjour {name}, toutes nos excuses."\nmerci = "Merci {name} !"',
    "moderation.reply_templates.en": 'apology = "Hello {name}, our apologies."',
}

# id: (source, kind, status, consent, rating, language, reply due, alert kind)
ROWS = {
    1: ("survey", MentionKind.REVIEW, MentionStatus.TO_PUBLISH, True, 1.0, "fr", "due", AlertKind.REVIEW_TO_ANSWER),
    2: ("trustpilot", MentionKind.REVIEW, MentionStatus.TO_REPLY, False, 1.0, "fr", "due", AlertKind.REVIEW_TO_ANSWER),
    3: ("feed", MentionKind.POST, MentionStatus.WATCH, False, None, "en", None, AlertKind.NEGATIVE_MENTION),
    4: ("survey", MentionKind.REVIEW, MentionStatus.TO_PUBLISH, True, 2.0, "en", "due", AlertKind.REVIEW_TO_ANSWER),
    5: ("trustpilot", MentionKind.REVIEW, MentionStatus.TO_REPLY, False, 1.0, "fr", "due", AlertKind.REVIEW_TO_ANSWER),
}
DUE = datetime(2024, 12, 3, 13, 0, tzinfo=UTC)  # 14:00 in Paris, an hour before NOW: late


@pytest.fixture
def desk(tmp_path, database_url, fake_slack):
    slack = "\n".join(
        [
            f'signing_secret = "{SECRET}"',
            'moderators = ["U_MOD"]',
            'bot_token = "xoxb-test"',
            f'base_url = "{fake_slack.base_url}"',
        ]
    )
    path = write_settings(tmp_path, database_url, "", slack=slack, serve=f'public_url = "{PUBLIC}"', **TEMPLATES)
    context = jobs.Context(load_settings(path), path)
    with context.sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        sources = {
            "survey": Source(brand_id=brand.id, name="survey", kind="survey", own=True),
            "trustpilot": Source(brand_id=brand.id, name="trustpilot-fr", kind="trustpilot"),
            "feed": Source(brand_id=brand.id, name="google-alerts", kind="feed"),
        }
        session.add_all(sources.values())
        session.flush()
        alerts = []
        for number, (source, kind, status, consent, rating, language, due, alert) in ROWS.items():
            url = None if source == "survey" else f"https://{source}.example/reviews/{number}"
            session.add(
                Mention(
                    id=number,
                    source_id=sources[source].id,
                    external_id=str(number),
                    kind=kind,
                    text=f"texte {number}",
                    url=url,
                    rating=rating,
                    rating_best=5.0 if rating else None,
                    language=language,
                    consent=consent,
                    status=status,
                    reply_due_at=DUE if due else None,
                )
            )
            why = (
                Why(rule="negative_review", reason="rating 0.00 of the scale", score=0.0, threshold=0.5, model="m@1")
                if rating
                else Why(rule="negative_post", reason="model negative 0.96 >= 0.5", score=0.96, threshold=0.5)
            )
            payload = MentionPayload(
                mention_id=number,
                source=sources[source].name,
                source_kind=sources[source].kind,
                url=url,
                text=f"texte {number}",
                rating=rating,
                rating_best=5.0 if rating else None,
                language=language,
                reply_due=DUE.isoformat() if due else None,
                console_url=f"{PUBLIC}/console/review/{number}",
                why=why,
            )
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
        session.flush()  # the mentions before the alerts that refer to them
        session.add_all(alerts)
    with TestClient(create_app(context)) as client:
        client.response_url = fake_slack.base_url + "response"  # type: ignore[attr-defined]
        yield client, context
    context.close()


def send(context, fake_slack, group_max: int) -> list[dict]:
    fatigue = Fatigue(cooldown=timedelta(0), timezone=PARIS, group_max=group_max)
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    send_due(context.sessions, transport, "w", min_interval=0, clock=lambda: NOW, fatigue=fatigue)
    posted = []
    for body in fake_slack.posted():
        message = dict(body)
        if isinstance(message["blocks"], str):
            message["blocks"] = json.loads(message["blocks"])
        check_message(message)
        posted.append(message)
    return posted


def by_mention(posted: list[dict]) -> dict[int, dict]:
    found = {}
    for message in posted:
        for block in message["blocks"]:
            if str(block.get("block_id", "")).startswith("mention:"):
                found[int(block["block_id"].split(":")[1])] = message
    return found


def elements(message: dict) -> list[dict]:
    return [element for block in message["blocks"] if block["type"] == "actions" for element in block["elements"]]


def click(client, action: dict, blocks: list | None = None, user: str = "U_MOD", **more):  # type: ignore[no-untyped-def]
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],  # as Slack: two clicks, two bodies
        "response_url": client.response_url,
        "message": {"blocks": blocks or []},
        **more,
    }
    return signed(client, payload)


def signed(client, payload: dict):  # type: ignore[no-untyped-def]
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, body),
    }
    return client.post("/slack/actions", content=body, headers=headers)


def updates(fake_slack) -> list[dict]:
    """What the app posted to the clicked messages' response_url (the fake Slack's)."""
    return [r["body"] for r in fake_slack.requests if r["path"].endswith("/response")]


def test_each_kind_of_mention_gets_the_buttons_it_can_use(desk, fake_slack):
    client, context = desk
    messages = by_mention(send(context, fake_slack, group_max=1))
    ids = {number: [e["action_id"] for e in elements(message)] for number, message in messages.items()}
    assert ids[1] == ["approve", "reject", "reply", "open_console"]  # own review with consent
    # Assign to a teammate: a users menu carrying the mention in its action_id (issue 17: not only "to me").
    assert ids[2] == ["reply_on_platform", "assign_me", "assign_to:2", "mark_handled", "open_console"]  # Trustpilot
    assert ids[3] == ["assign_me", "assign_to:3", "mark_handled", "open_source", "open_console"]  # a post
    reply_there = next(e for e in elements(messages[2]) if e["action_id"] == "reply_on_platform")
    assert reply_there["url"] == "https://trustpilot.example/reviews/2"
    console = next(e for e in elements(messages[3]) if e["action_id"] == "open_console")
    assert console["url"] == f"{PUBLIC}/console/review/3"


def test_every_button_does_what_it_says(desk, fake_slack):
    client, context = desk
    messages = by_mention(send(context, fake_slack, group_max=1))
    for number in (1, 2, 3):  # an own review, a Trustpilot review, a post
        message = messages[number]
        for element in elements(message):
            action = {"action_id": element["action_id"], "type": element["type"]}
            if element["action_id"] == "reply":
                continue  # a modal: test_reply_from_a_modal_is_stored_and_published_like_the_console
            if "url" in element:
                action["value"] = element.get("value")
            elif element["type"] == "users_select":
                action["selected_user"] = "U0TEAMMATE"
            elif element["type"] == "static_select":
                option = next(o for o in element["options"] if o["value"].endswith(":off_topic"))
                action["selected_option"] = option
            else:
                action["value"] = element["value"]
            if number == 1 and element["action_id"] == "reject":
                continue  # approved just before: rejecting would withdraw it (mention 4 is rejected below)
            assert click(client, action, message["blocks"]).status_code == 200, (number, action)
    reject = next(e for e in elements(messages[4]) if e["action_id"] == "reject")
    spam = next(o for o in reject["options"] if o["value"] == "4:spam")
    assert click(client, {"action_id": "reject", "selected_option": spam}).status_code == 200
    with context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.PUBLISHED
        assert (
            session.scalars(select(Publication.approved_by).where(Publication.mention_id == 1)).one() == "slack:U_MOD"
        )
        rejected = session.get(Mention, 4)
        assert rejected.status == MentionStatus.REJECTED and rejected.rejection_reason == "spam"
        trustpilot = session.get(Mention, 2)
        assert trustpilot.assignee == "slack:U0TEAMMATE"  # assigned to me, then to a teammate
        assert trustpilot.status == MentionStatus.REPLIED and trustpilot.reply_due_at is None  # handled
        post = session.get(Mention, 3)
        # Mark handled on a watched post takes it out of the Flagged queue (workflow.mark_handled dismisses it).
        assert post.assignee == "slack:U0TEAMMATE" and post.status == MentionStatus.DISMISSED
        done = session.execute(
            select(ModerationEvent.mention_id, ModerationEvent.action).where(ModerationEvent.actor == "slack:U_MOD")
        ).all()
    assert sorted(done) == sorted(
        [(1, "approve"), (4, "reject"), (2, "assign"), (2, "assign"), (2, "handled")]
        + [(3, "assign"), (3, "assign"), (3, "dismiss")]
    )
    # A click on a link button is acknowledged (Slack marks it failed otherwise) and changes nothing.
    texts = [message["text"] for message in updates(fake_slack)]
    assert not [text for text in texts if text.startswith("not done")], texts
    assert len(texts) == 8  # one update per action; none for the links


def test_a_grouped_message_can_be_acted_on_line_by_line(desk, fake_slack):
    client, context = desk
    posted = send(context, fake_slack, group_max=10)
    [group] = [message for message in posted if message["text"].startswith("4 negative reviews to answer")]
    lines = {block["block_id"]: block for block in group["blocks"] if block.get("block_id", "").startswith("item:")}
    assert len(lines) == 4
    menus = {}
    for block in lines.values():
        options = block["accessory"]["options"]
        mention = int(options[0]["value"].split(":")[0])
        menus[mention] = {option["value"]: option for option in options}
    assert "1:approve" in menus[1] and "1:reject:off_topic" in menus[1] and "1:reply" in menus[1]
    assert set(menus[2]) == {"2:assign_me", "2:mark_handled"}  # Trustpilot: no approve, no reject
    footer = group["blocks"][-1]
    assert footer["elements"][0]["text"]["text"] == "Open these 4 in the console"
    # Exactly these 4 (the brand's queue could hold more): tests/alerts/test_group_console_link.py for the rest.
    assert footer["elements"][0]["url"] == f"{PUBLIC}/console/queue/to_reply?ids=1,2,4,5"
    trustpilot_line = next(b for b in lines.values() if b["accessory"]["options"][0]["value"].startswith("2:"))
    assert "<https://trustpilot.example/reviews/2|link>" in trustpilot_line["text"]["text"]
    assert f"<{PUBLIC}/console/review/2|console>" in trustpilot_line["text"]["text"]

    for choice in (menus[1]["1:approve"], menus[2]["2:mark_handled"], menus[5]["5:assign_me"]):
        response = click(client, {"action_id": "item", "selected_option": choice}, group["blocks"])
        assert response.status_code == 200
    with context.sessions.begin() as session:
        assert session.get(Mention, 1).status == MentionStatus.PUBLISHED
        assert session.get(Mention, 2).status == MentionStatus.REPLIED
        assert session.get(Mention, 5).assignee == "slack:U_MOD"
        assert session.get(Mention, 4).status == MentionStatus.TO_PUBLISH  # untouched
    said = [message["text"] for message in updates(fake_slack)]
    # "Assigned to <@U_MOD>": whom to, as for a teammate picked in a single message's users menu.
    assert said == [
        "Approved for publication by <@U_MOD>",
        "Marked handled by <@U_MOD>",
        "Assigned to <@U_MOD> by <@U_MOD>",
    ]
    for update in updates(fake_slack):  # the message stays whole, its menus with it, under 50 blocks
        check_message(update, mentions=True)
        assert len([b for b in update["blocks"] if b.get("block_id", "").startswith("item:")]) == 4


def test_deadlines_in_local_time_with_a_late_mark_and_reasons_in_plain_words(desk, fake_slack):
    client, context = desk
    messages = by_mention(send(context, fake_slack, group_max=1))
    fields = [field["text"] for field in messages[2]["blocks"][1]["fields"]]
    assert "*Answer by:* Tue 3 Dec 14:00 CET :red_circle: *late*" in fields
    why = [e["text"] for b in messages[2]["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert why == ["*Why:* rated 1/5 by the author (rule `negative_review`, model `m@1`)"]
    post_why = [e["text"] for b in messages[3]["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert post_why[0].startswith("*Why:* the model reads it as negative: 0.96 (threshold 0.5;")
    assert "vs threshold" not in json.dumps([m["blocks"] for m in messages.values()])


def test_no_late_mark_before_the_deadline():
    from alerts.blocks import build_message
    from alerts.wording import Setting

    payload = MentionPayload(mention_id=2, source="trustpilot", reply_due=DUE.isoformat(), text="x").to_json()
    early = build_message(AlertKind.REVIEW_TO_ANSWER, "Acme", payload, 1, Setting(PARIS, DUE - timedelta(hours=3)))
    assert "*Answer by:* Tue 3 Dec 14:00 CET" in json.dumps(early["blocks"])
    assert "late" not in json.dumps(early["blocks"])
    summer = MentionPayload(mention_id=2, reply_due="2024-07-01T12:00:00+00:00", text="x").to_json()
    shown = build_message(AlertKind.REVIEW_TO_ANSWER, "Acme", summer, 1, Setting(PARIS))
    assert "*Answer by:* Mon 1 Jul 14:00 CEST" in json.dumps(shown["blocks"])


def test_reply_from_a_modal_is_stored_and_published_like_the_console(desk, fake_slack):
    client, context = desk
    messages = by_mention(send(context, fake_slack, group_max=1))
    approve = next(e for e in elements(messages[1]) if e["action_id"] == "approve")
    assert click(client, {"action_id": "approve", "value": approve["value"]}).status_code == 200
    reply = next(e for e in elements(messages[1]) if e["action_id"] == "reply")
    response = click(client, {"action_id": "reply", "value": reply["value"]}, trigger_id="1337.42.abcd")
    assert response.status_code == 200
    [opened] = [r["body"] for r in fake_slack.requests if r["path"].endswith("/views.open")]
    assert opened["trigger_id"] == "1337.42.abcd"
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    options = [o["value"] for b in view["blocks"] if b["block_id"] == "template" for o in b["element"]["options"]]
    assert options == ["excuses", "merci"]  # the review is in French: the French templates

    def submit(template: str | None, text: str, user: str = "U_MOD"):  # type: ignore[no-untyped-def]
        values = {"text": {"text": {"type": "plain_text_input", "value": text}}}
        if template:
            values["template"] = {"template": {"type": "static_select", "selected_option": {"value": template}}}
        state = {**view, "state": {"values": values}}
        return signed(client, {"type": "view_submission", "user": {"id": user}, "view": state})

    empty = submit(None, "  ")
    assert empty.json() == {"response_action": "errors", "errors": {"text": "write a reply or choose a template"}}
    stranger = submit("excuses", "", user="U_STRANGER")
    assert stranger.json()["response_action"] == "errors"
    assert submit("excuses", "").status_code == 200
    with context.sessions.begin() as session:
        mention = session.get(Mention, 1)
        assert mention.reply_text == "Bonjour, toutes nos excuses."  # the template, as the console renders it
        event = session.scalars(select(ModerationEvent).where(ModerationEvent.action == "reply")).one()
        assert event.actor == "slack:U_MOD"
        # Published as a console reply is: the brand's site is told the published review changed.
        events = session.scalars(select(WebhookDelivery.event).where(WebhookDelivery.mention_id == 1)).all()
        assert events == ["published", "updated"]
    with context.sessions() as session:
        feed = feed_entries(session, "acme")  # what /feed/acme.json serves
    assert [item["reply"]["text"] for item in feed if item["reply"]] == ["Bonjour, toutes nos excuses."]
    assert updates(fake_slack)[-1]["text"] == "Reply to #1 saved by <@U_MOD>"
    assert updates(fake_slack)[-1]["replace_original"] is False


def test_the_reply_modal_offers_the_review_language_and_refuses_strangers(desk, fake_slack):
    client, context = desk
    send(context, fake_slack, group_max=1)
    assert click(client, {"action_id": "reply", "value": "4"}, trigger_id="t.1").status_code == 200
    [opened] = [r["body"] for r in fake_slack.requests if r["path"].endswith("/views.open")]
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    options = [o["value"] for b in view["blocks"] if b["block_id"] == "template" for o in b["element"]["options"]]
    assert options == ["apology"]
    assert click(client, {"action_id": "reply", "value": "4"}, user="U_STRANGER", trigger_id="t.2").status_code == 200
    assert len([r for r in fake_slack.requests if r["path"].endswith("/views.open")]) == 1
    assert "not allowed to moderate" in updates(fake_slack)[-1]["text"]
