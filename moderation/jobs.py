"""The classify and route stages. Each reads mentions in one status and writes the next, in small
transactions, so a crash loses nothing and a restart redoes only the unfinished batch. Each transaction claims its
mentions (models/claims.py): on PostgreSQL any number of workers share the queue, each mention done once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models import Alert, AlertKind, Classification, Mention, MentionStatus, ModerationEvent, Source, utcnow
from models.alert_payloads import AuthorView, MentionPayload, RecentPost, Why
from models.claims import claim, insert_once
from moderation import notify
from moderation.backlog import history_reason
from moderation.classifier.base import Classifier, Prediction
from moderation.language import detect_language
from moderation.policy import Decision, MentionFacts, Thresholds, decide
from moderation.relevance.judge import Relevance
from moderation.threats import Danger, find_danger
from moderation.trolls import AuthorSignals, author_activity

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Rules:
    """The routing rules from `[moderation]`: none of them looks at sentiment for publication."""

    reply_sla: timedelta = timedelta(hours=24)
    publishing: str = "one_click"  # or "auto"
    auto_approve_after: timedelta = timedelta(hours=24)
    auto_sample_share: float = 0.1
    low_rating: float = 3.0  # on 5
    product_owners: dict[str, str] = field(default_factory=dict)
    console_url: str = ""  # `[serve] public_url`: alerts link to the review in the console
    # History is not news (moderation/backlog.py): older than this when collected (None: only the first crawl).
    backfill: timedelta | None = None
    # An automatic rejection waits this long for a moderator's undo before it is final and the author is told.
    hold_auto_reject: timedelta = timedelta(0)

    def console_link(self, mention_id: int) -> str | None:
        return f"{self.console_url.rstrip('/')}/console/review/{mention_id}" if self.console_url else None

    def publish_after(self, mention_id: int, now: datetime) -> datetime | None:
        """When automatic approval may publish this review; None holds it for a moderator (one-click mode, or
        the sampled share). The sample is a hash of the id: reproducible, and blind to what the review says."""
        if self.publishing != "auto":
            return None
        draw = int(hashlib.sha256(f"sample:{mention_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        return None if draw < self.auto_sample_share else now + self.auto_approve_after


def classify_pending(
    sessions: sessionmaker[Session],
    classifier: Classifier,
    batch_size: int = 32,
    progress: Progress | None = None,
    relevance: Relevance | None = None,
) -> int:
    """Classify every NEW mention, and judge its relevance to its brand (before routing: an off-topic mention
    must never alert). Returns how many this process classified."""
    done = 0
    while True:
        with sessions.begin() as session:
            batch = session.scalars(
                claim(select(Mention).where(Mention.status == MentionStatus.NEW).order_by(Mention.id).limit(batch_size))
            ).all()
            if not batch:
                return done
            texts = [_model_text(mention) for mention in batch]
            rows = []
            for mention, text, prediction in zip(batch, texts, classifier.predict(texts), strict=True):
                language = mention.language or detect_language(text)
                mention.language = mention.language or language
                rows.append(
                    {
                        "mention_id": mention.id,
                        "model_name": classifier.name,
                        "model_version": classifier.version,
                        "language": language,
                        "sentiment": prediction.polarity,
                        "stars": prediction.stars,
                        "toxic": prediction.toxic,
                        "spam": prediction.spam,
                        "scores": prediction.scores(),
                    }
                )
                mention.status = MentionStatus.CLASSIFIED
            if relevance is not None:
                relevance.judge(session, batch)
            # The claim keeps other workers off these mentions; should one have stored a classification anyway
            # (SQLite ignores the claim), the stored one stays and this process carries on.
            insert_once(session, Classification, rows)
        done += len(batch)
        if progress:
            progress(len(batch))


def _model_text(mention: Mention) -> str:
    # The title often carries the verdict ("Never again"); the model reads both, the stored text is untouched.
    return f"{mention.title}. {mention.text}" if mention.title else mention.text


def route_classified(
    sessions: sessionmaker[Session], thresholds: Thresholds, channel: str, rules: Rules | None = None
) -> int:
    """Route every CLASSIFIED mention by the policy, with an audit event and, if due, an outbox alert."""
    rules = rules or Rules()
    routed = 0
    while True:
        with sessions.begin() as session:
            mention = session.scalar(
                claim(select(Mention).where(Mention.status == MentionStatus.CLASSIFIED).order_by(Mention.id).limit(1))
            )
            if mention is None:
                return routed
            classification = session.scalars(
                select(Classification)
                .where(Classification.mention_id == mention.id)
                .order_by(Classification.id.desc())
                .limit(1)
            ).one()
            source = session.get_one(Source, mention.source_id)
            author = author_activity(session, mention, utcnow())
            facts, prediction = _facts(mention, source, author), _prediction(classification)
            decision = decide(facts, prediction, thresholds)
            danger = find_danger(_model_text(mention))
            if mention.off_topic:
                # Kept and shown apart (moderation/relevance), never alerted, answered or sent to an owner: a
                # threat in a post about something else is not addressed to the brand either.
                decision = Decision(MentionStatus.WATCH, "off_topic", mention.relevance_reason or "off-topic")
                danger = None
            if source.competitor:
                # A competitor's review: compared in the reports, not the brand's to moderate, answer, publish or
                # alert on (its author never hears from us either). Dismissed: in no queue.
                decision = Decision(MentionStatus.DISMISSED, "competitor", f"a review of {source.competitor}")
                danger = None
            history = history_reason(session, mention, rules.backfill)
            # Where it would wait without the abuse and spam scores: an undone automatic rejection goes back there.
            unflagged = replace(prediction, toxic=0.0, spam=0.0)
            fallback = decide(facts, unflagged, thresholds) if decision.rejection else None
            route = Route(_safety_net(decision, history, danger), fallback, history, danger)
            _apply(session, mention, source, classification, route, channel, author, rules)
        routed += 1


def _safety_net(decision: Decision, history: str | None, danger: Danger | None) -> Decision:
    """The policy's decision with what the router knows besides. A threat or hate reaches a human even from history
    or rejected, in its own kind that nothing holds back (models/alert_kinds.py), in place of the policy's alert
    rather than beside it. History raises nothing else: it is in its queue and in the reports, not news."""
    if danger is not None:
        return replace(decision, alert=AlertKind.THREAT, reason=f"{danger.reason}; {decision.reason}")
    if history is not None:
        return replace(decision, alert=None)
    return decision


@dataclass(frozen=True)
class Route:
    """What the router decided, and what it knows besides the policy's decision."""

    decision: Decision  # the policy's, through the safety net
    fallback: Decision | None  # for an automatic rejection: where the mention waits if a moderator undoes it
    history: str | None  # why it is history, not news (no alert, no reply deadline), or None
    danger: Danger | None  # a threat or hate: always alerted


