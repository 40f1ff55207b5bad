"""The invitation e-mail, built in a pure function (`compose`). It leaves by the one mailer of models/mailer.py
(SMTP, or the local JSONL mail sink when no SMTP host is set), the notices' too: the same [moderation.smtp]
settings and sink file. An invitation has an HTML part and list headers, which a notice has not."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage

from config.survey_settings import SurveyTemplate
from models.mailer import mail


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
    subject = template.reminder_subject if invitation.reminder else template.subject
    headers = {
        # RFC 8058: a mail client's "unsubscribe" button POSTs List-Unsubscribe=One-Click to this https address.
        "List-Unsubscribe": f"<{invitation.unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    return mail(
        sender,
        invitation.recipient,
        subject.format(**values),
        template.text.format(**values),
        # The first name comes from the brand's file: escaped, so it cannot add markup to the message.
        html=template.html.format(**{k: html.escape(v) for k, v in values.items()}),
        key=invitation.key,
        headers=headers,
    )
