"""Alert kinds: one entry each, read by every part that handles alerts.

An entry is the code stored in `alert.kind`, the title and plural Slack shows (alerts/blocks.py), the buttons its
message offers, how fatigue control treats it (alerts/fatigue.py) and the type of its payload
(models/alert_payloads.py). Adding a kind is one member, one entry (and its test and docs line), plus the job
that raises it; a stored code must never be renamed (the column is a plain string: no migration either way).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from models.alert_payloads import (
    CrisisPayload,
    DigestPayload,
    MentionPayload,
    Payload,
    RedactionPayload,
    ReportPayload,
    SourcePayload,
)


class AlertKind(enum.StrEnum):
    NEGATIVE_MENTION = "negative_mention"
    ABUSE = "abuse"
    REVIEW_TO_ANSWER = "review_to_answer"
    REPLY_DUE = "reply_due"  # a reply's SLA is near or past
    SOURCE_UNHEALTHY = "source_unhealthy"
    CRISIS = "crisis"
    DIGEST = "digest"
    REDACTION = "redaction"  # a message already posted, rewritten without a person's data after an erasure
    REPORT = "report"  # the weekly report's files, uploaded with their summary
    THREAT = "threat"  # a threat or hate (moderation/threats.py): always reaches a human, rejected or not


class Button(enum.StrEnum):
    """What a message lets a moderator do (web/slack.py answers the clicks)."""

    MODERATE = "moderate"  # approve, reject with a reason, assign to me, mark handled
    OPEN_SOURCE = "open_source"
    OPEN_CONSOLE = "open_console"


class FatigueClass(enum.StrEnum):
    # Grouped with the brand's others of its kind due together; held in quiet hours and after a message of its
    # kind (the cooldown), then summarised in a digest.
    GROUPED = "grouped"
    # Sent alone and at once: rare, urgent, or with a cooldown of its own.
    NEVER_HELD = "never_held"


@dataclass(frozen=True)
class KindEntry:
    title: str  # Slack's header; its first word is the emoji a group's header keeps
    plural: str  # "3 negative mentions": groups and digests
    buttons: tuple[Button, ...]
    fatigue: FatigueClass
    payload: type[Payload]


_MENTION_BUTTONS = (Button.MODERATE, Button.OPEN_SOURCE, Button.OPEN_CONSOLE)

ALERT_KINDS: dict[AlertKind, KindEntry] = {
    AlertKind.NEGATIVE_MENTION: KindEntry(
        title=":warning: Negative mention",
        plural="negative mentions",
        buttons=_MENTION_BUTTONS,
        fatigue=FatigueClass.GROUPED,
        payload=MentionPayload,
    ),
    AlertKind.ABUSE: KindEntry(
        title=":no_entry: Abusive post",
        plural="abusive posts",
        buttons=_MENTION_BUTTONS,
        fatigue=FatigueClass.GROUPED,
        payload=MentionPayload,
    ),
    # Never held: a threat at 3 a.m. is for the person on call now, not for the morning digest, and it is rare.
    AlertKind.THREAT: KindEntry(
        title=":sos: Threat or hate",
        plural="threats or hate",
        buttons=_MENTION_BUTTONS,
        fatigue=FatigueClass.NEVER_HELD,
        payload=MentionPayload,
    ),
    AlertKind.REVIEW_TO_ANSWER: KindEntry(
        title=":speech_balloon: Negative review to answer",
        plural="negative reviews to answer",
        buttons=_MENTION_BUTTONS,
        fatigue=FatigueClass.GROUPED,
        payload=MentionPayload,
    ),
    # A reminder carries no console link (moderation/deadlines.py).
    AlertKind.REPLY_DUE: KindEntry(
        title=":alarm_clock: Reply due",
        plural="replies due",
        buttons=(Button.MODERATE, Button.OPEN_SOURCE),
        fatigue=FatigueClass.GROUPED,
        payload=MentionPayload,
    ),
    AlertKind.SOURCE_UNHEALTHY: KindEntry(
        title=":rotating_light: Source unhealthy",
        plural="unhealthy sources",
        buttons=(),
        fatigue=FatigueClass.NEVER_HELD,
        payload=SourcePayload,
    ),
    AlertKind.CRISIS: KindEntry(
        title=":fire: Crisis",
        plural="crises",
        buttons=(),
        fatigue=FatigueClass.NEVER_HELD,
        payload=CrisisPayload,
    ),
    AlertKind.DIGEST: KindEntry(
        title=":newspaper: Digest",
        plural="digests",
        buttons=(),
        fatigue=FatigueClass.NEVER_HELD,
        payload=DigestPayload,
    ),
    # Never shown: the message is the one it rewrites (alerts/send.py).
    AlertKind.REDACTION: KindEntry(
        title=":wastebasket: Message rewritten",
        plural="messages rewritten",
        buttons=(),
        fatigue=FatigueClass.NEVER_HELD,
        payload=RedactionPayload,
    ),
    # Never shown: files, with the summary as their comment.
    AlertKind.REPORT: KindEntry(
        title=":bar_chart: Weekly report",
        plural="weekly reports",
        buttons=(),
        fatigue=FatigueClass.NEVER_HELD,
        payload=ReportPayload,
    ),
}


def read_payload(kind: AlertKind, stored: dict[str, Any]) -> Payload:
    """A stored `alert.payload`, as the type its kind carries."""
    return ALERT_KINDS[kind].payload.from_json(stored)
