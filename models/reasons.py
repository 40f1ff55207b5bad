"""Rejection reasons: the fixed list of DESIGN.md (rule 2), one entry each.

An entry is the code stored in `mention.rejection_reason` and `moderation_event.reason`, the label moderators
see (Slack's reject menu, the console), and the words the author reads in their notice, which the public
disclosure page lists too. Every surface reads them from here, so adding a reason is one entry (and its docs
line in docs/moderation.md); a stored code must never be renamed.
"""

from __future__ import annotations

import enum

LANGUAGES = ("fr", "en")  # French first


class RejectionReason(enum.StrEnum):
    """Every rejection records exactly one. A member is its code (a str), with its wording as attributes."""

    label_fr: str  # what moderators see
    label_en: str
    notice_fr: str  # what the author reads after "Motif :" / "Reason:", and the disclosure page's list
    notice_en: str

    # `*wording` rather than four named parameters: type checkers read this signature for a lookup by code,
    # RejectionReason("spam"), too.
    def __new__(cls, code: str, *wording: str) -> RejectionReason:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label_fr, member.label_en, member.notice_fr, member.notice_en = wording
        return member

    def label(self, language: str) -> str:
        return self.label_fr if language == "fr" else self.label_en

    def notice(self, language: str) -> str:
        return self.notice_fr if language == "fr" else self.notice_en

    # code, French label, English label, French notice, English notice
    ABUSIVE = (
        "abusive",
        "Injurieux ou insultant",
        "Abusive or insulting",
        "propos injurieux ou insultants",
        "abusive or insulting content",
    )
    PERSONAL_DATA = (
        "personal_data",
        "Données personnelles",
        "Personal data",
        "données personnelles",
        "personal data",
    )
    SPAM = (
        "spam",
        "Publicité, spam ou liens",
        "Spam, advertising or links",
        "publicité, spam ou liens",
        "advertising, spam or links",
    )
    OFF_TOPIC = (
        "off_topic",
        "Hors sujet",
        "Off-topic",
        "hors sujet",
        "off-topic",
    )
    NOT_CUSTOMER_EXPERIENCE = (
        "not_customer_experience",
        "Pas une expérience de client",
        "Not a customer experience",
        "ne décrit pas une expérience de client",
        "not a customer experience",
    )
    DUPLICATE = (
        "duplicate",
        "Doublon",
        "Duplicate",
        "avis en double",
        "duplicate review",
    )
    CONFLICT_OF_INTEREST = (
        "conflict_of_interest",
        "Conflit d'intérêts",
        "Conflict of interest",
        "conflit d'intérêts",
        "conflict of interest",
    )
    UNLAWFUL = (
        "unlawful",
        "Contenu illicite",
        "Unlawful content",
        "contenu illicite",
        "unlawful content",
    )
    AUTHOR_ASKED = (
        "author_asked",
        "Retrait demandé par l'auteur",
        "The author asked",
        "retrait à votre demande",
        "removed at your request",
    )
