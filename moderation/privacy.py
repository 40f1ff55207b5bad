"""Personal data (DESIGN.md rule 6): erase a person everywhere on request, pseudonymise silent authors after the
retention period, and drop the text of removed reviews once they have been kept long enough for audit.

An erasure keeps the rows (a removed review and its reason stay, for the audit, at least `keep_removed_days`)
but nothing in them that leads back to the person: name, contact, display name, the handle (a keyed hash of
the name), the text, title, URL, order reference and the brand's reply (which may name them), the copies of
all this in alert payloads, notices and audit details; their survey orders, invitations, answers and opt-outs
(moderation/privacy_surveys.py: a person may be found by the address a survey was sent to, with no review at
all). A published review is withdrawn and the site told;
report files quoting the person are flagged to be written again. The caller owns the session and its
transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from models import (
    Alert,
    AlertKind,
    Author,
    Mention,
    MentionStatus,
    ModerationEvent,
    Notification,
    Publication,
    RejectionReason,
    ReportFile,
    SurveyOptOut,
    WebhookDelivery,
    utcnow,
)
from models.alert_payloads import RedactionPayload, erased_mention
from models.identity import erased_external_id
from moderation import privacy_surveys
from moderation.workflow import queue_webhook

S = MentionStatus
ERASED_TEXT = "[avis supprimé à la demande de son auteur / review removed at its author's request]"
EXPIRED_TEXT = "[texte supprimé après la durée de conservation / text removed after the retention period]"
REDACTED = "[effacé / erased]"
REMOVED = (S.REJECTED, S.WITHDRAWN)


class PrivacyError(Exception):
    """No one matches, or the request names no one."""


@dataclass
class Erasure:
    authors: int = 0
    mentions: int = 0
    withdrawn: int = 0
    alerts: int = 0
    messages_rewritten: int = 0  # Slack messages (or sink lines) queued to be posted again without them
    notices_deleted: int = 0
    notices_scrubbed: int = 0
    reports_to_rewrite: int = 0  # report files quoting them, flagged to be written again (scheduler/jobs.py)
    surveys: privacy_surveys.Forgotten = field(default_factory=privacy_surveys.Forgotten)
    # What identified them (names, contact, texts, casefolded), for the copies outside the database (the mail
    # sink) the caller scrubs once the transaction is committed. Held in memory only.
    needles: list[str] = field(default_factory=list, repr=False)


def find_authors(
    session: Session, *, handle: str | None = None, name: str | None = None, contact: str | None = None
) -> list[Author]:
    """Authors by handle (or its first 12 characters, as Slack shows it), exact name or e-mail (any case)."""
    if not (handle or name or contact):
        raise PrivacyError("name someone: --author HANDLE, --name NAME or --contact E-MAIL")
    if contact is not None and not contact.strip():
        raise PrivacyError("--contact is empty")
    conditions = []
    if handle:
        conditions.append(Author.handle == handle if len(handle) != 12 else Author.handle.startswith(handle))
    if name:
        conditions.append(func.lower(Author.name) == name.strip().lower())
    if contact:
        conditions.append(func.lower(Author.contact) == contact.strip().lower())
    return list(session.scalars(select(Author).where(or_(*conditions)).order_by(Author.id)))


def erase_author(
    session: Session,
    *,
    handle: str | None = None,
    name: str | None = None,
    contact: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> Erasure:
    """Remove a person from every table, with one audit event per review (who asked, when; no personal data)."""
    now = now or utcnow()
    authors = find_authors(session, handle=handle, name=name, contact=contact)
    mentions = list(session.scalars(select(Mention).where(Mention.author_id.in_([a.id for a in authors]))))
    emails = {value.strip().casefold() for value in [contact, *(a.contact for a in authors)] if value}
    orders = privacy_surveys.orders_of(session, emails, {mention.id for mention in mentions})
    if not (authors or orders):
        raise PrivacyError("no author or survey order matches: nothing erased")
    # A survey answer filed as a review is the person's review even when its author row was found by nothing else.
    known = {mention.id for mention in mentions}
    for mention_id in sorted(privacy_surveys.review_ids(session, orders) - known):
        mention = session.get_one(Mention, mention_id)
        mentions.append(mention)
        if mention.author is not None and mention.author not in authors:
            authors.append(mention.author)
    emails |= {order.email for order in orders} | {a.contact.strip().casefold() for a in authors if a.contact}
    ids = {mention.id for mention in mentions}
    needles = _needles(authors, mentions, [*emails, *privacy_surveys.personal_values(session, orders)])
    result = Erasure(authors=len(authors), mentions=len(mentions), needles=needles)
    for mention in mentions:
        result.withdrawn += _erase_mention(session, mention, actor, now, needles)
    result.alerts, result.messages_rewritten = _scrub_alerts(session, mentions, ids, needles, now)
    contacts = sorted(emails)
    result.notices_deleted, result.notices_scrubbed = _scrub_notices(session, ids, contacts)
    result.reports_to_rewrite = _flag_reports(session, ids, now)
    result.surveys = privacy_surveys.forget_orders(session, orders, erased=True)
    result.surveys.opt_outs = privacy_surveys.hash_opt_outs(session, func.lower(SurveyOptOut.email).in_(sorted(emails)))
    for author in authors:
        author.name = author.contact = author.display_name = None
        # The handle is a keyed hash of the name: anyone with the key could link it back.
        author.handle = f"erased-{uuid.uuid4().hex[:24]}"
        author.pseudonymised_at = now
    session.flush()
    return result


def _needles(authors: list[Author], mentions: list[Mention], more: list[str | None]) -> list[str]:
    values: list[str | None] = list(more)
    for author in authors:
        values += [author.name, author.contact, author.display_name, author.handle, author.handle[:12]]
        words = (author.name or "").split()
        values += words[-1:] if len(words) > 1 else []  # a surname alone ("Mme Ragozzino")
    for mention in mentions:
        # Not the URL: a survey export's URL is shared by every review in it (and alerts about the person's
        # reviews are replaced whole anyway).
        values += [mention.text, mention.title, mention.order_ref, mention.reply_text]
    return sorted({value.casefold() for value in values if value and len(value.strip()) >= 3}, key=len)


def _erase_mention(session: Session, mention: Mention, actor: str, now: datetime, needles: list[str]) -> int:
    before = mention.status
    withdrawn = 0
    if before == S.PUBLISHED:
        mention.status, mention.rejection_reason = S.WITHDRAWN, RejectionReason.AUTHOR_ASKED
        session.execute(
            update(Publication)
            .where(Publication.mention_id == mention.id, Publication.withdrawn_at.is_(None))
            .values(withdrawn_at=now)
        )
        queue_webhook(session, mention, "withdrawn")
        withdrawn = 1
    elif before not in REMOVED:
        # Out of every queue: there is nothing left to approve or answer.
        mention.status, mention.rejection_reason = S.REJECTED, RejectionReason.AUTHOR_ASKED
    # A review already removed keeps its own reason (the audit of why it was removed).
    session.execute(update(Publication).where(Publication.mention_id == mention.id).values(display_name=None))
    mention.text, mention.title, mention.url = ERASED_TEXT, None, None
    mention.reply_text, mention.order_ref, mention.verified_purchase = None, None, False
    mention.external_id = erased_external_id(mention.source_id, mention.external_id)
    mention.author = None
    mention.publish_after = mention.reply_due_at = None
    for event in session.scalars(select(ModerationEvent).where(ModerationEvent.mention_id == mention.id)):
        event.reason = _scrub(event.reason, needles)
        event.details = _scrub(event.details, needles)
    session.execute(update(WebhookDelivery).where(WebhookDelivery.mention_id == mention.id).values(payload={}))
    session.add(
        ModerationEvent(
            mention_id=mention.id,
            at=now,
            actor=actor,
            action="erase",
            from_status=before.value,
            to_status=mention.status.value,
            reason="personal data erased at the person's request",
            details={"rejection": (mention.rejection_reason.value if mention.rejection_reason else None)},
        )
    )
    return withdrawn


def _scrub(value: Any, needles: list[str], ids: frozenset[int] = frozenset()) -> Any:
    """The value with every string that holds personal data replaced; a dict about an erased mention (an alert
    payload copied into a digest) reduced to its id."""
    if isinstance(value, dict):
        if ids and value.get("mention_id") in ids:
            return erased_mention(value["mention_id"])
        return {key: _scrub(item, needles, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles, ids) for item in value]
    if isinstance(value, str) and value:
        folded = value.casefold()
        if any(needle in folded for needle in needles):
            return REDACTED
        # A shortened copy ("Trois semaines d'att…") of a longer text.
        stem = folded.rstrip("…. ")
        if len(stem) >= 20 and any(stem in needle for needle in needles):
            return REDACTED
    return value


def _scrub_alerts(
    session: Session, mentions: list[Mention], ids: set[int], needles: list[str], now: datetime
) -> tuple[int, int]:
    """Alerts about the person's reviews, and copies of them in digests (payloads are JSON): scrubbed in the
    outbox; an alert about them not sent yet is not sent; a message already posted is queued to be rewritten
    from the scrubbed payload (alerts/send.py). Returns (alerts scrubbed, messages queued for rewriting)."""
    brands = {mention.source.brand_id for mention in mentions}
    if not brands:
        return 0, 0
    changed, rewrites = 0, set()
    frozen = frozenset(ids)
    for alert in session.scalars(select(Alert).where(Alert.brand_id.in_(brands), Alert.kind != AlertKind.REDACTION)):
        payload = (
            erased_mention(alert.mention_id) if alert.mention_id in ids else _scrub(alert.payload, needles, frozen)
        )
        if payload != alert.payload:
            alert.payload = payload
            changed += 1
            if alert.sent_at is None and alert.failed_at is None and alert.mention_id in ids:
                alert.failed_at, alert.last_error = now, "not sent: the person's data was erased first"
            elif alert.delivery_ref and not alert.delivery_ref.startswith("digest:"):
                # Delivered inside a digest: the digest's own payload holds the copy, and is rewritten.
                rewrites.add((alert.brand_id, alert.channel, alert.delivery_ref))
        if alert.last_error:
            alert.last_error = _scrub(alert.last_error, needles)
    for brand_id, channel, delivery_ref in sorted(rewrites):
        session.add(
            Alert(
                brand_id=brand_id,
                kind=AlertKind.REDACTION,
                dedupe_key=f"redaction:{delivery_ref}:{uuid.uuid4().hex[:12]}"[:200],
                channel=channel,
                payload=RedactionPayload(delivery_ref=delivery_ref).to_json(),
            )
        )
    return changed, len(rewrites)


def _scrub_notices(session: Session, ids: set[int], contacts: list[str]) -> tuple[int, int]:
    """Unsent notices are dropped; sent ones keep only that a message left, and when."""
    about = or_(Notification.mention_id.in_(ids), func.lower(Notification.recipient).in_([c.lower() for c in contacts]))
    deleted = session.execute(delete(Notification).where(about, Notification.sent_at.is_(None))).rowcount  # type: ignore[attr-defined]
    scrubbed = 0
    for notice in session.scalars(select(Notification).where(about)):
        if notice.recipient.lower() in {contact.lower() for contact in contacts}:
            notice.recipient = REDACTED
        notice.subject, notice.body, notice.last_error = REDACTED, REDACTED, None
        scrubbed += 1
    return deleted, scrubbed


def _flag_reports(session: Session, ids: set[int], now: datetime) -> int:
    """Report files that quote the person's reviews are flagged; the `rewrite_reports` job writes them again."""
    flagged = 0
    for report in session.scalars(select(ReportFile)):
        if ids.intersection(report.quoted):
            report.rewrite_due_at = now
            flagged += 1
    return flagged


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the month's last day)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def apply_retention(session: Session, now: datetime, months: int) -> int:
    """Pseudonymise every author whose newest mention is older than `months`: name, contact and display name
    go; the handle stays (troll signals count posts per handle). Returns how many authors."""
    cutoff = months_before(now, months)
    newest = (
        select(Mention.author_id, func.max(func.coalesce(Mention.published_at, Mention.collected_at)).label("last"))
        .where(Mention.author_id.is_not(None))
        .group_by(Mention.author_id)
        .subquery()
    )
    authors = list(
        session.scalars(
            select(Author)
            .outerjoin(newest, newest.c.author_id == Author.id)
            .where(Author.pseudonymised_at.is_(None), or_(newest.c.last.is_(None), newest.c.last < cutoff))
        )
    )
    contacts = [author.contact for author in authors if author.contact]
    if contacts:
        _scrub_notices(session, set(), contacts)
    for author in authors:
        author.name = author.contact = author.display_name = None
        author.pseudonymised_at = now
    session.flush()
    return len(authors)


