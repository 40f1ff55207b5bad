"""Messages to people outside the team: an author told why their review was rejected (DESIGN.md rule 2), a
product owner told of a low rating. Written to the `notification` outbox in the moderator's transaction, sent
later by a notifier (e-mail over SMTP, or a local JSONL sink when no SMTP host is set: models/mailer.py, shared
with the survey invitations).

At least once, never lost: a notifier that dies after sending but before recording it leaves the notice claimed;
after the claim's lease it is sent again. The sink is read back first (written once); an SMTP server cannot be
asked, so e-mail may then arrive twice, always under the same Message-ID, which mail clients and servers dedupe on.
Transient failures (the server down, a 4xx) are retried for two days; a refusal (a 5xx) fails at once."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from models import Mention, Notification, RejectionReason, utcnow
from models.identity import outbox_instance
from models.mailer import Mailer, SinkMailer, SmtpMailer, mail, message_id
from models.outbox import Outbox, Retry

# The frame of the author's notice, per language (French first); the reason's words are in models/reasons.py.
SUBJECT = {"fr": "Votre avis n'a pas été publié", "en": "Your review was not published"}
BODY = {
    "fr": "Bonjour,\n\nVotre avis du {date} n'a pas été publié. Motif : {reason}.\n\n"
    "Vous pouvez nous répondre pour contester cette décision.\n",
    "en": "Hello,\n\nYour review of {date} was not published. Reason: {reason}.\n\n"
    "You can answer this message to contest the decision.\n",
}


class Notifier(Protocol):
    def send(self, recipient: str, subject: str, body: str, key: str = "") -> str:
        """Send one message; `key` is the same on every attempt at it (the Message-ID's left part). Return a
        delivery reference. Raise on failure (retried, unless `refused` says retrying cannot help)."""
        ...

    def already_sent(self, key: str) -> bool:
        """Whether an earlier attempt at `key` got through (asked of a notice a dead notifier had claimed)."""
        ...


def _language(mention: Mention) -> str:
    return "fr" if (mention.language or "fr").startswith("fr") else "en"


def queue_rejection_notice(
    session: Session, mention: Mention, reason: RejectionReason, not_before: datetime | None = None
) -> Notification | None:
    """Queue the author's notice, if we know how to reach them. One per mention and reason. `not_before`: a held
    automatic rejection (moderation/jobs.py) is not sent before its hold is over; an undo deletes it first."""
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
        next_attempt_at=not_before,
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
        # The product comes from a crawled page: one line, or the subject header could not be written.
        subject=f"[Veilleur] {' '.join(str(mention.product).split())}: review rated {rating}",
        body=f"Product {mention.product} received a review rated {rating} (mention {mention.id}).\n\n"
        f"{mention.title + chr(10) if mention.title else ''}{mention.text}\n\n"
        f"It is assigned to you: `veilleur queue show {mention.id}`.\n",
    )
    session.add(notification)
    return notification


class MailNotifier:
    """A notice as an e-mail, sent by the one mailer of models/mailer.py (SMTP or the local sink)."""

    def __init__(self, mailer: Mailer, sender: str = "") -> None:
        self.mailer, self.sender = mailer, sender

    def send(self, recipient: str, subject: str, body: str, key: str = "") -> str:
        return self.mailer.send(mail(self.sender, recipient, subject, body, key=key))

    def already_sent(self, key: str) -> bool:
        return bool(key) and self.mailer.already_sent(message_id(key, self.sender))


class SmtpNotifier(MailNotifier):
    """E-mail over SMTP (STARTTLS when asked, login when a user is set)."""

    def __init__(
        self, host: str, port: int, sender: str, user: str = "", password: str = "", starttls: bool = False
    ) -> None:
        super().__init__(SmtpMailer(host, port, user, password, starttls), sender)


class SinkNotifier(MailNotifier):
    """No SMTP host set: messages go to a local JSONL file, so the demo runs offline and shows what would leave."""

    def __init__(self, path: Path) -> None:
        self.sink, self.path = SinkMailer(path), path
        super().__init__(self.sink)

    def erase(self, needles: list[str], marker: str) -> int:
        """After an erasure (moderation/privacy.py): see models/mailer.py SinkMailer.erase."""
        return self.sink.erase(needles, marker)


NOTIFICATIONS = Outbox(
    Notification,
    sent=Notification.sent_at,
    failed=Notification.failed_at,
    lease=timedelta(minutes=15),  # a claim pushes next_attempt_at this far: longer than any SMTP exchange
)
# The server down or busy (4xx): 2 minutes, doubling to 30, for two days and at least `max_attempts` attempts.
RETRY = timedelta(minutes=2), timedelta(minutes=30)


def refused(error: Exception) -> bool:
    """A 5xx answer to the recipient or the message: the address does not exist, the content is refused.
    Retrying cannot help. Anything else (the network, a 4xx, a login refused by settings to fix) is retried."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def send_due(
    sessions: sessionmaker[Session], notifier: Notifier, max_attempts: int = 5, now: datetime | None = None
) -> tuple[int, int]:
    """Send every due notification. Returns (sent, failed this round)."""
    now = now or utcnow()
    retry = Retry(*RETRY, attempts=max_attempts)
    sent = failed = 0
    with sessions() as session:
        ids = NOTIFICATIONS.due_ids(session, now)
    for notification_id in ids:
        with sessions.begin() as session:
            notification = NOTIFICATIONS.claim(session, notification_id, now)
            if notification is None:
                continue
            recipient, subject, body = notification.recipient, notification.subject, notification.body
            key = f"veilleur.{outbox_instance(session)}.notice.{notification_id}"
            retaken = notification.attempts > 1  # an earlier notifier may have sent it, then died
        try:
            if not (retaken and notifier.already_sent(key)):
                notifier.send(recipient, subject, body, key)
        except (OSError, smtplib.SMTPException, ValueError) as error:
            # ValueError: the message cannot be written (a line break in a header): given up at once, and the
            # notices after it still leave.
            failed += 1
            with sessions.begin() as session:
                notification = session.get_one(Notification, notification_id)
                message = f"{type(error).__name__}: {error}"
                final = refused(error) or isinstance(error, ValueError)
                NOTIFICATIONS.mark_failure(notification, notification.created_at, now, message, retry, final)
            continue
        with sessions.begin() as session:
            NOTIFICATIONS.mark_sent(session.get_one(Notification, notification_id), utcnow())
        sent += 1
    return sent, failed
