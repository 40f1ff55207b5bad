"""The data model. Status columns are the work queues: each stage reads rows in one state and writes the next."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from models.alert_kinds import AlertKind
from models.reasons import RejectionReason


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC everywhere (SQLite keeps no zone), always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Veilleur stores aware UTC datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime}


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store values (lower-case words), not member names, so the database reads as the docs do.
    return Enum(cls, values_callable=lambda members: [m.value for m in members], native_enum=False, length=40)


class MentionKind(enum.StrEnum):
    REVIEW = "review"  # a rated customer review
    POST = "post"  # a social or web mention


class MentionStatus(enum.StrEnum):
    NEW = "new"
    CLASSIFIED = "classified"
    TO_PUBLISH = "to_publish"
    TO_REPLY = "to_reply"
    REJECTED = "rejected"
    WATCH = "watch"
    PUBLISHED = "published"
    REPLIED = "replied"
    WITHDRAWN = "withdrawn"
    # A watched mention a moderator has seen and closed (`queue dismiss`, `handled`): nothing more to do. The
    # column is a plain string (no CHECK constraint): a new member needs no migration.
    DISMISSED = "dismissed"


class Brand(Base):
    __tablename__ = "brand"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sources: Mapped[list[Source]] = relationship(back_populates="brand")


class Source(Base):
    """A place mentions come from, with the health of its last crawl (distinct from 'nothing new')."""

    __tablename__ = "source"
    __table_args__ = (UniqueConstraint("brand_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    own: Mapped[bool] = mapped_column(default=False)
    # The source's own form collected publication consent (e.g. the brand's review form): applies to all.
    consent: Mapped[bool] = mapped_column(default=False)
    # A competitor's public page (its name): its mentions are compared in reports, never moderated nor alerted.
    competitor: Mapped[str | None] = mapped_column(String(200))
    healthy: Mapped[bool] = mapped_column(default=True)
    health_reason: Mapped[str | None] = mapped_column(Text)
    last_crawl_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    brand: Mapped[Brand] = relationship(back_populates="sources")
    crawl_runs: Mapped[list[CrawlRun]] = relationship(back_populates="source")


class CrawlRun(Base):
    """One crawl of one source: what it saw, what was new, what went wrong."""

    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    items_seen: Mapped[int] = mapped_column(default=0)
    items_new: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    http_statuses: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[str] = mapped_column(String(20), default="running")  # running / ok / failed
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[Source] = relationship(back_populates="crawl_runs")


class Author(Base):
    """A pseudonymised author: the handle is a keyed hash, the display name is minimised (first name + initial)."""

    __tablename__ = "author"
    __table_args__ = (UniqueConstraint("source_kind", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(40))
    handle: Mapped[str] = mapped_column(String(64))
    # Personal data: kept for moderators (who is speaking?), removed by erasure; never published.
    name: Mapped[str | None] = mapped_column(String(300))
    display_name: Mapped[str | None] = mapped_column(String(200))
    # Personal data: an e-mail address from the brand's own survey, used only to tell the author of a rejection.
    contact: Mapped[str | None] = mapped_column(String(320))
    # Set when retention or an erasure request removed the person: nothing about them is kept but the handle.
    pseudonymised_at: Mapped[datetime | None]
    mentions: Mapped[list[Mention]] = relationship(back_populates="author")


class Mention(Base):
    """A review or a social post, as collected. Its text is never edited."""

    __tablename__ = "mention"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_mention_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[MentionKind] = mapped_column(_enum(MentionKind))
    url: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("author.id"))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[float | None]
    rating_best: Mapped[float | None]
    rating_worst: Mapped[float | None]
    rating_normalised: Mapped[float | None]  # 0-1 on the source's own scale
    language: Mapped[str | None] = mapped_column(String(12))
    published_at: Mapped[datetime | None]
    experienced_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_at: Mapped[datetime | None]
    verified_purchase: Mapped[bool] = mapped_column(default=False)
    order_ref: Mapped[str | None] = mapped_column(String(200))
    consent: Mapped[bool] = mapped_column(default=False)
    product: Mapped[str | None] = mapped_column(String(200), index=True)  # product reference, when known
    location: Mapped[str | None] = mapped_column(String(200))  # store or site, when known
    # How many people the source says the post reached (followers, points, score, likes): weighs it in the
    # crisis detector's negative share. None when the source gives no such figure.
    reach: Mapped[int | None]
    # Relevance to the brand (moderation/relevance): off-topic mentions are kept and shown apart, never counted
    # with the brand's (models/relevance.py). `relevance` is the encoder's score when one was computed;
    # `relevance_reason` says what decided: the query, the score against its threshold, or a moderator.
    off_topic: Mapped[bool] = mapped_column(default=False, server_default=false())
    relevance: Mapped[float | None]
    relevance_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MentionStatus] = mapped_column(_enum(MentionStatus), default=MentionStatus.NEW)
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(_enum(RejectionReason))
    # The reply workflow: when the brand's answer is due (SLA) and who is on it.
    reply_due_at: Mapped[datetime | None]
    assignee: Mapped[str | None] = mapped_column(String(200))
    # The publishing workflow: when automatic approval may publish it (None: a moderator must approve).
    publish_after: Mapped[datetime | None]
    # History, not news (moderation/backlog.py): collected by its source's first crawl or already older than
    # `[moderation] backfill_days`. Queued and counted like any other, but it raised no alert and its reply has
    # no deadline (one missed on arrival would only make noise).
    backlog: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[Source] = relationship()
    author: Mapped[Author | None] = relationship(back_populates="mentions")
    classifications: Mapped[list[Classification]] = relationship(back_populates="mention")
    events: Mapped[list[ModerationEvent]] = relationship(back_populates="mention")


class Classification(Base):
    """What a model said about a mention. Kept per model version, so reports can be recomputed."""

    __tablename__ = "classification"
    __table_args__ = (UniqueConstraint("mention_id", "model_name", "model_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mention.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(12))
    sentiment: Mapped[str] = mapped_column(String(10))
    stars: Mapped[float]
    toxic: Mapped[float]
    spam: Mapped[float]
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    mention: Mapped[Mention] = relationship(back_populates="classifications")


class ModerationEvent(Base):
    """The audit trail: who or what did what to a mention, when, and why."""

    __tablename__ = "moderation_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mention.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))  # "policy", "slack:U123", "cli:alice"
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mention: Mapped[Mention] = relationship(back_populates="events")


class Publication(Base):
    """A review shown on the brand's site: when, and whether it was later withdrawn."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mention.id"), unique=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    display_name: Mapped[str | None] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))  # "cli:alice", "slack:U1", "auto"
    mention: Mapped[Mention] = relationship()


