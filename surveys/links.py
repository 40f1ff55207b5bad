"""Signed links sent to customers: `ORDER.EXPIRES.SIGNATURE`, an HMAC over what the link opens (the form, or the
unsubscribe of that order's address) and until when. Nothing is stored per link: changing the key kills them all."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

FORM, UNSUBSCRIBE = "form", "unsubscribe"
NEVER = 0  # an unsubscribe link must keep working as long as a message carrying it can be read


class LinkRefused(Exception):
    """`forged` (wrong signature, not a link of ours) or `expired`."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _signature(key: str, purpose: str, order_id: int, expires: int) -> str:
    digest = hmac.new(key.encode(), f"{purpose}\x1f{order_id}\x1f{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()  # 144 bits, 24 characters, no padding


def make_token(key: str, purpose: str, order_id: int, expires: datetime | None) -> str:
    stamp = NEVER if expires is None else int(expires.timestamp())
    return f"{order_id}.{stamp}.{_signature(key, purpose, order_id, stamp)}"


def read_token(key: str, purpose: str, token: str, now: datetime) -> int:
    """The order id the token opens. Raises LinkRefused."""
    try:
        order, stamp, signature = token.split(".")
        order_id, expires = int(order), int(stamp)
    except ValueError:
        raise LinkRefused("forged") from None
    if not hmac.compare_digest(signature.encode(), _signature(key, purpose, order_id, expires).encode()):
        raise LinkRefused("forged")
    if expires != NEVER and now.timestamp() > expires:
        raise LinkRefused("expired")
    return order_id
