"""Who a person is across Slack, the console and the CLI: one name per person, so an assignment made in one place
is found in the others.

A console account may name its Slack user (`[console] users`, `slack_id`). A Slack user id that an account names
is that account's name ("alice"); any other is "slack:U0123ABCD", as the audit log has always written Slack users.
Assignments stored before accounts named their Slack user read "slack:U0123ABCD": `names` gives both spellings
so "assigned to alice" still finds them (no migration can read the settings to rewrite them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# What a Slack user id looks like (U for a workspace user, W for an Enterprise Grid one): only those are stored,
# mentioned ("<@U…>") or invited.
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,40}")
SLACK_PREFIX = "slack:"


@dataclass(frozen=True)
class People:
    """Console account names by Slack user id, from `[console] users` (config/settings.py checks both unique)."""

    by_slack_id: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, accounts: Iterable[tuple[str, str]]) -> People:
        """From (account name, Slack user id) pairs; an account without a Slack id ("") is left out."""
        return cls({slack_id: name for name, slack_id in accounts if slack_id})

    def name(self, slack_id: str) -> str:
        """The one name stored for a Slack user: the account's that names it, else "slack:U…"."""
        return self.by_slack_id.get(slack_id) or f"{SLACK_PREFIX}{slack_id}"

    def actor(self, slack_id: str) -> str:
        """Who did it from Slack, for the audit log: "slack:alice" for an account's Slack user (the channel kept,
        as "console:alice" and "cli:alice" keep theirs), else "slack:U…" as always."""
        return f"{SLACK_PREFIX}{self.by_slack_id.get(slack_id) or slack_id}"

    def slack_id(self, name: str) -> str | None:
        """The Slack user behind a stored name ("alice" or "slack:U…"), to mention in a message; None if none."""
        if name.startswith(SLACK_PREFIX):
            given = name.removeprefix(SLACK_PREFIX)
            return given if SLACK_USER_ID.fullmatch(given) else None
        return next((slack_id for slack_id, account in self.by_slack_id.items() if account == name), None)

    def names(self, name: str) -> set[str]:
        """Every stored spelling of one person: "alice" and, when her account names U0123, "slack:U0123"."""
        found = {name}
        slack_id = self.slack_id(name)
        if slack_id:
            found |= {self.name(slack_id), f"{SLACK_PREFIX}{slack_id}"}
        return found

    def shown(self, stored: str) -> str:
        """A stored assignee as the console and the CLI show it: "slack:U0123" of an account is its name."""
        slack_id = self.slack_id(stored) if stored.startswith(SLACK_PREFIX) else None
        return self.name(slack_id) if slack_id else stored