class Alert(Base):
    """The outbox. A row is claimed by a conditional UPDATE before sending, so none is sent twice or lost."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("dedupe_key"), Index("ix_alert_pending", "sent_at", "failed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id"))
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mention.id"))
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind))
    # One alert per (kind, subject): a restarted router cannot queue the same alert twice.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(100))
    # The JSON of the kind's payload type (models/alert_kinds.py): built with `.to_json()`, read with read_payload.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivery_ref: Mapped[str | None] = mapped_column(String(200))  # Slack ts, or the sink line
    # Alert fatigue: an alert held back (quiet hours, cooldown) waits for a digest instead of being sent alone.
    held_reason: Mapped[str | None] = mapped_column(String(40))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))


class Correction(Base):
    """A moderator's correction of the classifier ("this is not abusive"): a training label for `model train`."""

    __tablename__ = "correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mention.id"), index=True)
    task: Mapped[str] = mapped_column(String(20))  # sentiment / stars / toxic / spam
    label: Mapped[str] = mapped_column(String(20))  # negative|neutral|positive, 1-5, 0|1
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """The outbox of messages to people outside the team (an author told why a review was rejected, a product
    owner told of a low rating). Sent by a notifier (e-mail over SMTP), retried, never sent twice."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mention.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookDelivery(Base):
    """A change of the published feed pushed to the brand's site (signed), retried until acknowledged."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id"))
    mention_id: Mapped[int] = mapped_column(ForeignKey("mention.id"), index=True)
    event: Mapped[str] = mapped_column(String(20))  # published / updated / withdrawn
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class MentionTopic(Base):
    """A topic of the customer journey found in a mention's text (reports/topics.py), computed once per mention
    and tagger version so a report over a million mentions only counts rows. A mention that matches no topic
    gets one row with topic "other" (its best score kept): it is tagged, and a weak-signal candidate."""

    __tablename__ = "mention_topic"
    __table_args__ = (UniqueConstraint("mention_id", "topic", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mention.id"), index=True)
    topic: Mapped[str] = mapped_column(String(60))
    score: Mapped[float]
    method: Mapped[str] = mapped_column(String(40))  # "embeddings" (e5-small) or "lexical" (the fallback)
    version: Mapped[str] = mapped_column(String(100))  # method, model and a hash of the topic settings
    # Aspect-level sentiment: the sentence(s) that speak of this topic and their sentiment (the shipped classifier
    # on those sentences, not the whole review). None on tags made before, or without a sentiment model.
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None]
    sentence: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlackSignature(Base):
    """A Slack request signature already accepted, kept until its timestamp is too old to pass anyway: a replayed
    click is refused even after a restart or by another `veilleur serve` process on the same database."""

    __tablename__ = "slack_signature"

    signature: Mapped[str] = mapped_column(String(100), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class InstanceSecret(Base):
    """A secret this installation generated for itself, kept with the data it protects (e.g. the key of the author
    pseudonyms when `[crawl] pseudonym_secret` is empty): backed up and restored with the database."""

    __tablename__ = "instance_secret"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """A failed console login, per key (client address, user name), kept for the rate limit's window only. The
    key is stored as a keyed hash: neither the address nor the name tried is kept."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class ConsoleSession(Base):
    """A console session open after a login, until logout or `expires_at`. The cookie is signed but a saved copy
    would outlive a logout: every request must find its session here. Kept as a hash of the cookie's id, so a
    copy of the table opens no session."""

    __tablename__ = "console_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ReportFile(Base):
    """A report written to disk (a file, or a folder of CSV tables) and the mentions it quotes, so that erasing
    a person can write again every report that quotes them (`rewrite_due_at` set) with the same brand, period
    and format."""

    __tablename__ = "report_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    brand_slug: Mapped[str] = mapped_column(String(100))
    start: Mapped[datetime]
    end: Mapped[datetime]
    format: Mapped[str] = mapped_column(String(8))
    quoted: Mapped[list[int]] = mapped_column(JSON)  # mention ids whose text the file holds
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    rewrite_due_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)


# Reports select a brand's mentions by source and date (published, else collected): one index serves both.
Index("ix_mention_source_when", Mention.source_id, func.coalesce(Mention.published_at, Mention.collected_at))
# The products watchlist reads each product's last reviews by date.
Index("ix_mention_product_when", Mention.product, func.coalesce(Mention.published_at, Mention.collected_at))
# A report at a date corrects its rolled-up deadline figures from the mentions replied or due after that date
# (models/rollups.py): few, found by these.
Index("ix_mention_reply_at", Mention.reply_at)
Index("ix_mention_reply_due_at", Mention.reply_due_at)
# A topic's tags of one tagger version, in the order a report quotes them (the rising-share weak signal: the best
# scores whatever their polarity, read until two are in the period): it also serves every (version, topic) lookup.
Index(
    "ix_mention_topic_ranked",
    MentionTopic.version,
    MentionTopic.topic,
    MentionTopic.score.desc(),
    MentionTopic.mention_id,
)
# The report's backlog counts what is still open and dated before the period, or marked as history (few) and dated
# in it: each half is a range of an index (the history marks alone would otherwise mean reading every mention).
Index(
    "ix_mention_history_when",
    Mention.source_id,
    func.coalesce(Mention.published_at, Mention.collected_at),
    postgresql_where=Mention.backlog,
    sqlite_where=Mention.backlog,
)
# A report's exact median reply times read every answered review of both periods: on PostgreSQL from this index
# alone (an index-only scan: a third of the reviews, without reading the mentions' pages).
Index(
    "ix_mention_replied_when",
    Mention.source_id,
    func.coalesce(Mention.published_at, Mention.collected_at),
    postgresql_where=and_(Mention.kind == MentionKind.REVIEW, Mention.reply_at.is_not(None)),
    sqlite_where=and_(Mention.kind == MentionKind.REVIEW, Mention.reply_at.is_not(None)),
    postgresql_include=["published_at", "collected_at", "reply_at", "product", "location"],
)
# A report counts the reviews past their reply deadline per assignee: those never answered from this index alone.
Index(
    "ix_mention_unanswered",
    Mention.reply_due_at,
    postgresql_where=and_(Mention.reply_due_at.is_not(None), Mention.reply_at.is_(None), Mention.reply_text.is_(None)),
    sqlite_where=and_(Mention.reply_due_at.is_not(None), Mention.reply_at.is_(None), Mention.reply_text.is_(None)),
    postgresql_include=["source_id", "off_topic", "status", "assignee"],
)
# A report's quoted examples: each topic's clearest tags of one polarity, read in score order until enough.
Index(
    "ix_mention_topic_examples",
    MentionTopic.version,
    MentionTopic.topic,
    MentionTopic.sentiment,
    MentionTopic.score,
    MentionTopic.mention_id,
)
