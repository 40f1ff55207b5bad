"""What an alert says, typed: the payloads stored as JSON in `alert.payload`, one type per family of kinds
(models/alert_kinds.py says which kind carries which).

Rows already stored must stay readable, so the keys are the ones written before these types existed, a key
read with a default before keeps its default, and no field may be renamed. `to_json` writes the keys that were
given and only those: an optional key left out stays absent (not null), as it always was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class _Stored(BaseModel):
    # Unknown keys are ignored, not refused: a row written by another version must not stop the sender.
    model_config = ConfigDict(extra="ignore", frozen=True)

    def to_json(self) -> dict[str, Any]:
        """For `Alert(payload=...)`: the keys given, in JSON types."""
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls.model_validate(data)


class Why(_Stored):
    """Why it was raised: the rule that matched and, for a model's flag, its score, threshold and version."""

    rule: str | None = None
    reason: str | None = None
    score: float | None = None
    threshold: float | None = None
    model: str | None = None  # "name@version"
    # The routing decision's other details (moderation/jobs.py), kept with the alert for the record.
    publish_after: str | None = None
    held_for_moderator: bool | None = None
    product_owner: str | None = None


class RecentPost(_Stored):
    source: str
    at: str  # ISO 8601
    status: str
    text: str
    url: str | None = None


class AuthorView(_Stored):
    """Who is speaking: the minimised name, the pseudonymous handle, troll signals and recent posts."""

    display_name: str | None = None
    handle: str | None = None
    signals: list[str] = []
    recent: list[RecentPost] = []


class TopMention(_Stored):
    text: str | None = None
    url: str | None = None
    rating: float | None = None
    reach: int | None = None  # followers, points, score or likes, where the source gives one


class Payload(_Stored):
    # An erasure (moderation/privacy.py) leaves this flag and, for a mention, its id: the message says so.
    erased: bool = False


class QuotedPayload(Payload):
    """What a message about one thing quotes: where it came from, its text, why it was raised."""

    source: str | None = None
    source_kind: str | None = None  # the spider's name: what `reach` counts
    text: str | None = None
    why: Why | None = None


class MentionPayload(QuotedPayload):
    """A negative mention, an abusive post, a review to answer, a reply due: one mention."""

    mention_id: int | None = None
    url: str | None = None
    title: str | None = None
    rating: float | None = None
    rating_best: float | None = None
    reach: int | None = None
    language: str | None = None
    reply_due: str | None = None  # ISO 8601, UTC
    assignee: str | None = None
    console_url: str | None = None
    author: AuthorView | None = None


class CrisisPayload(QuotedPayload):
    """A crisis or a spike of mentions, or a rise of the negative share, on a source or a topic
    (alerts/crisis_watch.py). What a community manager reads in five seconds: `what` rose, `ratio` times what is
    usual for `usual_for` (this hour and weekday), `since` when, the mentions that reached most people, and the
    negative share then and before."""

    topic: str | None = None
    what: str | None = None  # "mention volume" or "negative share"
    count: int | None = None
    expected: float | None = None
    since: str | None = None  # ISO 8601
    top_mentions: list[TopMention] = []
    ratio: float | None = None  # count / expected
    usual_for: str | None = None  # "Wednesday 14:00-14:30 UTC": what the expected count is usual for
    negative_share: float | None = None  # 0-1, among classified mentions since `since`
    negative_share_before: float | None = None  # 0-1, the days before


class SourcePayload(QuotedPayload):
    """A source whose crawls fail: `source` is "brand/source", `text` the health reason."""


class DigestPayload(Payload):
    """Alerts held back by fatigue control, summarised; and the daily summary."""

    text: str
    counts: dict[str, int]  # alert kind -> how many held
    items: list[MentionPayload]  # copies of the held alerts' payloads, at most 20
    why: Why | None = None


class ReportPayload(Payload):
    """The weekly report: files to upload, the summary as their comment."""

    files: list[str]
    text: str


class RedactionPayload(Payload):
    """A message already posted, to post again from its alerts' scrubbed payloads (alerts/send.py)."""

    delivery_ref: str


def erased_mention(mention_id: int | None) -> dict[str, Any]:
    """All that is kept of an alert about an erased person's mention."""
    return MentionPayload(mention_id=mention_id, erased=True).to_json()
