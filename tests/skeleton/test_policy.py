"""The routing policy as a table: (what the mention is, what the model said) -> where it goes."""

from __future__ import annotations

import pytest

from models import AlertKind, MentionStatus, RejectionReason
from moderation.classifier.base import Prediction
from moderation.policy import MentionFacts, Thresholds, decide

T = Thresholds(negative=0.5, toxic=0.5, spam=0.5)
POSITIVE = Prediction({"negative": 0.05, "neutral": 0.15, "positive": 0.8}, 4.6, 0.02, 0.01)
NEGATIVE = Prediction({"negative": 0.8, "neutral": 0.15, "positive": 0.05}, 1.5, 0.1, 0.01)
TOXIC = Prediction({"negative": 0.8, "neutral": 0.15, "positive": 0.05}, 1.2, 0.9, 0.01)
SPAM = Prediction({"negative": 0.1, "neutral": 0.8, "positive": 0.1}, 3.0, 0.05, 0.95)

OWN = MentionFacts("review", own_source=True, consent=True, rating_normalised=None)
OWN_NO_CONSENT = MentionFacts("review", own_source=True, consent=False, rating_normalised=None)
THIRD_PARTY = MentionFacts("review", own_source=False, consent=False, rating_normalised=None)
POST = MentionFacts("post", own_source=False, consent=False, rating_normalised=None)


@pytest.mark.parametrize(
    ("facts", "prediction", "status", "rejection", "alert"),
    [
        (OWN, POSITIVE, MentionStatus.TO_PUBLISH, None, None),
        (OWN_NO_CONSENT, POSITIVE, MentionStatus.WATCH, None, None),
        # Negative or positive, an own review with consent takes the same publishing path (DESIGN.md rule 1).
        (OWN, NEGATIVE, MentionStatus.TO_PUBLISH, None, AlertKind.REVIEW_TO_ANSWER),
        (OWN_NO_CONSENT, NEGATIVE, MentionStatus.TO_REPLY, None, AlertKind.REVIEW_TO_ANSWER),
        (THIRD_PARTY, NEGATIVE, MentionStatus.TO_REPLY, None, AlertKind.REVIEW_TO_ANSWER),
        (THIRD_PARTY, POSITIVE, MentionStatus.WATCH, None, None),
        (OWN, TOXIC, MentionStatus.REJECTED, RejectionReason.ABUSIVE, None),
        (THIRD_PARTY, TOXIC, MentionStatus.WATCH, None, AlertKind.ABUSE),
        (OWN, SPAM, MentionStatus.REJECTED, RejectionReason.SPAM, None),
        (POST, NEGATIVE, MentionStatus.WATCH, None, AlertKind.NEGATIVE_MENTION),
        (POST, TOXIC, MentionStatus.WATCH, None, AlertKind.ABUSE),
        (POST, POSITIVE, MentionStatus.WATCH, None, None),
    ],
)
def test_routes(facts, prediction, status, rejection, alert):
    decision = decide(facts, prediction, T)
    assert (decision.status, decision.rejection, decision.alert) == (status, rejection, alert)
    assert decision.reason and decision.rule


def test_the_authors_rating_wins_over_the_model():
    one_star = MentionFacts("review", True, True, rating_normalised=0.0)
    assert decide(one_star, POSITIVE, T).needs_reply
    assert not decide(MentionFacts("review", True, True, rating_normalised=1.0), NEGATIVE, T).needs_reply
    five_stars = MentionFacts("review", True, True, rating_normalised=1.0)
    assert decide(five_stars, NEGATIVE, T).status == MentionStatus.TO_PUBLISH


def test_a_flag_carries_its_score_and_threshold():
    decision = decide(OWN, SPAM, T)
    assert (decision.score, decision.threshold) == (0.95, 0.5)
    assert "0.95" in decision.reason and "0.5" in decision.reason


def test_troll_signals_raise_an_abuse_alert_for_a_negative_post_under_the_abuse_threshold():
    from moderation.trolls import AuthorSignals

    campaign = MentionFacts("post", False, False, None, AuthorSignals(posts_last_hour=7, near_duplicates=3))
    decision = decide(campaign, NEGATIVE, T)
    assert (decision.status, decision.alert, decision.rule) == (MentionStatus.WATCH, AlertKind.ABUSE, "troll_signals")
    assert "7 posts in the last hour" in decision.reason
    quiet_author = MentionFacts("post", False, False, None, AuthorSignals(posts_last_hour=1))
    assert decide(quiet_author, NEGATIVE, T).alert == AlertKind.NEGATIVE_MENTION


@pytest.mark.parametrize("facts", [OWN, OWN_NO_CONSENT, THIRD_PARTY])
def test_negative_reviews_need_a_reply_and_positive_ones_do_not(facts):
    assert decide(facts, NEGATIVE, T).needs_reply
    assert not decide(facts, POSITIVE, T).needs_reply


def test_the_reason_names_the_authors_rating_as_they_gave_it():
    # "negative review (rating 0.25 of the scale)" read as a score under a threshold; the moderator wants "2/5".
    two = MentionFacts("review", True, True, rating_normalised=0.25, rating="2/5")
    assert decide(two, POSITIVE, T).reason == "negative review (rated 2/5)"
    unknown_scale = MentionFacts("review", True, True, rating_normalised=0.25)
    assert "rated 25% of the scale" in decide(unknown_scale, POSITIVE, T).reason
