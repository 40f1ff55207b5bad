"""Pseudonymous author handles and minimised display names (DESIGN.md rule 5: identity is minimised)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.schema import InstanceSecret

log = logging.getLogger("veilleur.identity")
LEGACY_PSEUDONYM_KEY = "veilleur-default-pseudonym-key"  # public: in the code of every version before 0010
ADDRESS_KEY = "key:"  # the prefix of an address_key (hex follows, never an @): not an address
_warned: set[str] = set()


def author_handle(secret: str, source_kind: str, author_key: str) -> str:
    """A stable, keyed pseudonym: the same author on the same kind of source always gets the same handle,
    and the handle alone does not reveal the name."""
    message = f"{source_kind}\x1f{author_key.strip().casefold()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def pseudonym_secret(session: Session, configured: str) -> str:
    """The key of the author handles: `[crawl] pseudonym_secret` when set, else one generated for this database and
    kept in it (table instance_secret), so that a handle cannot be recomputed from a name by anyone who has the code.

    Generated inside the caller's transaction: a handle is only ever stored with the key committed beside it."""
    if configured:
        return configured
    stored = session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == "pseudonym"))
    if stored is None:
        stored, generated = _generate(session, "pseudonym", secrets.token_urlsafe(32))
        if generated:
            log.warning(
                "[crawl] pseudonym_secret is empty: author pseudonyms use a key generated for this database "
                "(table instance_secret); it is backed up with the database"
            )
    elif stored == LEGACY_PSEUDONYM_KEY and "legacy" not in _warned:
        _warned.add("legacy")
        log.warning(
            "author pseudonyms use the public default key of versions before 0010 (kept so that stored authors keep "
            "their handles): anyone can recompute a handle from a name; see docs/moderation.md, 'Pseudonyms'"
        )
    return stored


def outbox_instance(session: Session) -> str:
    """This database's name in what its outboxes send (message metadata, sink lines, idempotency keys, e-mail
    Message-IDs): alert 12 of this database is not alert 12 of an earlier one, nor of another installation posting
    to the same channel. Generated once, kept in table instance_secret (not a secret: a name)."""
    stored = session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == "outbox"))
    if stored is None:
        stored, _ = _generate(session, "outbox", secrets.token_hex(6))
    return stored


def link_key(session: Session) -> str:
    """The key that signs the links sent to customers (survey form, unsubscribe): generated for this database and
    kept in it, so a link cannot be forged by anyone who has only the code, and survives a restart."""
    stored = session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == "links"))
    if stored is None:
        stored, _ = _generate(session, "links", secrets.token_urlsafe(32))
    return stored


def address_key(session: Session, email: str) -> str:
    """What is kept of an e-mail address once the person is erased (or the retention period is over) but must still
    be recognised: a keyed hash, so that an opt-out still refuses a later import of the same address and the
    solicitation cap still counts an invitation sent to it, while the address cannot be read back, nor found by
    hashing a list of addresses without this database's key (table instance_secret, generated once)."""
    stored = session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == "addresses"))
    if stored is None:
        stored, _ = _generate(session, "addresses", secrets.token_urlsafe(32))
    digest = hmac.new(stored.encode(), email.strip().casefold().encode(), hashlib.sha256).hexdigest()
    return f"{ADDRESS_KEY}{digest[:48]}"


def _generate(session: Session, name: str, value: str) -> tuple[str, bool]:
    """Store `value` under `name` unless another process stored one first: (the stored value, whether ours)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Two processes may get here at once: the first insert wins, the other reads the winner's value.
    session.execute(insert(InstanceSecret).values(name=name, value=value).on_conflict_do_nothing())
    stored = session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == name))
    assert stored is not None
    return stored, stored == value


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
    and not the order reference. An erased survey order's reference too, keyed by its brand (surveys/orders.py)."""
    message = f"{source_id}\x1f{external_id}".encode()
    return "erased:" + hashlib.sha256(message).hexdigest()[:40]
