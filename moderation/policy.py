"""Routing policy: pure functions from what a mention is and what the model said, to where it goes.

DESIGN.md rule 1: sentiment routes replies and alerts; it never decides publication. An own review with
consent goes to the publishing queue whatever its sentiment, on the same path and with the same delays; a
negative one also needs a reply (`needs_reply`), shown beside it once written.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import AlertKind, MentionStatus, RejectionReason
from moderation.classifier.base import Prediction
from moderation.trolls import AuthorSignals


@dataclass(frozen=True)
class Thresholds:
    negative: float
    toxic: float
    spam: float


@dataclass(frozen=True)
class MentionFacts:
    kind: str  # "review" or "post"
    own_source: bool  # the brand collected it itself (survey, own site): it may be published
    consent: bool  # the author agreed to publication
    rating_normalised: float | None  # 0-1 on the source's own scale
    author: AuthorSignals = AuthorSignals()  # bursts, duplicates, rejected history
    rating: str | None = None  # as the author gave it, "2/5": what a moderator reads in the reason


@dataclass(frozen=True)
class Decision:
    status: MentionStatus
    rule: str
    reason: str
    score: float | None = None
    threshold: float | None = None
    rejection: RejectionReason | None = None
    alert: AlertKind | None = None
    needs_reply: bool = False  # the reply queue, with its SLA; independent of the publication state


def polarity(facts: MentionFacts, prediction: Prediction, thresholds: Thresholds) -> tuple[str, str, float]:
    """(polarity, why, score). The author's own rating wins over the model when there is one."""
    rating = facts.rating_normalised
    if rating is not None:
        label = "negative" if rating <= 0.25 else "positive" if rating >= 0.75 else "neutral"
        # "rated 2/5", not "rating 0.25 of the scale": a 1-star review read as if it were under a threshold.
        return label, f"rated {facts.rating}" if facts.rating else f"rated {rating:.0%} of the scale", rating
    negative = prediction.sentiment.get("negative", 0.0)
    if negative >= thresholds.negative:
        return "negative", f"model negative {negative:.2f} >= {thresholds.negative}", negative
    return prediction.polarity, f"model {prediction.polarity}", prediction.sentiment.get(prediction.polarity, 0.0)


def decide(facts: MentionFacts, prediction: Prediction, thresholds: Thresholds) -> Decision:
    if prediction.spam >= thresholds.spam:
        return Decision(
            MentionStatus.REJECTED,
            "spam",
            f"spam score {prediction.spam:.2f} >= {thresholds.spam}",
            prediction.spam,
            thresholds.spam,
            rejection=RejectionReason.SPAM,
        )
    if prediction.toxic >= thresholds.toxic:
        why = f"abuse score {prediction.toxic:.2f} >= {thresholds.toxic}"
        if facts.kind == "post":
            # A hostile public post cannot be rejected by us: a community manager must see it.
            return Decision(
                MentionStatus.WATCH, "abusive_post", why, prediction.toxic, thresholds.toxic, alert=AlertKind.ABUSE
            )
        if not facts.own_source:
            # Nor can a review on another platform: the brand may report it there, and must see it either way.
            return Decision(
                MentionStatus.WATCH,
                "abusive_third_party_review",
                why,
                prediction.toxic,
                thresholds.toxic,
                alert=AlertKind.ABUSE,
            )
        return Decision(
            MentionStatus.REJECTED,
            "abusive_review",
            why,
            prediction.toxic,
            thresholds.toxic,
            rejection=RejectionReason.ABUSIVE,
        )
    label, why, score = polarity(facts, prediction, thresholds)
    if facts.kind == "post":
        signals = facts.author.reasons()
        if signals and label == "negative":
            # A hostile campaign often stays under the abuse threshold post by post; the author's pattern shows it.
            return Decision(
                MentionStatus.WATCH,
                "troll_signals",
                f"{why}; author: {', '.join(signals)}",
                prediction.toxic,
                thresholds.toxic,
                alert=AlertKind.ABUSE,
            )
        if label == "negative":
            return Decision(
                MentionStatus.WATCH,
                "negative_post",
                why,
                score,
                thresholds.negative,
                alert=AlertKind.NEGATIVE_MENTION,
            )
        return Decision(MentionStatus.WATCH, "post", f"{label} mention ({why})", score)
    negative = label == "negative"
    if facts.own_source and facts.consent:
        return Decision(
            MentionStatus.TO_PUBLISH,
            "own_review_with_consent",
            f"{label} review ({why})",
            score,
            thresholds.negative if negative else None,
            alert=AlertKind.REVIEW_TO_ANSWER if negative else None,
            needs_reply=negative,
        )
    if negative:
        return Decision(
            MentionStatus.TO_REPLY,
            "negative_review",
            why,
            score,
            thresholds.negative,
            alert=AlertKind.REVIEW_TO_ANSWER,
            needs_reply=True,
        )
    if facts.own_source:
        return Decision(MentionStatus.WATCH, "own_review_without_consent", "no publication consent", score)
    return Decision(MentionStatus.WATCH, "third_party_review", f"{label} review on another platform ({why})", score)
