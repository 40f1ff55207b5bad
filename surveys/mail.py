"""The invitation e-mail, built in a pure function (`compose`), and the two ways it leaves: SMTP, or the local
JSONL mail sink when no SMTP host is set (the same [moderation.smtp] settings and sink file as the notices of
moderation/notify.py). An e-mail here has an HTML part and list headers, which the notices' transport has not."""

from __future__ import annotations

import html
import json
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from config.settings import SmtpSettings, SurveyTemplate


@dataclass(frozen=True)
class Invitation:
    recipient: str
    first_name: str | None
    brand: str
    order_ref: str
    link: str
    unsubscribe: str
    reminder: bool
    key: str  # the Message-ID's left part: the same on every attempt at this message


def compose(invitation: Invitation, template: SurveyTemplate, sender: str) -> EmailMessage:
    name = invitation.first_name or ""
    values = {
        "first_name": name,
        "brand": invitation.brand,
        "order_ref": invitation.order_ref,
        "link": invitation.link,
        "unsubscribe": invitation.unsubscribe,
    }
    message = EmailMessage()
    message["From"], message["To"] = sender, invitation.recipient
    subject = template.reminder_subject if invitation.reminder else template.subject
    message["Subject"] = subject.format(**values)
    message["Message-ID"] = f"<{invitation.key}@{sender.rpartition('@')[2] or 'veilleur.invalid'}>"
    # RFC 8058: a mail client's "unsubscribe" button POSTs List-Unsubscribe=One-Click to this https address.
    message["List-Unsubscribe"] = f"<{invitation.unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(template.text.format(**values))
    # The first name comes from the brand's file: escaped, so it cannot add markup to the message.
    message.add_alternative(template.html.format(**{k: html.escape(v) for k, v in values.items()}), subtype="html")
    return message


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def already_sent(self, message_id: str) -> bool:
        """Whether an earlier attempt (by a sender that died before recording it) got through."""
        ...


class SmtpTransport:
    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp

    def send(self, message: EmailMessage) -> None:
        smtp = self.smtp
        with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password)
            client.send_message(message)

    def already_sent(self, message_id: str) -> bool:
        return False  # SMTP cannot be asked: sent again under the same Message-ID, which receivers dedupe on


class SinkTransport:
    """One JSON line per message, beside the notices: the demo shows what would leave, offline."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: EmailMessage) -> None:
        text, page = message.get_body(("plain",)), message.get_body(("html",))
        line = {
            "to": message["To"],
            "subject": message["Subject"],
            "body": text.get_content() if text else "",
            "html": page.get_content() if page else "",
            "list_unsubscribe": message["List-Unsubscribe"],
            "list_unsubscribe_post": message["List-Unsubscribe-Post"],
            "message_id": message["Message-ID"],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
            sink.flush()
            os.fsync(sink.fileno())

    def already_sent(self, message_id: str) -> bool:
        if not self.path.exists():
            return False
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                if json.loads(line).get("message_id") == message_id:
                    return True
            except json.JSONDecodeError:  # a line a crash cut short: that message was not written
                continue
        return False


def transport_for(smtp: SmtpSettings, sink: Path) -> Transport:
    return SmtpTransport(smtp) if smtp.host else SinkTransport(sink)
