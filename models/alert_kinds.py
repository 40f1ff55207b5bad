"""Alert kinds: one entry each, read by every part that handles alerts.

An entry is the code stored in `alert.kind`, the title and plural Slack shows (alerts/blocks.py), the buttons its
message may offer, how fatigue control treats it (alerts/fatigue.py), the console queue that holds its mentions
and the type of its payload (models/alert_payloads.py). Which of those buttons a message shows depends on what
the mention is (`Subject`: the brand's own review, a review elsewhere, a post): `SUBJECT_ACTIONS` says, since a
Trustpilot review cannot be approved by us and a post has nobody to answer in Veilleur.

Adding a kind is one member, one entry (and its test and docs line), plus the job that raises it;
a stored code must never be renamed (the column is a plain string: no migration either way).
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
    SPIKE = "spike"  # a short burst of mentions that did not persist: the daily digest shows it, no message alone
    DIGEST = "digest"
    REDACTION = "redaction"  # a message already posted, rewritten without a person's data after an erasure
    REPORT = "report"  # the weekly report's files, uploaded with their summary
    THREAT = "threat"  # a threat or hate (moderation/threats.py): always reaches a human, rejected or not


class Button(enum.StrEnum):
    """What a message lets a moderator do: the value is the Slack action_id (web/slack.py answers the clicks;
    the links need no answer)."""

    APPROVE = "approve"
    REJECT = "reject"  # with a reason from models/reasons.py
    REPLY = "reply"  # a modal with the language's templates; stored and published as a console reply
    REPLY_ON_PLATFORM = "reply_on_platform"  # a link to the review where it was written
    ASSIGN = "assign_me"
    # A teammate picked in a users menu; its action_id is "assign_to:MENTION_ID" (a menu has no value to carry it).
    ASSIGN_TO = "assign_to"
    MARK_HANDLED = "mark_handled"
    OPEN_SOURCE = "open_source"
    OPEN_CONSOLE = "open_console"


LINKS = frozenset({Button.REPLY_ON_PLATFORM, Button.OPEN_SOURCE, Button.OPEN_CONSOLE})  # urls: nothing to answer


class Subject(enum.StrEnum):
    """What an alert is about, which decides what can be done with it."""

    OWN_REVIEW = "own_review"  # from the brand's own pages or survey, with consent: Veilleur publishes it
    REVIEW = "review"  # on another platform (Trustpilot, Google...), or own without consent: answered there
    POST = "post"  # a mention in a feed, a forum, a social network


SUBJECT_ACTIONS: dict[Subject, tuple[Button, ...]] = {
    Subject.OWN_REVIEW: (Button.APPROVE, Button.REJECT, Button.REPLY, Button.OPEN_CONSOLE),
    Subject.REVIEW: (
        Button.REPLY_ON_PLATFORM,
        Button.ASSIGN,
        Button.ASSIGN_TO,
        Button.MARK_HANDLED,
        Button.OPEN_CONSOLE,
    ),
    Subject.POST: (Button.ASSIGN, Button.ASSIGN_TO, Button.MARK_HANDLED, Button.OPEN_SOURCE, Button.OPEN_CONSOLE),
}


class FatigueClass(enum.StrEnum):
    # Grouped with the brand's others of its kind due together; held in quiet hours and after a message of its
    # kind (the cooldown), then summarised in a digest.
    GROUPED = "grouped"
    # Sent alone and at once: rare, urgent, or with a cooldown of its own.
    NEVER_HELD = "never_held"
    # Never sent alone, never pings: held until the brand's daily digest lists it.
    DIGEST_ONLY = "digest_only"


@dataclass(frozen=True)
class KindEntry:
    title: str  # Slack's header; its first word is the emoji a group's header keeps
    plural: str  # "3 negative mentions": groups and digests
    buttons: tuple[Button, ...]  # what its messages may offer; each mention's subject picks among them
    fatigue: FatigueClass
    payload: type[Payload]
    queue: str = ""  # the console queue (moderation/queues.py) a group's "open these in the console" leads to
    about: Subject | None = None  # what its mentions always are, when the kind says (the database says first)

    def actions(self, subject: Subject) -> tuple[Button, ...]:
        """The buttons a message of this kind about this subject shows, in the subject's order."""
        return tuple(button for button in SUBJECT_ACTIONS[subject] if button in self.buttons)


_MENTION_BUTTONS = tuple(Button)

ALERT_KINDS: dict[AlertKind, KindEntry] = {
    AlertKind.NEGATIVE_MENTION: KindEntry(
        title=":warning: Negative mention",
        plural="negative mentions",
        buttons=_MENTION_BUTTONS,
        fatigue=FatigueClass.GROUPED,
        payload=MentionPayload,
        queue="flagged",
        about=Subject.POST,  # raised for posts only (moderation/policy.py)
    ),
    AlertKind.ABUSE: KindEntry(
        title=":no_entry: Abusive post",
        plural="abusive posts",
        buttons=_MENTION_BUTTONS,
        fatigue=FatigueClass.GROUPED,
        payload=MentionPayload,
        queue="flagged",
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
        queue="to_reply",
    ),
    # A reminder carries no console link (moderation/deadlines.py).
    AlertKind.REPLY_DUE: KindEntry(
        title=":alarm_clock: Reply due",
        plural="replies due",
        buttons=tuple(button for button in Button if button != Button.OPEN_CONSOLE),
        fatigue=FatigueClass.GROUPED,
        payload=MentionPayload,
        queue="to_reply",
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
    # A crisis tier below the crisis (alerts/crisis.py): worth seeing, not worth waking anyone.
    AlertKind.SPIKE: KindEntry(
        title=":chart_with_upwards_trend: Spike",
        plural="spikes",
        buttons=(),
        fatigue=FatigueClass.DIGEST_ONLY,
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
