"""An erasure reaches the messages already posted: each is rewritten from its scrubbed alerts (chat.update on the
local fake Slack, the lines of the local sink), through the outbox, so Slack being down loses no rewrite; a
message Slack cannot let us edit (incoming webhook) fails with the reason, for `veilleur status`."""

from __future__ import annotations

import json

from sqlalchemy import select

from alerts.send import send_due
from alerts.transports import SinkTransport, SlackTransport, WebhookTransport
from models import Alert, AlertKind, MentionStatus
from moderation.privacy import erase_author
from tests.publishing.conftest import add_review
from tests.publishing.test_privacy import traces

NAME = "Denise Jeanne Ragozzino"
DENISE = "Trois semaines d'attente pour un colis jamais arrivé, honteux."
DENISE_AGAIN = "Le service client ne répond jamais, c'est la deuxième fois."
LUC = "Luc trouve la livraison bien trop lente cette semaine."


def alerts_posted(sessions, transport) -> dict[str, int]:
    """Denise's two mentions and Luc's one, each with an alert; the two negative mentions go as one message."""
    with sessions.begin() as session:
        kw = {"source": "trustpilot", "status": MentionStatus.TO_REPLY}
        first = add_review(session, DENISE, title="Colis perdu", **kw)
        second = add_review(session, DENISE_AGAIN, **kw)
        luc = add_review(session, LUC, author="Luc Martin", **kw)
        brand_id = first.source.brand_id
        author = {"display_name": "Denise R.", "handle": first.author.handle[:12], "recent": []}
        rows = [
            (first, AlertKind.REVIEW_TO_ANSWER, {"title": "Colis perdu", "text": DENISE, "author": author}),
            (second, AlertKind.NEGATIVE_MENTION, {"text": DENISE_AGAIN, "source": "trustpilot"}),
            (luc, AlertKind.NEGATIVE_MENTION, {"text": LUC, "source": "trustpilot"}),
        ]
        for mention, kind, payload in rows:
            session.add(
                Alert(
                    brand_id=brand_id,
                    mention_id=mention.id,
                    kind=kind,
                    dedupe_key=f"{kind}:{mention.id}",
                    channel="#alerts",
                    payload={"mention_id": mention.id, **payload},
                )
            )
    result = send_due(sessions, transport, "worker-1", min_interval=0)
    assert (result.sent, result.failed) == (3, 0)
    with sessions.begin() as session:
        return {"rewritten": erase_author(session, name=NAME, actor="cli:dpo").messages_rewritten}


def test_posted_slack_messages_are_rewritten_without_the_person(sessions, fake_slack):
    slack = SlackTransport("xoxb-test", fake_slack.base_url)
    assert alerts_posted(sessions, slack) == {"rewritten": 2}  # the single alert, and the group of two
    posted = fake_slack.posted()
    assert DENISE in json.dumps(posted, ensure_ascii=False)
    fake_slack.script.append((503, {"ok": False, "error": "service_unavailable"}, {}))  # Slack down at first
    first = send_due(sessions, slack, "worker-1", min_interval=0)
    assert first.retrying == 1 and first.sent == 1
    with sessions.begin() as session:  # the retry is due now, not in 30 s
        for alert in session.scalars(select(Alert).where(Alert.kind == AlertKind.REDACTION)):
            alert.next_attempt_at = None
    assert send_due(sessions, slack, "worker-1", min_interval=0).sent == 1
    updates = [r["body"] for r in fake_slack.requests if r["path"].endswith("/chat.update")]
    assert len(updates) == 2
    shown = json.dumps(updates, ensure_ascii=False)
    for needle in (DENISE, DENISE_AGAIN, "Colis perdu", "Denise R."):
        assert needle not in shown
    assert LUC in shown  # the group message keeps the other person's mention
    assert all("the person asked for their data to be erased" in json.dumps(u) for u in updates)
    # Each update names the message Slack answered with when it was first posted.
    first_ts = {f"{n}.000100" for n in range(1, len(posted) + 1)}
    assert {u["channel"] for u in updates} == {"C0FAKE"} and {u["ts"] for u in updates} <= first_ts
    with sessions() as session:
        redactions = session.scalars(select(Alert).where(Alert.kind == AlertKind.REDACTION)).all()
        assert all(r.sent_at is not None and r.failed_at is None for r in redactions)
    assert traces(sessions, [NAME, "Ragozzino", DENISE, DENISE_AGAIN, "Colis perdu"]) == []


def test_the_local_sink_is_rewritten_too(sessions, tmp_path):
    sink = SinkTransport(tmp_path / "slack.jsonl")
    assert alerts_posted(sessions, sink) == {"rewritten": 2}
    with sink.path.open("a", encoding="utf-8") as handle:
        handle.write('{"alert_id": 99, "text": "cut sh')  # a line a crash cut short
    assert send_due(sessions, sink, "worker-1", min_interval=0).sent == 2
    text = sink.path.read_text(encoding="utf-8")
    assert DENISE not in text and DENISE_AGAIN not in text and "Denise" not in text and LUC in text
    assert len(text.splitlines()) == 3  # rewritten in place, not appended; the broken line left as it was


def test_a_message_posted_by_incoming_webhook_cannot_be_rewritten_and_says_so(sessions, fake_slack):
    hook = WebhookTransport(fake_slack.base_url + "hooks/T1")
    assert alerts_posted(sessions, hook) == {"rewritten": 2}
    assert send_due(sessions, hook, "worker-1", min_interval=0).failed == 2
    with sessions() as session:
        errors = session.scalars(select(Alert.last_error).where(Alert.kind == AlertKind.REDACTION)).all()
    assert len(errors) == 2 and all("incoming webhook" in e and "delete it by hand" in e for e in errors)
