"""Build Slack messages (Block Kit, with slack_sdk's models) from an alert's stored payload. Pure: no I/O,
tested on its JSON. Titles, plurals and buttons come from the kinds' registry (models/alert_kinds.py).

slack_sdk checks Slack's limits as each block becomes JSON and raises rather than let Slack refuse the message;
every text from outside (crawled, stored, or from settings) goes through alerts/mrkdwn.py where it is put in the
message: escaped, then cut to fit those limits, and a url becomes a link only when it is a safe http(s) url. So a
long or hostile text can neither ping, nor show a link of its own, nor make Slack refuse the alert.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from alerts.mention_actions import Element, buttons, console_queue_url, item_links, item_menu
from alerts.mrkdwn import (
    FALLBACK_LIMIT,
    FIELD_LIMIT,
    SECTION_LIMIT,
    SHORT_LIMIT,
    cap,
    escape,
    link,
    quote,
    short,
)
from alerts.wording import Setting, answer_by, plain_reason
from config.sources import reach_unit
from models import AlertKind
from models.alert_kinds import ALERT_KINDS, Button, read_payload
from models.alert_payloads import (
    CrisisPayload,
    DigestPayload,
    MentionPayload,
    QuotedPayload,
    RedactionPayload,
    ReportPayload,
    Why,
)

ERASED = "removed: the person asked for their data to be erased"
HEADER_LIMIT = 150  # Slack's limits: characters in a header, blocks in a message
BLOCKS_LIMIT = 50
_SUMMARY_LIMIT = 280  # characters of each text in a group or digest
_POST_LIMIT = 120  # characters of each recent post of an author


def _header(escaped: str, emoji: bool | None = None) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=cap(escaped, HEADER_LIMIT), emoji=emoji))


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=cap(text)))


def _message(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks[:BLOCKS_LIMIT]]


def _metadata(alert_id: int, **more: Any) -> dict[str, Any]:
    # Lets a restarted sender find out whether Slack already has this alert (see alerts/send.py).
    return {"event_type": "veilleur_alert", "event_payload": {"alert_id": alert_id, **more}}


def build_message(
    kind: AlertKind, brand: str, payload: dict[str, Any], alert_id: int, setting: Setting | None = None
) -> dict[str, Any]:
    """The keyword arguments of chat.postMessage, minus the channel; for a report, its files and their comment.
    `setting`: the time zone and the time it is read at, and what the mention is (alerts/send.py)."""
    setting = setting or Setting()
    facts = read_payload(kind, payload)
    if isinstance(facts, DigestPayload):
        return build_digest_message(brand, facts, alert_id)
    if isinstance(facts, ReportPayload):  # files to upload, the summary (mrkdwn of our own) as their comment
        return {"text": cap(escape(facts.text)), "files": list(facts.files)}
    if facts.erased or isinstance(facts, RedactionPayload):
        text = f"Alert #{alert_id} ({short(brand)}) {ERASED}."
        return {"text": text, "blocks": _message([_section(text)])}
    assert isinstance(facts, QuotedPayload)  # a mention, a crisis or a source
    title = f"{ALERT_KINDS[kind].title} · {short(brand)}"
    blocks: list[Block] = [_header(title, emoji=True), SectionBlock(fields=_fields(facts, setting))]
    body = facts.text or ""
    if isinstance(facts, MentionPayload) and facts.title:
        body = f"{facts.title}\n{body}"
    if body:
        blocks.append(_section(quote(body)))
    if isinstance(facts, CrisisPayload):
        for mention in facts.top_mentions[:3]:
            source = link(mention.url, "source")
            source = f"\n{source}" if source else ""
            blocks.append(_section(quote(mention.text or "", SECTION_LIMIT - len(source)) + source))
    if isinstance(facts, MentionPayload) and facts.author:
        blocks.append(_section(_author_lines(facts)))
    why = facts.why
    if why is not None and why.model_fields_set:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cap(_why_line(facts, why)))]))
    if isinstance(facts, MentionPayload):
        actions = buttons(kind, facts, setting)
        if actions:
            blocks.append(ActionsBlock(block_id=f"mention:{facts.mention_id or 0}", elements=actions))
    return {
        "text": short(f"{ALERT_KINDS[kind].title} ({brand}): {body}", FALLBACK_LIMIT),
        "blocks": _message(blocks),
        "metadata": _metadata(alert_id),
        "unfurl_links": False,
    }


def _given(facts: BaseModel, name: str, absent: str) -> str:
    # A key stored as null reads "None", one never stored reads `absent`: as before the payloads were typed.
    return str(getattr(facts, name)) if name in facts.model_fields_set else absent


def _why_line(facts: QuotedPayload, why: Why) -> str:
    """'*Why:* rated 1/5 by the author (rule `negative_review`, model `m@1`)': the reason in plain words first,
    the rule and model after it for whoever checks the router."""
    model = short(_given(why, "model", ""))
    if isinstance(facts, MentionPayload):
        reason = plain_reason(facts, why)
    else:
        reason = short(_given(why, "reason", ""), FIELD_LIMIT)
    threshold = f"threshold {why.threshold:g}; " if why.threshold is not None and "model reads" in reason else ""
    return f"*Why:* {reason} ({threshold}rule `{short(str(why.rule))}`, model `{model}`)"


def _fields(facts: QuotedPayload, setting: Setting) -> list[MarkdownTextObject]:
    fields = [f"*Source:* {short(_given(facts, 'source', '?'))}"]
    if isinstance(facts, CrisisPayload) and facts.topic:
        fields.append(f"*Topic:* {short(facts.topic)}")
    if isinstance(facts, MentionPayload):
        if facts.rating is not None:
            fields.append(f"*Rating:* {facts.rating:g}/{facts.rating_best or 5:g}")
        if facts.reach is not None:  # how far a post went: the first question about a negative one
            unit = reach_unit(str(facts.source_kind))
            fields.append(f"*Reach:* {facts.reach:,} {unit}".rstrip())
        if facts.language:
            fields.append(f"*Language:* {short(facts.language)}")
        due = answer_by(facts, setting)
        if due:
            fields.append(f"*Answer by:* {due}")
        if facts.assignee:  # whose it is; a Slack user (an account's, or "slack:U…") as Slack shows the person
            slack_id = setting.people.slack_id(facts.assignee)
            fields.append(f"*Assigned to:* {f'<@{slack_id}>' if slack_id else short(facts.assignee)}")
    return [MarkdownTextObject(text=cap(field, FIELD_LIMIT)) for field in fields]


def _author_lines(facts: MentionPayload) -> str:
    author = facts.author
    assert author is not None
    lines = [f"*Author:* {short(str(author.display_name or '?'))} (`{short(str(author.handle))}`)"]
    lines += [f":mag: {short(signal)}" for signal in author.signals]
    for post in author.recent[:3]:
        lines.append(
            f"• {short(post.source)} {short(post.at[:16])} ({short(post.status)}): {short(post.text, _POST_LIMIT)}"
        )
    return "\n".join(lines)


def moderation_buttons(mention_id: int) -> list[Element]:
    """An own review's buttons (approve, reject with a reason, reply): what a moderator can do with a mention."""
    facts = MentionPayload(mention_id=mention_id)
    return buttons(AlertKind.REVIEW_TO_ANSWER, facts, Setting(subjects={mention_id: "own_review"}))


