"""What the survey tests share: a local SMTP server (aiosmtpd) that keeps what it receives, a settings file
pointing at it, the app on a real port, and orders written as CSV."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from config.settings import load_settings
from scheduler.context import Context
from tests.conftest import write_settings
from tests.moderation.support import RatingClassifier
from tests.support.servers import free_port, serve_on  # noqa: F401  (the survey tests import them from here)

TOKEN = "orders-s3cret"
BODY = """
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "survey"
kind = "survey"
urls = ["file:///dev/null"]
own = true
"""
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass
class Mailbox:
    """The aiosmtpd handler: every message received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


def survey_context(
    folder: Path, database_url: str, smtp_port: int = 0, public_url: str = "", **surveys: Any
) -> Context:
    """A context on a test database: brand acme, its survey source, SMTP at `smtp_port` (0: the mail sink)."""
    extra = "\n".join(f"{key} = {value!r}".replace("'", '"') for key, value in surveys.items())
    sections = {
        "intake": f'token = "{TOKEN}"',
        "surveys": extra,
        "moderation.smtp": (f'host = "127.0.0.1"\nport = {smtp_port}' if smtp_port else "")
        + f'\nsender = "avis@acme.example"\nsink_path = "{folder / "mail-sink.jsonl"}"',
        "serve": f'public_url = "{public_url or "http://127.0.0.1:9"}"',
    }
    path = write_settings(folder, database_url, BODY, **sections)
    context = Context(load_settings(path), path)
    context._classifier = RatingClassifier()  # these tests are about the survey's path, not the model
    return context


def orders_csv(rows: list[dict[str, str]]) -> bytes:
    columns = ["order_ref", "ordered_at", "delivered_at", "email", "first_name", "language", "products", "campaign"]
    lines = [",".join(columns)]
    for row in rows:
        values = {"ordered_at": "2026-11-20", "language": "fr", "first_name": "Camille", **row}
        lines.append(",".join(values.get(column, "") for column in columns))
    return ("\n".join(lines) + "\n").encode()