def forget_survey_orders(session: Session, now: datetime, months: int) -> int:
    """Survey orders older than `months` (imported, placed, delivered, last answered) lose their customer as an
    erasure would take it, and opt-outs older than that keep only the keyed hash of the address. Returns how many
    orders."""
    cutoff = months_before(now, months)
    orders = privacy_surveys.expired_orders(session, cutoff)
    privacy_surveys.forget_orders(session, orders, erased=False)
    privacy_surveys.expire_opt_outs(session, cutoff)
    return len(orders)


def purge_removed(session: Session, now: datetime, keep_days: int) -> int:
    """Drop the text of reviews removed more than `keep_days` ago. The row, its status and its reason stay."""
    removed_at = (
        select(ModerationEvent.mention_id, func.max(ModerationEvent.at).label("at"))
        .where(ModerationEvent.to_status.in_([S.REJECTED.value, S.WITHDRAWN.value]))
        .group_by(ModerationEvent.mention_id)
        .subquery()
    )
    mentions = list(
        session.scalars(
            select(Mention)
            .join(removed_at, removed_at.c.mention_id == Mention.id)
            .where(
                Mention.status.in_(REMOVED),
                removed_at.c.at < now - timedelta(days=keep_days),
                Mention.text.not_in([ERASED_TEXT, EXPIRED_TEXT]),
            )
        )
    )
    for mention in mentions:
        mention.text, mention.title, mention.url, mention.reply_text = EXPIRED_TEXT, None, None, None
    session.flush()
    return len(mentions)
