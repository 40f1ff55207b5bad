"""The alert kinds' registry (models/alert_kinds.py): complete, its payloads stored and read back unchanged, and a
Slack message for every kind that slack_sdk's Block Kit models accept, whatever the crawled text holds."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from alerts.blocks import build_group_message, build_message
from alerts.fatigue import NEVER_HELD
from alerts.mention_actions import LABELS
from alerts.mrkdwn import CUT, SECTION_LIMIT, cap, quote
from alerts.wording import Setting
from models import AlertKind
from models.alert_kinds import ALERT_KINDS, SUBJECT_ACTIONS, Button, FatigueClass, Subject, read_payload
from models.alert_payloads import MentionPayload, Payload

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ("<!channel> & | <https://evil.example|click> &amp; > " * 400)[:20_000]
WHY = {"rule": "negative_review", "reason": "rating 0.00 <!here>", "score": 0.91, "threshold": 0.5, "model": "m@1"}

# Payloads as the code wrote them before the payloads were typed (same keys), one per payload type at least.
STORED: dict[AlertKind, dict] = {
    AlertKind.REVIEW_TO_ANSWER: {
        "mention_id": 7,
        "reply_due": "2026-10-03T00:00:00+00:00",
        "console_url": "https://veilleur.example/console/review/7",
        "source": "trustpilot",
        "source_kind": "trustpilot",
        "url": "https://fr.trustpilot.com/reviews/abc",
        "title": "Colis perdu",
        "text": "Trois semaines d'attente",
        "rating": 1.0,
        "rating_best": 5.0,
        "reach": None,
        "language": "fr",
        "why": {**WHY, "publish_after": None, "held_for_moderator": False, "product_owner": None},
        "author": {
            "display_name": "Denise R.",
            "handle": "a1b2c3d4e5f6",
            "signals": ["5 posts in the last hour"],
            "recent": [
                {"source": "x", "at": "2026-10-02T10:00:00+00:00", "status": "watch", "text": "encore", "url": None}
            ],
        },
    },
    AlertKind.REPLY_DUE: {
        "mention_id": 7,
        "source": "trustpilot",
        "url": "https://fr.trustpilot.com/reviews/abc",
        "title": None,
        "text": "Trois semaines d'attente",
        "rating": 2.0,
        "rating_best": 5.0,
        "reply_due": "2026-10-03T00:00:00+00:00",
        "assignee": None,
        "why": {"rule": "reply_late", "reason": "reply late since 2026-10-03T00:00+00:00"},
    },
    AlertKind.CRISIS: {
        "source": "trustpilot",
        "source_kind": "trustpilot",
        "what": "mention volume",
        "text": "12 mentions in 30 min, expected 2.0",
        "count": 12,
        "expected": 2.0,
        "since": "2026-11-25T11:00:00+00:00",
        "top_mentions": [{"text": "colis", "url": "https://x.example/1", "rating": 1.0}],
        "why": {"rule": "crisis", "reason": "12 mentions in 30 min, expected 2.0"},
    },
    AlertKind.SOURCE_UNHEALTHY: {
        "source": "acme/shop",
        "text": "HTTP 403 on every page",
        "why": {"rule": "source_health", "reason": "HTTP 403 on every page"},
    },
    AlertKind.DIGEST: {
        "text": "3 alerts held back (quiet hours or cooldown)",
        "counts": {"review_to_answer": 3},
        "items": [{"source": "shop", "text": "avis", "rating": 1.0}, {"mention_id": 8, "erased": True}],
        "why": {"rule": "digest", "reason": "held alerts"},
    },
    AlertKind.REPORT: {"files": ["/var/reports/acme.html"], "text": "Acme, week 47: 120 mentions"},
    AlertKind.REDACTION: {"delivery_ref": "C123:1700000000.000100"},
}
STORED[AlertKind.NEGATIVE_MENTION] = {**STORED[AlertKind.REVIEW_TO_ANSWER], "reach": 12300, "source_kind": "mastodon"}
STORED[AlertKind.ABUSE] = STORED[AlertKind.NEGATIVE_MENTION]
STORED[AlertKind.SPIKE] = {
    **STORED[AlertKind.CRISIS],
    "ratio": 6.0,
    "usual_for": "Wednesday 11:00-11:30 UTC",
    "negative_share": 0.4,
    "negative_share_before": 0.1,
    "top_mentions": [{"text": "colis", "url": "https://x.example/1", "rating": None, "reach": 90000}],
}
STORED[AlertKind.THREAT] = STORED[AlertKind.REVIEW_TO_ANSWER]


def hostile(kind: AlertKind) -> dict:
    """The kind's payload with every crawled text replaced by 20,000 characters of mrkdwn control characters."""
    payload = json.loads(json.dumps(STORED[kind]))
    for key in ("text", "title"):
        if key in payload:
            payload[key] = HOSTILE
    for nested in payload.get("top_mentions", []) + payload.get("items", []):
        nested["text"] = HOSTILE
    if "author" in payload:
        payload["author"]["display_name"] = HOSTILE[:200]
        payload["author"]["recent"][0]["text"] = HOSTILE
    if "why" in payload:
        payload["why"]["reason"] = HOSTILE
    return payload


