"""What an alert says in words a community manager reads at a glance: why it was raised, by when to answer
(in the team's time zone, `[slack] timezone`) and whether that is already past. Pure; the results are text of
our own, escaped where a part came from outside."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from alerts.mrkdwn import FIELD_LIMIT, short
from config.people import People
from models.alert_payloads import MentionPayload, Why

# The router's rules (moderation/policy.py) whose score is the abuse model's, not the sentiment's.
_ABUSE_RULES = {"abusive_post", "abusive_third_party_review"}
# Rules whose polarity came from the author's rating when there was one (moderation/policy.py `polarity`).
_RATED_RULES = {"negative_review", "own_review_with_consent", "negative_post", "troll_signals"}
LATE = ":red_circle: *late*"


@dataclass(frozen=True)
class Setting:
    """Where and when a message is read: the time zone its times are shown in, now (None: no late mark), and
    what each mention is (what its buttons can do), as the database said when the message was built."""

    timezone: tzinfo = UTC
    now: datetime | None = None
    subjects: dict[int, str] = field(default_factory=dict)  # mention id -> Subject, as the database says
    brand_slug: str = ""  # a group's console link filters the queue on it
    people: People = field(default_factory=People)  # an assignee's Slack user, shown as a mention


def local_time(iso: str, timezone: tzinfo) -> str | None:
    """'2024-12-03T13:00:00+00:00' in Europe/Paris -> 'Tue 3 Dec 14:00 CET'; None when it is not a date."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:  # stored in UTC (models: every timestamp is)
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(timezone)
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname() or ''}".rstrip()


def is_late(iso: str | None, now: datetime | None) -> bool:
    if not iso or now is None:
        return False
    try:
        due = datetime.fromisoformat(iso)
    except ValueError:
        return False
    return (due if due.tzinfo else due.replace(tzinfo=UTC)) < now


def answer_by(facts: MentionPayload, setting: Setting) -> str | None:
    """'answer by Tue 3 Dec 14:00 CET', with the late mark when that is past."""
    if not facts.reply_due:
        return None
    shown = local_time(facts.reply_due, setting.timezone)
    # Not a date (a row written by hand, say): shown as it was, escaped, as before time zones.
    when = short(shown) if shown else f"{short(facts.reply_due[:16].replace('T', ' '))} UTC"
    return f"{when} {LATE}" if is_late(facts.reply_due, setting.now) else when


def plain_reason(facts: MentionPayload, why: Why) -> str:
    """Why it was flagged, as a person says it: 'rated 1/5 by the author', 'the model reads it as negative:
    0.96'. The router's own sentence (escaped) for the rules that are not about a rating or a score."""
    rule = str(why.rule or "")
    if rule in _ABUSE_RULES and why.score is not None:
        return f"the model reads it as abusive: {why.score:.2f}"
    if rule in _RATED_RULES:
        if facts.rating is not None:
            said = f"rated {facts.rating:g}/{facts.rating_best or 5:g} by the author"
        elif why.score is not None and rule != "troll_signals":  # there the score is the abuse model's
            said = f"the model reads it as negative: {why.score:.2f}"
        else:
            said = "negative"
        if rule == "troll_signals" and facts.author is not None and facts.author.signals:
            said += "; the author: " + ", ".join(short(signal) for signal in facts.author.signals)
        return said
    return short(str(why.reason or ""), FIELD_LIMIT)
