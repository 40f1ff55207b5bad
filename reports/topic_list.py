"""The shipped topic lists, one per industry (reports/topic_lists/INDUSTRY.toml), chosen by `[reports] industry`.

Each file has a `version` (raise it whenever a topic or an example changes: reports name the list and version
that tagged them) and topics with short example phrases in French and English; the tagger compares each sentence
of a mention with them. `[[reports.topics]]` in settings extends a list or overrides its topics by name.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from config.industries import INDUSTRIES, NONE

FOLDER = Path(__file__).resolve().parent / "topic_lists"
CUSTOM = "custom"  # the origin of topics written in settings


@lru_cache(maxsize=len(INDUSTRIES))
def _load(industry: str) -> tuple[dict[str, Any], ...]:
    data = tomllib.loads((FOLDER / f"{industry}.toml").read_text(encoding="utf-8"))
    return tuple(data["topics"]), f"{industry}.v{data['version']}"  # type: ignore[return-value]


def industry_topics(industry: str) -> tuple[list[dict[str, Any]], str]:
    """The industry's topics (name, label, examples) and the list's name and version ("hotel.v1")."""
    if industry == NONE:
        return [], CUSTOM
    if industry not in INDUSTRIES:
        raise ValueError(f"unknown industry {industry!r}: one of {', '.join(INDUSTRIES)} or {NONE!r}")
    topics, origin = _load(industry)
    return [dict(t) for t in topics], str(origin)


# The retail / e-commerce list: the built-in list of earlier versions, kept by name for tests and benchmarks.
DEFAULT_TOPICS: list[dict[str, Any]] = industry_topics("retail")[0]