def test_every_kind_has_every_entry_field():
    assert set(ALERT_KINDS) == set(AlertKind)
    for kind, entry in ALERT_KINDS.items():
        assert entry.title.startswith(":") and " " in entry.title, kind  # an emoji, then words
        assert entry.plural and entry.plural != kind.value, kind
        assert all(isinstance(button, Button) for button in entry.buttons), kind
        assert isinstance(entry.fatigue, FatigueClass), kind
        assert issubclass(entry.payload, Payload), kind


def test_grouped_kinds_are_about_one_mention():
    # Groups and digests summarise their alerts as mentions (alerts/blocks.py); buttons act on a mention.
    for kind, entry in ALERT_KINDS.items():
        if entry.fatigue == FatigueClass.GROUPED or entry.buttons:
            assert entry.payload is MentionPayload, kind
    assert NEVER_HELD == {kind for kind, e in ALERT_KINDS.items() if e.fatigue == FatigueClass.NEVER_HELD}
    assert {AlertKind.CRISIS, AlertKind.SOURCE_UNHEALTHY, AlertKind.DIGEST} <= NEVER_HELD


@pytest.mark.parametrize("kind", list(AlertKind))
def test_a_stored_payload_reads_back_with_the_same_keys(kind):
    stored = STORED[kind]
    typed = read_payload(kind, stored)
    assert isinstance(typed, ALERT_KINDS[kind].payload)
    assert typed.to_json() == stored  # nothing added (no nulls for keys never written), nothing lost
    again = type(typed).from_json(json.loads(json.dumps(typed.to_json())))
    assert again == typed


def test_an_optional_key_left_out_stays_out():
    assert MentionPayload(text="x").to_json() == {"text": "x"}
    assert MentionPayload(text="x", title=None).to_json() == {"text": "x", "title": None}
    assert read_payload(AlertKind.NEGATIVE_MENTION, {"mention_id": 3, "erased": True}).erased


def _sections(blocks: list[dict]) -> list[str]:
    texts = [block["text"]["text"] for block in blocks if block["type"] == "section" and "text" in block]
    texts += [element["text"] for block in blocks if block["type"] == "context" for element in block["elements"]]
    return texts


def assert_valid(message: dict) -> None:
    blocks = message["blocks"]
    assert 0 < len(blocks) <= 50
    # slack_sdk's models read the JSON back and validate it again (lengths, counts, urls).
    assert [block.to_dict() for block in Block.parse_all(blocks)] == blocks
    dumped = json.dumps(blocks)
    assert "<!channel>" not in dumped and "<https://evil" not in dumped  # escaped: no ping, no link of theirs
    for text in _sections(blocks):
        assert len(text) <= SECTION_LIMIT
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), "an entity cut in half"


@pytest.mark.parametrize("kind", [kind for kind in AlertKind if kind != AlertKind.REPORT])
def test_a_message_for_every_kind_passes_block_kit_validation_with_hostile_text(kind):
    for payload in (STORED[kind], hostile(kind)):
        message = build_message(kind, "Acme & <Co>", payload, 42)
        assert_valid(message)
        if kind != AlertKind.REDACTION:  # a removal notice replaces a posted message: it needs no finding again
            assert message["metadata"]["event_payload"]["alert_id"] == 42


