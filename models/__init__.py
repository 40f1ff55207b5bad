"""The data model. Imports none of the other Veilleur packages."""

from models.schema import (
    Alert,
    AlertKind,
    Author,
    Base,
    Brand,
    Classification,
    CrawlRun,
    Mention,
    MentionKind,
    MentionStatus,
    ModerationEvent,
    Publication,
    RejectionReason,
    Source,
    utcnow,
)

__all__ = [
    "Alert",
    "AlertKind",
    "Author",
    "Base",
    "Brand",
    "Classification",
    "CrawlRun",
    "Mention",
    "MentionKind",
    "MentionStatus",
    "ModerationEvent",
    "Publication",
    "RejectionReason",
    "Source",
    "utcnow",
]