def _summary_line(facts: MentionPayload, links: list[str] | None = None, due: str | None = None) -> str:
    if facts.erased:
        return f"_{ERASED}_"
    rating = f" {facts.rating:g}/{facts.rating_best or 5:g}" if facts.rating is not None else ""
    body = (f"{facts.title}. " if facts.title else "") + (facts.text or "")
    shown = body if len(body) <= _SUMMARY_LIMIT else body[:_SUMMARY_LIMIT] + " …"
    if links is None:
        links = [text for text in [link(facts.url, "link")] if text]
    answer = f" · answer by {due}" if due else ""
    head = f"*{short(_given(facts, 'source', '?'))}*{rating}{answer}{''.join(' ' + text for text in links)}\n"
    return head + quote(shown, SECTION_LIMIT - len(head))


def _mention(kind: AlertKind, payload: dict[str, Any]) -> MentionPayload:
    facts = read_payload(kind, payload)
    assert isinstance(facts, MentionPayload)  # only alerts about one mention are grouped (tests/alerts/test_kinds.py)
    return facts


def _item(kind: AlertKind, alert_id: int, facts: MentionPayload, setting: Setting) -> SectionBlock:
    """One line of a group: the source, the rating, the deadline, its links, the text; its actions as a menu."""
    text = _summary_line(facts, item_links(kind, facts, setting), answer_by(facts, setting))
    menu = None if facts.erased else item_menu(kind, facts, setting)
    return SectionBlock(block_id=f"item:{alert_id}", text=MarkdownTextObject(text=cap(text)), accessory=menu)