def test_a_report_is_files_and_their_comment():
    message = build_message(AlertKind.REPORT, "Acme", STORED[AlertKind.REPORT], 1)
    assert message == {"text": "Acme, week 47: 120 mentions", "files": ["/var/reports/acme.html"]}


@pytest.mark.parametrize("kind", [kind for kind, e in ALERT_KINDS.items() if e.fatigue == FatigueClass.GROUPED])
def test_a_group_of_many_hostile_alerts_stays_within_slack_limits(kind):
    message = build_group_message(kind, "Acme", [(i, hostile(kind)) for i in range(1, 61)])
    assert_valid(message)
    assert message["text"] == f"60 {ALERT_KINDS[kind].plural} (Acme)"


def test_buttons_follow_the_registry_and_the_subject():
    def action_ids(kind: AlertKind, subject: str | None = None) -> list[str]:
        setting = Setting(subjects={7: subject} if subject else {})
        blocks = build_message(kind, "Acme", STORED[kind], 1, setting)["blocks"]
        return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]

    # Before issue 17 a Trustpilot review offered approve and reject, which can only fail (no consent).
    elsewhere = ["reply_on_platform", "assign_me", "assign_to:7", "mark_handled"]
    assert action_ids(AlertKind.REVIEW_TO_ANSWER) == [*elsewhere, "open_console"]
    assert action_ids(AlertKind.REVIEW_TO_ANSWER, "own_review") == ["approve", "reject", "reply", "open_console"]
    assert action_ids(AlertKind.NEGATIVE_MENTION, "post") == [
        "assign_me",
        "assign_to:7",
        "mark_handled",
        "open_source",
        "open_console",
    ]
    assert action_ids(AlertKind.NEGATIVE_MENTION) == [
        "assign_me",
        "assign_to:7",
        "mark_handled",
        "open_source",
        "open_console",
    ]
    assert action_ids(AlertKind.REPLY_DUE) == elsewhere  # a reminder carries no console link
    assert action_ids(AlertKind.CRISIS) == []
    too_long = {**STORED[AlertKind.ABUSE], "url": "https://x.example/" + "a" * 3000}
    blocks = build_message(AlertKind.ABUSE, "Acme", too_long, 1)["blocks"]
    assert "open_source" not in json.dumps(blocks)  # Slack refuses a button url over 3,000 characters


def test_every_subject_has_actions_and_every_button_a_label():
    for subject in Subject:
        assert SUBJECT_ACTIONS[subject], subject
    assert set(LABELS) == set(Button)


def test_quote_cuts_where_the_escaped_text_fits():
    assert quote("Colis perdu\nRemboursé") == "> Colis perdu\n> Remboursé"  # unchanged when it fits
    assert quote("a" * 3000) == "> " + "a" * 2500 + CUT  # the first 2,500 characters, as before
    cut = quote("<" * 20_000)
    assert len(cut) <= SECTION_LIMIT and cut.endswith(CUT) and cut.startswith("> &lt;&lt;")
    lines = quote("\n" * 20_000 + "x")
    assert len(lines) <= SECTION_LIMIT and lines.endswith(CUT)
    assert cap("a" * 2998 + "&amp;") == "a" * 2998
    assert cap("a" * 2995 + "&amp;") == "a" * 2995 + "&amp;"


def _kinds_raised(path: Path) -> set[str]:
    """AlertKind members given as `kind=` or `alert=` to a call, or as the "kind" of a row inserted from a dict
    (models/claims.py insert_once): an alert (or a decision to raise one) made."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        values = []
        if isinstance(node, ast.keyword) and node.arg in ("kind", "alert"):
            values.append(node.value)
        elif isinstance(node, ast.Dict):
            values += [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "kind"
            ]
        for value in values:
            for inner in ast.walk(value):
                if isinstance(inner, ast.Attribute) and getattr(inner.value, "id", None) == "AlertKind":
                    found.add(inner.attr)
    return found


def test_every_kind_is_raised_somewhere():
    # A kind nobody raises is dead code: remove it from the registry (the column is a plain string).
    packages = [p.parent for p in ROOT.glob("*/__init__.py") if p.parent.name not in ("tests", "models")]
    raised = set().union(*(_kinds_raised(path) for package in packages for path in package.rglob("*.py")))
    assert {kind.name for kind in AlertKind} - raised == set()
