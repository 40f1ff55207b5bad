"""Slack text injection (issue 15, family 2): every field from outside, in every kind of message, is escaped
where the message is built, a url is a link only when it is a safe http(s) url, and the message stays within
Block Kit's limits after escaping. A property-based test builds every kind from hostile payloads; the others
pin each case the testers found, and a message goes through slack-sdk to the local fake Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.blocks import build_group_message, build_message
from alerts.fatigue import Fatigue
from alerts.mrkdwn import FALLBACK_LIMIT, SHORT_LIMIT, link, link_url
from alerts.send import send_due
from alerts.transports import SinkTransport, SlackTransport, WebhookTransport
from config.sources import KINDS
from models import Alert, AlertKind, Brand
from models.alert_kinds import ALERT_KINDS, FatigueClass
from models.alert_payloads import (
    AuthorView,
    CrisisPayload,
    DigestPayload,
    MentionPayload,
    RecentPost,
    RedactionPayload,
    ReportPayload,
    SourcePayload,
    TopMention,
    Why,
)
from models.db import make_engine, make_session_factory, upgrade
from tests.alerts.slack_checks import check_message, check_mrkdwn

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PIECES = [
    "<!here>",
    "<!channel>",
    "<!subteam^S123>",
    "<@U123>",
    "<#C123>",
    "<http://x|fake>",
    "<https://evil.example|Open source>",
    "&",
    "&amp;",
    "&lt;",
    "|",
    "<",
    ">",
    "> ",
    "\n",
    "\r\n",
    "\x00",
    "\x1b[31m",
    "\x85",
    "\u2028",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",
    "😀",
    "👍🏽",
    "*",
    "`",
    ":fire:",
    "https://",
]
_piece = st.one_of(st.sampled_from(PIECES), st.text(max_size=12))
# Texts made of hostile pieces, now and then repeated into a very long one.
TEXT = st.builds(
    lambda parts, times: "".join(parts) * times, st.lists(_piece, max_size=6), st.sampled_from([1, 1, 1, 40, 900])
)
URL = st.one_of(
    st.none(),
    TEXT,
    st.builds(lambda path: "https://shop.example/" + path, TEXT),
    st.sampled_from(
        [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "data:text/html,<script>",
            "https://a.example/r|fake label",
            "https://a.example/r?x=<!here>",
            "https://a.example/?a=1&b=2",
            "https://bank.example@evil.example/",
            "https://a.example/" + "|" * 1900,
            "https://a.example/" + "&" * 1900,
        ]
    ),
)
NUMBER = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
OPTIONAL = st.one_of(st.none(), TEXT)
WHY = st.builds(Why, rule=OPTIONAL, reason=OPTIONAL, score=NUMBER, threshold=NUMBER, model=OPTIONAL)
AUTHOR = st.builds(
    AuthorView,
    display_name=OPTIONAL,
    handle=OPTIONAL,
    signals=st.lists(TEXT, max_size=3),
    recent=st.lists(st.builds(RecentPost, source=TEXT, at=TEXT, status=TEXT, text=TEXT, url=URL), max_size=4),
)
SOURCE_KIND = st.one_of(st.none(), st.sampled_from(sorted(KINDS)), TEXT)
MENTION = st.builds(
    MentionPayload,
    erased=st.booleans().map(lambda erased: erased and False),  # erased ones are drawn apart, below
    mention_id=st.one_of(st.none(), st.integers(1, 2**40)),
    source=OPTIONAL,
    source_kind=SOURCE_KIND,
    text=OPTIONAL,
    why=st.one_of(st.none(), WHY),
    url=URL,
    title=OPTIONAL,
    rating=NUMBER,
    rating_best=NUMBER,
    reach=st.one_of(st.none(), st.integers(0, 10**15)),
    language=OPTIONAL,
    reply_due=OPTIONAL,
    assignee=OPTIONAL,
    console_url=URL,
    author=st.one_of(st.none(), AUTHOR),
)
ERASED = st.builds(MentionPayload, erased=st.just(True), mention_id=st.one_of(st.none(), st.integers(1, 2**40)))
CRISIS = st.builds(
    CrisisPayload,
    source=OPTIONAL,
    source_kind=SOURCE_KIND,
    text=OPTIONAL,
    why=st.one_of(st.none(), WHY),
    topic=OPTIONAL,
    what=OPTIONAL,
    count=st.one_of(st.none(), st.integers(0, 10**9)),
    expected=NUMBER,
    since=OPTIONAL,
    top_mentions=st.lists(
        st.builds(TopMention, text=OPTIONAL, url=URL, rating=NUMBER, reach=st.one_of(st.none(), st.integers(0, 10**9))),
        max_size=5,
    ),
    ratio=NUMBER,
    usual_for=OPTIONAL,
    negative_share=NUMBER,
    negative_share_before=NUMBER,
)
SOURCE = st.builds(SourcePayload, source=OPTIONAL, text=OPTIONAL, why=st.one_of(st.none(), WHY))
DIGEST = st.builds(
    DigestPayload,
    text=TEXT,
    counts=st.dictionaries(st.one_of(st.sampled_from([k.value for k in AlertKind]), TEXT), st.integers(0, 10**6)),
    items=st.lists(st.one_of(MENTION, ERASED), max_size=25),
    why=st.one_of(st.none(), WHY),
)
REDACTION = st.builds(RedactionPayload, delivery_ref=TEXT, erased=st.booleans())
PAYLOADS = {
    AlertKind.NEGATIVE_MENTION: st.one_of(MENTION, ERASED),
    AlertKind.ABUSE: st.one_of(MENTION, ERASED),
    AlertKind.THREAT: st.one_of(MENTION, ERASED),
    AlertKind.REVIEW_TO_ANSWER: st.one_of(MENTION, ERASED),
    AlertKind.REPLY_DUE: st.one_of(MENTION, ERASED),
    AlertKind.SOURCE_UNHEALTHY: SOURCE,
    AlertKind.CRISIS: CRISIS,
    AlertKind.SPIKE: CRISIS,
    AlertKind.DIGEST: DIGEST,
    AlertKind.REDACTION: REDACTION,
}
GROUPED = [kind for kind, entry in ALERT_KINDS.items() if entry.fatigue == FatigueClass.GROUPED]
FUZZ = settings(
    derandomize=True,
    max_examples=300,
    deadline=None,  # no timing assertions: a slow shared machine must not fail it
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_every_kind_that_becomes_blocks_is_fuzzed():
    assert set(PAYLOADS) == set(AlertKind) - {AlertKind.REPORT}  # a report is files and a comment (below)


@FUZZ
@given(st.sampled_from(list(PAYLOADS)).flatmap(lambda kind: st.tuples(st.just(kind), PAYLOADS[kind])), TEXT)
def test_every_kind_built_from_hostile_payloads_is_escaped_and_within_slack_limits(kind_and_payload, brand):
    kind, payload = kind_and_payload
    message = build_message(kind, brand, json.loads(json.dumps(payload.to_json())), 42)
    check_message(message)


@FUZZ
@given(st.sampled_from(GROUPED), st.lists(st.one_of(MENTION, ERASED), min_size=2, max_size=60), TEXT)
def test_a_group_of_hostile_alerts_is_escaped_and_within_slack_limits(kind, payloads, brand):
    items = [(n, payload.to_json()) for n, payload in enumerate(payloads, start=1)]
    check_message(build_group_message(kind, brand, items))


@FUZZ
@given(st.builds(ReportPayload, files=st.lists(TEXT, max_size=3), text=TEXT))
def test_a_report_comment_from_hostile_text_is_escaped(payload):
    message = build_message(AlertKind.REPORT, "Acme", payload.to_json(), 1)
    check_mrkdwn(message["text"])
    assert len(message["text"]) <= 3000


def _blocks_text(message: dict) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_the_digest_header_escapes_the_brand():
    payload = DigestPayload(text="3 alerts held back", counts={"abuse": 3}, items=[]).to_json()
    message = build_message(AlertKind.DIGEST, "<!here> & <!channel>", payload, 1)
    header = message["blocks"][0]["text"]["text"]
    assert header == ":newspaper: Digest · &lt;!here&gt; &amp; &lt;!channel&gt;"
    assert "<!" not in message["text"]


def test_a_url_with_a_bar_cannot_bring_its_own_label():
    url = "https://shop.example/r|Cliquez ici <!here>"
    group = build_group_message(AlertKind.ABUSE, "Acme", [(1, {"url": url}), (2, {"url": url})])
    summary = group["blocks"][1]["text"]["text"]
    assert "Cliquez" not in summary and "|link>" not in summary  # a blank inside: not a url to link to at all
    tidy = "https://shop.example/r|fake?a=1&b=<2>"
    group = build_group_message(AlertKind.ABUSE, "Acme", [(1, {"url": tidy}), (2, {"url": tidy})])
    assert "<https://shop.example/r%7Cfake?a=1&amp;b=%3C2%3E|link>" in group["blocks"][1]["text"]["text"]
    crisis = build_message(AlertKind.CRISIS, "Acme", {"top_mentions": [{"text": "x", "url": tidy}]}, 1)
    assert "<https://shop.example/r%7Cfake?a=1&amp;b=%3C2%3E|source>" in _blocks_text(crisis)
    assert link(tidy, "a <label>") == "<https://shop.example/r%7Cfake?a=1&amp;b=%3C2%3E|a &lt;label&gt;>"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "https://bank.example@evil.example/"]
)
def test_only_a_safe_http_url_becomes_a_link_or_a_button(url):
    payload = {"mention_id": 7, "url": url, "console_url": url, "text": "avis"}
    blocks = _blocks_text(build_message(AlertKind.REVIEW_TO_ANSWER, "Acme", payload, 1))
    assert "open_source" not in blocks and "open_console" not in blocks and url.strip() not in blocks
    group = build_group_message(AlertKind.ABUSE, "Acme", [(1, payload), (2, payload)])
    assert "|link>" not in _blocks_text(group)
    crisis = build_message(AlertKind.CRISIS, "Acme", {"top_mentions": [{"text": "x", "url": url}]}, 1)
    assert "|source>" not in _blocks_text(crisis)
    assert link_url(url) is None and link_url("https://shop.example/avis/7") == "https://shop.example/avis/7"


def test_the_language_and_every_short_field_are_escaped_and_capped():
    payload = {
        "mention_id": 7,
        "source": "<!channel>" * 500,
        "language": "<!here>" + "x" * 10_000,
        "reply_due": "<!here>T<@U1>",
        "text": "avis",
        "why": {"rule": "<!here>", "reason": "r", "model": "<!channel>"},
        "author": {"display_name": "<!here>", "handle": "<!channel>", "recent": []},
    }
    message = build_message(AlertKind.REVIEW_TO_ANSWER, "Acme", payload, 1)
    check_message(message)
    fields = [field["text"] for field in message["blocks"][1]["fields"]]
    language = next(field for field in fields if field.startswith("*Language:*"))
    assert language.startswith("*Language:* &lt;!here&gt;xxx") and len(language) <= len("*Language:* ") + SHORT_LIMIT
    assert all(len(field.partition(":* ")[2].removesuffix(" UTC")) <= SHORT_LIMIT for field in fields)
    assert "*Answer by:* &lt;!here&gt; &lt;@U1&gt; UTC" in fields


@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_the_fallback_text_is_escaped_short_and_says_what_happened(kind):
    hostile = "<!channel> colis perdu\n<@U1> & <http://x|y> " * 500
    payloads = {
        AlertKind.SOURCE_UNHEALTHY: {"source": hostile, "text": hostile},
        AlertKind.CRISIS: {"source": hostile, "text": hostile},
        AlertKind.SPIKE: {"source": hostile, "text": hostile},
        AlertKind.DIGEST: {"text": hostile, "counts": {}, "items": []},
        AlertKind.REDACTION: {"delivery_ref": "slack:C1:1"},
    }
    message = build_message(kind, hostile, payloads.get(kind, {"title": hostile, "text": hostile}), 1)
    text = message["text"]
    check_mrkdwn(text)
    assert len(text) <= FALLBACK_LIMIT and "\n" not in text
    if kind != AlertKind.REDACTION:
        assert text.startswith(ALERT_KINDS[kind].title if kind != AlertKind.DIGEST else "Digest")
    group = build_group_message(AlertKind.ABUSE, hostile, [(1, {}), (2, {})])["text"]
    check_mrkdwn(group)
    assert group.startswith("2 abusive posts (&lt;!channel&gt; colis perdu") and len(group) <= FALLBACK_LIMIT


def test_a_report_comment_is_escaped():
    payload = ReportPayload(files=["/r/a.pdf"], text="*Acme <!here>* report\n• Colis & retours").to_json()
    message = build_message(AlertKind.REPORT, "Acme", payload, 1)
    assert message["text"] == "*Acme &lt;!here&gt;* report\n• Colis &amp; retours"


def test_a_group_larger_than_a_message_mentions_every_alert():
    # [slack] group_max has no upper bound: 60 alerts cannot each have a section in a 50-block message.
    message = build_group_message(AlertKind.ABUSE, "Acme", [(n, {"text": f"post {n}"}) for n in range(1, 61)])
    check_message(message)
    assert len(message["blocks"]) == 50
    assert "post 48" in message["blocks"][48]["text"]["text"]
    assert "12 more abusive posts" in message["blocks"][49]["text"]["text"]
    assert message["metadata"]["event_payload"]["alert_ids"] == list(range(1, 61))


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


HOSTILE_MENTION = {
    "mention_id": 9,
    "source": "shop <!channel>",
    "source_kind": "schema_org",
    "language": "<!here>",
    "title": "<http://evil.example|Approved by moderation>",
    "text": ("<!channel> & " * 400) + "fin",
    "url": "https://shop.example/avis/9|fake",
    "console_url": "https://veilleur.example/console/review/9",
    "rating": 1.0,
    "author": {"display_name": "<@U0ADMIN>", "handle": "h1", "recent": []},
    "why": {"rule": "negative", "reason": "<!here>", "score": 0.9, "threshold": 0.5, "model": "m@1"},
}


def test_a_hostile_alert_reaches_slack_escaped_through_slack_sdk(sessions, fake_slack):
    with sessions.begin() as session:
        brand = Brand(slug="acme", name="Acme <!channel>")
        session.add(brand)
        session.flush()
        session.add(
            Alert(
                brand_id=brand.id,
                kind=AlertKind.NEGATIVE_MENTION,
                dedupe_key="k",
                channel="#alerts",
                payload=HOSTILE_MENTION,
            )
        )
    transport = SlackTransport("xoxb-test", fake_slack.base_url)
    once = Fatigue(cooldown=timedelta(0), group_max=1)
    assert send_due(sessions, transport, "w1", min_interval=0, clock=lambda: NOW, fatigue=once).sent == 1
    (body,) = fake_slack.posted()
    check_message(body)
    blocks = body["blocks"] if isinstance(body["blocks"], list) else json.loads(body["blocks"])
    assert blocks[0]["text"]["text"] == ":warning: Negative mention · Acme &lt;!channel&gt;"
    buttons = {e["action_id"]: e.get("url") for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert buttons["open_source"] == "https://shop.example/avis/9%7Cfake"  # one place, no label of its own
    assert "&lt;!here&gt;" in json.dumps(blocks) and "&lt;http://evil.example|Approved" in json.dumps(blocks)
    assert body["text"].startswith(":warning: Negative mention (Acme &lt;!channel&gt;): &lt;http://evil.example")


def test_the_webhook_sends_a_report_with_its_file_names_escaped(fake_slack):
    payload = ReportPayload(files=["/r/<!channel>.pdf"], text="*Acme* & co").to_json()
    message = build_message(AlertKind.REPORT, "Acme", payload, 1)
    WebhookTransport(fake_slack.base_url + "webhook").deliver("#alerts", message, 1)
    (request,) = fake_slack.requests
    assert request["body"]["text"] == "*Acme* &amp; co\nFiles: /r/&lt;!channel&gt;.pdf"


def test_the_sink_writes_the_escaped_message(tmp_path: Path):
    sink = SinkTransport(tmp_path / "slack.jsonl")
    sink.deliver("#alerts", build_message(AlertKind.NEGATIVE_MENTION, "Acme", HOSTILE_MENTION, 3), 3)
    written = json.loads((tmp_path / "slack.jsonl").read_text(encoding="utf-8"))
    check_message(written)
