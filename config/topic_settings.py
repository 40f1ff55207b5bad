"""Topic settings shared by `[reports]` (the deployment's default list) and `[[brands]]` (a brand's own list):
an industry's shipped list (config/industries.py) and topics of your own that extend it."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from config.checks import Section
from config.industries import INDUSTRIES, NONE


class TopicSettings(Section):
    """A topic of the customer journey and example phrases (French and English) that mean it."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_]*$")
    label: str = Field(min_length=1)
    examples: list[str] = Field(min_length=2)


def known_industry(industry: str) -> str:
    if industry not in (*INDUSTRIES, NONE):
        raise ValueError(f"unknown industry {industry!r}: one of {', '.join(INDUSTRIES)}, or {NONE!r}")
    return industry


def topic_name_problem(topics: Sequence[TopicSettings]) -> str:
    """Why a list of settings topics cannot be used ("" when it can): "other" is the tagger's own topic."""
    names = [topic.name for topic in topics]
    duplicates = sorted({name for name in names if names.count(name) > 1 or name == "other"})
    return f"topic names must be unique and not 'other': {', '.join(duplicates)}" if duplicates else ""
