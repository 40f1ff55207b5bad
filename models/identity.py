"""Pseudonymous author handles and minimised display names (DESIGN.md rule 5: identity is minimised)."""

from __future__ import annotations

import hashlib
import hmac


def author_handle(secret: str, source_kind: str, author_key: str) -> str:
    """A stable, keyed pseudonym: the same author on the same kind of source always gets the same handle,
    and the handle alone does not reveal the name."""
    message = f"{source_kind}\x1f{author_key.strip().casefold()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def minimised_name(name: str | None) -> str | None:
    """'Denise J Ragozzino' -> 'Denise R.'; a single word is kept; empty stays None."""
    if not name or not name.strip():
        return None
    words = name.split()
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0].upper()}."


def erased_external_id(source_id: int, external_id: str) -> str:
    """What an erased review's id becomes: the same for the same review (a re-crawl finds it and stores nothing),
    and not the order reference."""
    message = f"{source_id}\x1f{external_id}".encode()
    return "erased:" + hashlib.sha256(message).hexdigest()[:40]
