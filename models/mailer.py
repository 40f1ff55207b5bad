"""The one way e-mail leaves Veilleur: SMTP (STARTTLS when asked, login when a user is set), or, when no SMTP host
is set, one JSON line per message in the local mail sink, so the demo runs offline and shows what would leave.

Two outboxes send e-mail: the notices of moderation/notify.py (an author told of a rejection, a product owner of
a low rating) and the survey invitations of surveys/invitations.py. They share the [moderation.smtp] settings and
the sink file, so they share this module. Both packages sit on floor 2 and may not import each other; the floors
they can both import are config/ (settings only) and models/. This sits in models/ beside models/outbox.py, the
claim and retry policy of every outbox: this is the e-mail end of those outboxes. Like the rest of models/ it
imports nothing of ours (the settings come in as plain values, read by the callers' jobs).

The message is built in a pure function (`mail`), sent by a Mailer. `already_sent` is asked before sending again
a message that a sender which died may have sent: the sink can be read back; an SMTP server cannot, so a message
is then sent again under the same Message-ID, which mail clients and servers dedupe on.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

# Headers copied to a sink line when the message has them (the one-click unsubscribe of the invitations).
SINK_HEADERS = {"List-Unsubscribe": "list_unsubscribe", "List-Unsubscribe-Post": "list_unsubscribe_post"}


class SmtpConfig(Protocol):
    """What a mailer needs of [moderation.smtp] (config/settings.py SmtpSettings)."""

    host: str
    port: int
    user: str
    password: str
    starttls: bool


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send it; return a delivery reference. Raise OSError or smtplib.SMTPException on failure."""
        ...

    def already_sent(self, message_id: str) -> bool:
        """Whether an earlier attempt at the message with this Message-ID got through."""
        ...


def message_id(key: str, sender: str) -> str:
    """The Message-ID of the message whose stable key is `key`: the same on every attempt at it."""
    return f"<{key}@{sender.rpartition('@')[2] or 'veilleur.invalid'}>"


def mail(
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    *,
    html: str | None = None,
    key: str = "",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain text message, with an HTML alternative when given; `key`: the Message-ID's left part."""
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"], message["Subject"] = recipient, subject
    if key:  # stable across attempts: a copy sent again after a crash is recognisably the same message
        message["Message-ID"] = message_id(key, sender)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


class SmtpMailer:
    def __init__(self, host: str, port: int, user: str = "", password: str = "", starttls: bool = False) -> None:
        self.host, self.port, self.user, self.password, self.starttls = host, port, user, password, starttls

    def send(self, message: EmailMessage) -> str:
        with smtplib.SMTP(self.host, self.port, timeout=30) as client:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.user:
                client.login(self.user, self.password)
            client.send_message(message)
        return f"smtp:{self.host}:{self.port}"

    def already_sent(self, message_id: str) -> bool:
        return False  # SMTP cannot be asked: sent again under the same Message-ID


class SinkMailer:
    """One JSON line per message: to, subject, body (the plain part), html (when there is one), the list headers
    (when present) and the Message-ID. Written and fsynced before `send` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: EmailMessage) -> str:
        text, page = message.get_body(("plain",)), message.get_body(("html",))
        line: dict[str, str | None] = {
            "to": message["To"],
            "subject": message["Subject"],
            # The text as its writer gave it: without the line break `set_content` adds to a text lacking one.
            "body": text.get_content().removesuffix("\n") if text else "",
        }
        if page is not None:
            line["html"] = page.get_content()
        line |= {name: message[header] for header, name in SINK_HEADERS.items() if message[header] is not None}
        line["message_id"] = message["Message-ID"] or ""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
            sink.flush()
            os.fsync(sink.fileno())
        return f"sink:{self.path}"

    def already_sent(self, message_id: str) -> bool:
        if not message_id or not self.path.exists():
            return False
        # Notices written before the two senders were one recorded the bare key (the Message-ID's left part).
        wanted = {message_id, message_id.strip("<>").rpartition("@")[0]} - {""}
        with self.path.open(encoding="utf-8") as sink:
            for line in sink:
                try:
                    if line.strip() and json.loads(line).get("message_id") in wanted:
                        return True
                except json.JSONDecodeError:  # a line cut short by a crash: that message was not written
                    continue
        return False

    def erase(self, needles: list[str], marker: str) -> int:
        """Replace every message that holds one of `needles` (any case) with `marker`, after an erasure
        (moderation/privacy.py): the sink stands for mail that left, but it is a copy on this machine. A line a
        crash cut short is judged on its raw text. Written beside it and renamed over it."""
        if not self.path.exists() or not needles:
            return 0
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        erased = 0
        for n, line in enumerate(lines):
            try:
                sent = json.loads(line) if line.strip() else {}
                held = " ".join(str(sent.get(key, "")) for key in ("to", "subject", "body", "html")).casefold()
            except json.JSONDecodeError:
                held = line.casefold()
            if any(needle in held for needle in needles):
                lines[n] = json.dumps({"to": marker, "subject": marker, "body": marker}, ensure_ascii=False) + "\n"
                erased += 1
        if erased:
            rewritten = self.path.with_name(self.path.name + ".rewrite")
            rewritten.write_text("".join(lines), encoding="utf-8")
            rewritten.replace(self.path)
        return erased


def mailer_for(smtp: SmtpConfig, sink: Path) -> Mailer:
    """SMTP when a host is set, else the sink file."""
    if smtp.host:
        return SmtpMailer(smtp.host, smtp.port, smtp.user, smtp.password, smtp.starttls)
    return SinkMailer(sink)
