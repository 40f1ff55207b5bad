"""Messages to people outside the team: an author told why their review was rejected (DESIGN.md rule 2), a
product owner told of a low rating. Written to the `notification` outbox in the moderator's transaction, sent
later by a notifier (e-mail over SMTP, or a local JSONL sink when no SMTP host is set), retried, never twice."""

from __future__ import annotations

import json
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from models import Mention, Notification, RejectionReason, utcnow
from models.outbox import Outbox, backoff

# The frame of the author's notice, per language (French first); the reason's words are in models/reasons.py.
SUBJECT = {"fr": "Votre avis n'a pas été publié", "en": "Your review was not published"}
BODY = {
    "fr": "Bonjour,\n\nVotre avis du {date} n'a pas été publié. Motif : {reason}.\n\n"
    "Vous pouvez nous répondre pour contester cette décision.\n",
    "en": "Hello,\n\nYour review of {date} was not published. Reason: {reason}.\n\n"
    "You can answer this message to contest the decision.\n",
}


class Notifier(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> str:
        """Send one message; return a delivery reference. Raise on failure (it will be retried)."""
        ...


def _language(mention: Mention) -> str:
    return "fr" if (mention.language or "fr").startswith("fr") else "en"


def queue_rejection_notice(session: Session, mention: Mention, reason: RejectionReason) -> Notification | None:
    """Queue the author's notice, if we know how to reach them. One per mention and reason."""
    contact = mention.author.contact if mention.author else None
    if not contact:
        return None
    language = _language(mention)
    date = (mention.published_at or mention.collected_at).strftime("%d/%m/%Y" if language == "fr" else "%Y-%m-%d")
    notification = Notification(
        mention_id=mention.id,
        dedupe_key=f"rejection:{mention.id}:{reason.value}",
        recipient=contact,
        subject=SUBJECT[language],
        body=BODY[language].format(date=date, reason=reason.notice(language)),
    )
    existing = session.scalar(select(Notification).where(Notification.dedupe_key == notification.dedupe_key))
    if existing is not None:
        return existing
    session.add(notification)
    return notification


def cancel_rejection_notice(session: Session, mention: Mention) -> None:
    """An undone rejection: drop its notice if it has not left yet."""
    session.execute(
        delete(Notification).where(
            Notification.mention_id == mention.id,
            Notification.dedupe_key.startswith("rejection:"),
            Notification.sent_at.is_(None),
        )
    )


def queue_owner_notice(session: Session, mention: Mention, owner: str) -> Notification:
    """Tell a product owner of a review rated 3 or less on their product."""
    key = f"owner:{mention.id}"
    existing = session.scalar(select(Notification).where(Notification.dedupe_key == key))
    if existing is not None:
        return existing
    rating = f"{mention.rating:g}/{(mention.rating_best or 5):g}" if mention.rating is not None else "?"
    notification = Notification(
        mention_id=mention.id,
        dedupe_key=key,
        recipient=owner,
        subject=f"[Veilleur] {mention.product}: review rated {rating}",
        body=f"Product {mention.product} received a review rated {rating} (mention {mention.id}).\n\n"
        f"{mention.title + chr(10) if mention.title else ''}{mention.text}\n\n"
        f"It is assigned to you: `veilleur queue show {mention.id}`.\n",
    )
    session.add(notification)
    return notification


class SmtpNotifier:
    """E-mail over SMTP (STARTTLS when asked, login when a user is set)."""

    def __init__(
        self, host: str, port: int, sender: str, user: str = "", password: str = "", starttls: bool = False
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls

    def send(self, recipient: str, subject: str, body: str) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)
        return f"smtp:{self.host}:{self.port}"


class SinkNotifier:
    """No SMTP host set: messages go to a local JSONL file, so the demo runs offline and shows what would leave."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, recipient: str, subject: str, body: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps({"to": recipient, "subject": subject, "body": body}, ensure_ascii=False) + "\n")
        return f"sink:{self.path}"

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
                held = " ".join(str(sent.get(key, "")) for key in ("to", "subject", "body")).casefold()
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


NOTIFICATIONS = Outbox(
    Notification,
    sent=Notification.sent_at,
    failed=Notification.failed_at,
    lease=timedelta(minutes=15),  # a claim pushes next_attempt_at this far: longer than any SMTP exchange
)
FIRST_RETRY = timedelta(minutes=2)  # then 4, 8, 16... minutes: 2^attempts


def send_due(
    sessions: sessionmaker[Session], notifier: Notifier, max_attempts: int = 5, now: datetime | None = None
) -> tuple[int, int]:
    """Send every due notification. Returns (sent, failed this round). A failure waits 2^attempts minutes."""
    now = now or utcnow()
    sent = failed = 0
    with sessions() as session:
        ids = NOTIFICATIONS.due_ids(session, now)
    for notification_id in ids:
        with sessions.begin() as session:
            notification = NOTIFICATIONS.claim(session, notification_id, now)
            if notification is None:
                continue
            recipient, subject, body = notification.recipient, notification.subject, notification.body
        try:
            notifier.send(recipient, subject, body)
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            with sessions.begin() as session:
                notification = session.get_one(Notification, notification_id)
                message = f"{type(error).__name__}: {error}"
                NOTIFICATIONS.mark_retry(notification, now, backoff(notification.attempts, FIRST_RETRY), message)
                if notification.attempts >= max_attempts:
                    NOTIFICATIONS.mark_failed(notification, now, message)
            continue
        with sessions.begin() as session:
            NOTIFICATIONS.mark_sent(session.get_one(Notification, notification_id), utcnow())
        sent += 1
    return sent, failed
