"""Password hashes for console accounts: scrypt from the standard library, parameters kept in the hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

# About 0.1 s and 32 MiB per hash on a small server: slow enough against guessing, fast enough for a login.
COST = 2**15
BLOCK_SIZE = 8
PARALLELISM = 1
MAX_COST = 2**20  # a hash asking more than this is refused rather than run (memory)
# Logins check passwords in threads (web/console/handlers/sign_in.py): a burst of them must not hold 32 MiB
# each at once. Two keep both cores of a small server busy; the others wait their turn.
_AT_ONCE = threading.BoundedSemaphore(2)


def hash_password(password: str, cost: int = COST) -> str:
    """`scrypt$N$r$p$salt$hash`, base64, to paste into `[console] users`."""
    if not password:
        raise ValueError("an empty password")
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, cost, BLOCK_SIZE, PARALLELISM)
    return "$".join(["scrypt", str(cost), str(BLOCK_SIZE), str(PARALLELISM), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`. A malformed or empty hash matches nothing."""
    try:
        scheme, cost, block_size, parallelism, salt, digest = stored.split("$")
        n, r, p = int(cost), int(block_size), int(parallelism)
        expected = base64.b64decode(digest, validate=True)
        salt_bytes = base64.b64decode(salt, validate=True)
    except ValueError:
        return False
    if scheme != "scrypt" or not (2 <= n <= MAX_COST) or not (1 <= r <= 32) or not (1 <= p <= 4) or not expected:
        return False
    return hmac.compare_digest(_scrypt(password, salt_bytes, n, r, p, len(expected)), expected)


def waste_time(password: str) -> None:
    """Spend what a verification costs, so an unknown user name answers as slowly as a wrong password."""
    _scrypt(password, b"veilleur-no-such-user", COST, BLOCK_SIZE, PARALLELISM)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    with _AT_ONCE:
        return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=length)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
