"""Source kinds: what a `[[brands.sources]]` entry may name as its `kind`, one entry each.

A kind is also the name of its spider, in crawlers/spiders/<kind>.py (tests/crawlers/test_source_kinds.py
holds the two to each other). The settings validation, Slack's alert blocks and the docs read this list, so a
new source is one entry here, its spider, and its row in docs/sources.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceKind:
    name: str  # = the spider's name and file name
    reach_unit: str  # what the mention's `reach` counts, shown after it in Slack; "" when the source has none
    summary: str  # one line for the docs
    # Its URLs may be file:// (a survey export the worker can read) as well as http(s)://.
    local_files: bool = False
    # It yields posts (mentions to watch, nobody to answer in Veilleur) rather than rated reviews.
    posts: bool = False


KINDS = {
    kind.name: kind
    for kind in (
        SourceKind("schema_org", "", "reviews marked up with schema.org Review on any page"),
        SourceKind("trustpilot", "", "a company's Trustpilot reviews"),
        SourceKind("google_places", "", "a place's Google reviews (Places API, legacy or v1)"),
        SourceKind("avis_verifies", "", "an Avis Vérifiés certificate page"),
        SourceKind("app_store", "", "an app's App Store customer reviews feed"),
        SourceKind("feed", "", "any RSS or Atom feed, e.g. Google Alerts, as posts", posts=True),
        SourceKind("mastodon", "followers", "a Mastodon hashtag timeline, as posts", posts=True),
        SourceKind("hackernews", "points", "Hacker News stories and comments (Algolia search), as posts", posts=True),
        SourceKind("reddit", "score", "Reddit search results, as posts", posts=True),
        SourceKind("youtube", "likes", "a YouTube video's comments, as posts", posts=True),
        SourceKind("survey", "", "the brand's own post-purchase survey export (CSV or JSON)", local_files=True),
    )
}


def reach_unit(kind: str) -> str:
    """The unit of a mention's reach; "" for a kind without one, or one no longer in the list (an old alert)."""
    known = KINDS.get(kind)
    return known.reach_unit if known else ""


def yields_posts(kind: str) -> bool:
    """Whether a kind's mentions are posts; False for one no longer in the list."""
    known = KINDS.get(kind)
    return known.posts if known else False