def build_group_message(
    kind: AlertKind, brand: str, items: list[tuple[int, dict[str, Any]]], setting: Setting | None = None
) -> dict[str, Any]:
    """Several alerts of one kind for one brand, due together, as one message (alert fatigue): a line per alert
    with its own actions, and a link to them in the console."""
    setting = setting or Setting()
    entry = ALERT_KINDS[kind]
    title = f"{entry.title.split(' ', 1)[0]} {len(items)} {entry.plural} · {short(brand)}"
    mentions = [(alert_id, _mention(kind, payload)) for alert_id, payload in items]
    lines: list[Block] = [_item(kind, alert_id, facts, setting) for alert_id, facts in mentions]
    console = console_queue_url(kind, [facts for _, facts in mentions], setting.brand_slug)
    footer: list[Block] = []
    if console:
        url, exact = console
        # Not exact: too many to name in a link, so the brand's whole queue; the label says it holds more.
        label = f"Open these {len(items)} in the console" if exact else "Open the brand's queue (too many to link)"
        element = ButtonElement(text=PlainTextObject(text=label), action_id=Button.OPEN_CONSOLE.value, url=url)
        footer = [ActionsBlock(block_id="group", elements=[element])]
    room = BLOCKS_LIMIT - 1 - len(footer)  # under the header, above the link
    if len(lines) > room:  # more than one message holds (a large [slack] group_max): none goes unmentioned
        rest = len(lines) - (room - 1)
        more = f"_… and {rest} more {entry.plural}: see the console._"
        lines = [*lines[: room - 1], _section(more)]
    return {
        "text": short(f"{len(items)} {entry.plural} ({brand})", FALLBACK_LIMIT),
        "blocks": _message([_header(title), *lines, *footer]),
        "metadata": _metadata(items[0][0], alert_ids=[i for i, _ in items]),
        "unfurl_links": False,
    }


def _plural(kind: str) -> str:
    # A kind this version does not know (a row written by a newer one) is shown by its code, not a crash.
    known = {member.value: member for member in AlertKind}
    return ALERT_KINDS[known[kind]].plural if kind in known else short(kind)


def build_digest_message(brand: str, facts: DigestPayload, alert_id: int) -> dict[str, Any]:
    counts = ", ".join(f"{count} {_plural(kind)}" for kind, count in facts.counts.items())
    tail = cap(f"\n{counts}", SHORT_LIMIT * 10) if counts else ""
    blocks: list[Block] = [_header(f"{ALERT_KINDS[AlertKind.DIGEST].title} · {short(brand)}")]
    summary = cap(escape(facts.text), SECTION_LIMIT - len(tail)) + tail
    if summary.strip():  # Slack refuses a section without text
        blocks.append(_section(summary))
    blocks += [_section(_summary_line(item)) for item in facts.items[:20]]
    return {
        "text": short(f"Digest ({brand}): {facts.text}", FALLBACK_LIMIT),
        "blocks": _message(blocks),
        "unfurl_links": False,
        "metadata": _metadata(alert_id),
    }
