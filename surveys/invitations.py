"""Who is asked, when, and the sending of what was queued.

`queue_due` writes an invitation row for each order delivered `delay_days` ago, unless the customer opted out or
the solicitation cap is reached (never more than `cap_invitations` invitations to one address in `cap_days`,
whatever the campaign: "too many surveys kill the survey"), and one reminder `reminder_days` after an unanswered
invitation. Reminders do not count towards the cap: they are about the same order. `send_due` sends the queued
rows through the outbox of models/outbox.py: claimed by a conditional UPDATE, retried with back-off, never lost."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from models import Brand, SurveyAnswer, SurveyMessage, SurveyOrder, utcnow
from models.identity import address_key, link_key, outbox_instance
from models.mailer import Mailer
from models.outbox import Outbox, Retry
from surveys.links import FORM, UNSUBSCRIBE, make_token
from surveys.mail import Invitation, compose
from surveys.optouts import is_out

INVITATION, REMINDER = "invitation", "reminder"
MESSAGES = Outbox(
    SurveyMessage,
    sent=SurveyMessage.sent_at,
    failed=SurveyMessage.failed_at,
    lease=timedelta(minutes=15),  # longer than any SMTP exchange
)
RETRY = timedelta(minutes=2), timedelta(minutes=30)  # as the notices: the server down or busy (4xx)


@dataclass
class Queued:
    """One run of the invitations: what was queued, what was not and why, what was sent."""

    invitations: int = 0
    reminders: int = 0
    capped: int = 0
    opted_out: int = 0
    stale: int = 0
    sent: int = 0
    failed: int = 0


def queue_due(session: Session, settings: Settings, now: datetime) -> Queued:
    surveys = settings.surveys
    queued = Queued()
    due_before = now - timedelta(days=surveys.delay_days)
    fresh_after = due_before - timedelta(days=surveys.link_days)  # older deliveries (a history import): not asked
    waiting = session.scalars(
        select(SurveyOrder)
        .where(
            SurveyOrder.delivered_at <= due_before,
            SurveyOrder.skipped.is_(None),
            ~select(SurveyMessage.id).where(SurveyMessage.order_id == SurveyOrder.id).exists(),
        )
        .order_by(SurveyOrder.delivered_at, SurveyOrder.id)
    ).all()
    for order in waiting:
        assert order.delivered_at is not None
        if order.delivered_at < fresh_after:
            order.skipped, queued.stale = "stale", queued.stale + 1
        elif is_out(session, order.brand_id, order.email):
            order.skipped, queued.opted_out = "opted out", queued.opted_out + 1
        elif _recent_invitations(session, order, now - timedelta(days=surveys.cap_days)) >= surveys.cap_invitations:
            order.skipped, queued.capped = "cap", queued.capped + 1
        else:
            session.add(SurveyMessage(order_id=order.id, kind=INVITATION, recipient=order.email, created_at=now))
            queued.invitations += 1
        session.flush()  # the next order of the same customer counts this one
    if surveys.reminder_days:
        queued.reminders = _queue_reminders(session, settings, now)
    return queued


def _recent_invitations(session: Session, order: SurveyOrder, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count(SurveyMessage.id))
            .join(SurveyOrder, SurveyOrder.id == SurveyMessage.order_id)
            .where(
                SurveyOrder.brand_id == order.brand_id,
                # An invitation to an erased person keeps only the keyed hash of the address: it still counts.
                SurveyMessage.recipient.in_((order.email, address_key(session, order.email))),
                SurveyMessage.kind == INVITATION,
                SurveyMessage.created_at > since,
                SurveyMessage.failed_at.is_(None),
            )
        )
        or 0
    )


def _queue_reminders(session: Session, settings: Settings, now: datetime) -> int:
    surveys = settings.surveys
    invitation = select(SurveyMessage).where(
        SurveyMessage.kind == INVITATION,
        SurveyMessage.sent_at <= now - timedelta(days=surveys.reminder_days),
        # The link must still work for a while when the reminder arrives.
        SurveyMessage.sent_at > now - timedelta(days=surveys.link_days - 1),
        ~select(SurveyAnswer.id).where(SurveyAnswer.order_id == SurveyMessage.order_id).exists(),
    )
    count = 0
    for sent in session.scalars(invitation).all():
        if session.scalar(
            select(SurveyMessage.id).where(SurveyMessage.order_id == sent.order_id, SurveyMessage.kind == REMINDER)
        ):
            continue
        order = session.get_one(SurveyOrder, sent.order_id)
        if order.skipped or is_out(session, order.brand_id, order.email):  # skipped: "erased" after the invitation
            continue
        session.add(SurveyMessage(order_id=order.id, kind=REMINDER, recipient=order.email, created_at=now))
        count += 1
    session.flush()
    return count


def form_link(session: Session, settings: Settings, order: SurveyOrder, invited_at: datetime) -> str:
    expires = invited_at + timedelta(days=settings.surveys.link_days)
    return f"{base_url(settings)}/survey/{make_token(link_key(session), FORM, order.id, expires)}"


def unsubscribe_link(session: Session, settings: Settings, order: SurveyOrder) -> str:
    return f"{base_url(settings)}/survey/unsubscribe/{make_token(link_key(session), UNSUBSCRIBE, order.id, None)}"


def base_url(settings: Settings) -> str:
    return (settings.serve.public_url or f"http://{settings.serve.host}:{settings.serve.port}").rstrip("/")


def refused(error: Exception) -> bool:
    """A 5xx for the recipient or the message: retrying cannot help (a bounce is then recorded by the brand)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def send_due(
    sessions: sessionmaker[Session], settings: Settings, transport: Mailer, now: datetime | None = None
) -> tuple[int, int]:
    """Send every queued invitation and reminder. Returns (sent, failed this round)."""
    now = now or utcnow()
    retry = Retry(*RETRY, attempts=settings.surveys.max_attempts)
    sent = failed = 0
    with sessions() as session:
        ids = MESSAGES.due_ids(session, now)
    for message_id in ids:
        with sessions.begin() as session:
            row = MESSAGES.claim(session, message_id, now)
            if row is None:
                continue
            order = session.get_one(SurveyOrder, row.order_id)
            if is_out(session, order.brand_id, order.email):  # opted out after it was queued
                MESSAGES.mark_failed(row, now, "not sent: the address is out")
                continue
            invitation_row = session.scalar(
                select(SurveyMessage).where(SurveyMessage.order_id == order.id, SurveyMessage.kind == INVITATION)
            )
            invited_at = (invitation_row.sent_at if invitation_row else None) or now
            brand = session.get_one(Brand, order.brand_id)
            invitation = Invitation(
                recipient=order.email,
                first_name=order.first_name,
                brand=brand.name,
                order_ref=order.order_ref,
                link=form_link(session, settings, order, invited_at),
                unsubscribe=unsubscribe_link(session, settings, order),
                reminder=row.kind == REMINDER,
                key=f"veilleur.{outbox_instance(session)}.survey.{message_id}",
            )
            retaken = row.attempts > 1  # an earlier sender may have sent it, then died
        try:
            message = compose(invitation, settings.surveys.templates[order.language], settings.moderation.smtp.sender)
            if not (retaken and transport.already_sent(message["Message-ID"])):
                transport.send(message)
        except (OSError, smtplib.SMTPException, ValueError) as error:
            # ValueError: the message cannot be written (a line break in a header, stored before orders were
            # checked for them): given up at once, and the invitations after it still leave.
            failed += 1
            with sessions.begin() as session:
                row = session.get_one(SurveyMessage, message_id)
                said = f"{type(error).__name__}: {error}"
                final = refused(error) or isinstance(error, ValueError)
                MESSAGES.mark_failure(row, row.created_at, now, said, retry, final)
            continue
        with sessions.begin() as session:
            MESSAGES.mark_sent(session.get_one(SurveyMessage, message_id), now)
        sent += 1
    return sent, failed
