"""The post-purchase survey's tables (surveys/): the brand's orders, the invitations sent about them (an outbox),
the one answer per order, and the addresses that must never be written to again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.schema import Base, utcnow

# What an order keeps of its customer's address once the person is erased or the retention period is over
# (moderation/privacy_surveys.py): its links open nothing and it is never written to again.
FORGOTTEN = "[effacé / erased]"
ERASED = "erased"  # SurveyOrder.skipped of an order whose customer was erased before it was asked


class SurveyOrder(Base):
    """An order of the brand's, imported (file or signed endpoint) so that its customer can be asked about it."""

    __tablename__ = "survey_order"
    __table_args__ = (UniqueConstraint("brand_id", "order_ref"), Index("ix_survey_order_email", "brand_id", "email"))

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id"))
    order_ref: Mapped[str] = mapped_column(String(150))
    campaign: Mapped[str] = mapped_column(String(100))
    ordered_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]  # None until the brand says it arrived: nobody is asked before that
    # Personal data, kept for the invitation only; compared case-folded (stored so). FORGOTTEN once erased.
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))  # "fr" or "en": the invitation's and the form's
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why this order will never get an invitation ("cap", "opted out", "stale", ERASED): counted by the reports.
    skipped: Mapped[str | None] = mapped_column(String(40))


class SurveyMessage(Base):
    """An invitation or its one reminder, queued then sent through SMTP (the outbox of models/outbox.py)."""

    __tablename__ = "survey_message"
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("survey_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "invitation" or "reminder"
    # The address; once sent and the person erased, its keyed hash (models/identity.py address_key): the cap counts it.
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SurveyAnswer(Base):
    """The customer's answer to the hosted form: one per order, editable for a while, then filed as a review."""

    __tablename__ = "survey_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("survey_order.id"), unique=True)
    stars: Mapped[int]
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    nps: Mapped[int | None]  # 0-10: how likely to recommend
    csat: Mapped[int | None]  # 1-5: satisfied with the purchase
    ces: Mapped[int | None]  # 1-7: how easy it was
    experienced_at: Mapped[datetime]
    consent: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when it became a review (the edit window over): the review is stored once, never edited after.
    filed_at: Mapped[datetime | None] = mapped_column(index=True)
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mention.id"))


class SurveyOptOut(Base):
    """An address that is never written to again: unsubscribed (one click), bounced or complained. Kept."""

    __tablename__ = "survey_opt_out"
    __table_args__ = (UniqueConstraint("brand_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id"))
    # Case-folded; after the person's erasure or the retention period, its keyed hash (identity.address_key).
    email: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(20))  # "unsubscribe", "bounce" or "complaint"
    at: Mapped[datetime] = mapped_column(default=utcnow)