def _facts(mention: Mention, source: Source, author: AuthorSignals) -> MentionFacts:
    rating = f"{mention.rating:g}/{mention.rating_best or 5:g}" if mention.rating is not None else None
    return MentionFacts(mention.kind.value, source.own, mention.consent, mention.rating_normalised, author, rating)


def _prediction(classification: Classification) -> Prediction:
    sentiment = classification.scores.get("sentiment", {})
    return Prediction(dict(sentiment), classification.stars, classification.toxic, classification.spam)


def _reply_due(mention: Mention, decision: Decision, history: str | None, rules: Rules) -> datetime | None:
    """Within the SLA from when the review was written (or collected); history has none (moderation/backlog.py)."""
    if not decision.needs_reply or history is not None:
        return None
    return (mention.published_at or mention.collected_at) + rules.reply_sla


def _apply(
    session: Session,
    mention: Mention,
    source: Source,
    classification: Classification,
    route: Route,
    channel: str,
    author: AuthorSignals,
    rules: Rules,
) -> None:
    now = utcnow()
    decision, history, danger = route.decision, route.history, route.danger
    reply_due = _reply_due(mention, decision, history, rules)
    publish_after = rules.publish_after(mention.id, now) if decision.status == MentionStatus.TO_PUBLISH else None
    if danger is not None:
        publish_after = None  # a threat under the abuse threshold is never published without a moderator
    owner = None if mention.off_topic or source.competitor else _product_owner(mention, rules)
    held_until = now + rules.hold_auto_reject if decision.rejection and rules.hold_auto_reject else None
    # Conditional update: if another worker routed this mention first, we change nothing.
    changed = session.execute(
        update(Mention)
        .where(Mention.id == mention.id, Mention.status == MentionStatus.CLASSIFIED)
        .values(
            status=decision.status,
            rejection_reason=decision.rejection,
            reply_due_at=reply_due,
            publish_after=publish_after,
            assignee=owner or mention.assignee,
            backlog=history is not None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        return
    details: dict[str, Any] = {
        "rule": decision.rule,
        "score": decision.score,
        "threshold": decision.threshold,
        "model": f"{classification.model_name}@{classification.model_version}",
        "publish_after": publish_after.isoformat() if publish_after else None,
        "held_for_moderator": decision.status == MentionStatus.TO_PUBLISH and publish_after is None,
        "product_owner": owner,
        "history": history,
        "danger": danger.reason if danger else None,
    }
    if held_until is not None and route.fallback is not None:
        # Until then a moderator can undo the automatic rejection (moderation/workflow.py): back to this queue.
        details["held_until"] = held_until.isoformat()
        details["undo"] = {
            "status": route.fallback.status.value,
            "reply_due_at": _iso(_reply_due(mention, route.fallback, history, rules)),
        }
    session.add(
        ModerationEvent(
            mention_id=mention.id,
            at=now,
            actor="policy",
            action="route",
            from_status=MentionStatus.CLASSIFIED.value,
            to_status=decision.status.value,
            reason=decision.reason,
            details=details,
        )
    )
    kind = decision.alert  # the safety net's (_safety_net): a threat always, history never
    if kind is not None:
        session.add(
            Alert(
                brand_id=source.brand_id,
                mention_id=mention.id,
                kind=kind,
                dedupe_key=f"{kind.value}:mention:{mention.id}",
                channel=channel,
                payload=MentionPayload(
                    mention_id=mention.id,
                    reply_due=reply_due.isoformat() if reply_due else None,
                    console_url=rules.console_link(mention.id),
                    source=source.name,
                    source_kind=source.kind,
                    url=mention.url,
                    title=mention.title,
                    text=mention.text,
                    rating=mention.rating,
                    rating_best=mention.rating_best,
                    reach=mention.reach,
                    language=classification.language,
                    why=Why.model_validate({**details, "reason": decision.reason}),
                    author=_author_view(mention, author),
                ).to_json(),
            )
        )

    if owner is not None or decision.rejection is not None:
        session.refresh(mention)
    if owner is not None and history is None:  # assigned either way; an e-mail about an old review is not news
        notify.queue_owner_notice(session, mention, owner)
    if decision.rejection is not None:
        # DESIGN.md rule 2; held automatic rejections are told once the hold is over (and not at all if undone).
        notify.queue_rejection_notice(session, mention, decision.rejection, not_before=held_until)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _product_owner(mention: Mention, rules: Rules) -> str | None:
    """The owner of the product, when this review of it is rated `low_rating` or less (on a 5-point scale)."""
    if mention.product is None or mention.rating_normalised is None:
        return None
    if 1 + 4 * mention.rating_normalised > rules.low_rating + 1e-9:
        return None
    return rules.product_owners.get(mention.product)


def _author_view(mention: Mention, author: AuthorSignals) -> AuthorView | None:
    """Who is speaking: the minimised name, the pseudonymous handle, the signals and the recent posts."""
    if mention.author is None:
        return None
    return AuthorView(
        display_name=mention.author.display_name,
        handle=mention.author.handle[:12],
        signals=author.reasons(),
        recent=[RecentPost.from_json(post) for post in author.recent],
    )
