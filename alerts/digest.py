"""Digests: the alerts held back by fatigue control, summarised in one message once the quiet hours or the
cooldown are over, and a daily summary per brand. A digest is itself an outbox row: nothing held is lost."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from alerts.fatigue import DIGEST_ONLY_REASON, Fatigue
from models import Alert, AlertKind, Brand, Mention, MentionStatus, Source
from models.alert_payloads import DigestPayload, MentionPayload, Why


def make_digests(session: Session, now: datetime, fatigue: Fatigue, channel: str, daily_hour: int = 8) -> list[Alert]:
    if fatigue.quiet(now):
        return []
    made = []
    for brand in session.scalars(select(Brand)):
        held = session.scalars(
            select(Alert)
            .where(
                Alert.brand_id == brand.id,
                Alert.held_reason.is_not(None),
                Alert.digest_id.is_(None),
                Alert.sent_at.is_(None),
            )
            .order_by(Alert.id)
        ).all()
        local = now.astimezone(fatigue.timezone)
        daily_key = f"digest:daily:{brand.id}:{local:%Y-%m-%d}"
        daily_due = (
            local.hour >= daily_hour and session.scalar(select(Alert.id).where(Alert.dedupe_key == daily_key)) is None
        )
        ready = [
            a
            for a in held
            if (daily_due if a.held_reason == DIGEST_ONLY_REASON else a.held_reason == "quiet_hours")
            or (a.held_reason != DIGEST_ONLY_REASON and _cooled(session, a, now, fatigue))
        ]
        if not ready and not daily_due:
            continue
        key = daily_key if daily_due else f"digest:{brand.id}:{now:%Y%m%d%H%M%S}"
        digest = Alert(
            brand_id=brand.id,
            kind=AlertKind.DIGEST,
            dedupe_key=key,
            channel=channel,
            payload=_payload(session, brand, ready, now, daily_due).to_json(),
        )
        session.add(digest)
        session.flush()
        if ready:
            session.execute(
                update(Alert)
                .where(Alert.id.in_([a.id for a in ready]))
                .values(digest_id=digest.id)
                .execution_options(synchronize_session=False)
            )
        made.append(digest)
    return made


def _cooled(session: Session, alert: Alert, now: datetime, fatigue: Fatigue) -> bool:
    last = session.scalar(
        select(func.max(Alert.sent_at)).where(Alert.brand_id == alert.brand_id, Alert.kind == alert.kind)
    )
    return last is None or now - last >= fatigue.cooldown


def _payload(session: Session, brand: Brand, held: list[Alert], now: datetime, daily: bool) -> DigestPayload:
    counts = Counter(alert.kind.value for alert in held)
    parts = [f"{len(held)} alerts held back (quiet hours or cooldown)"] if held else []
    if daily:
        since = now - timedelta(days=1)
        statuses = dict(
            session.execute(
                select(Mention.status, func.count())
                .join(Source, Source.id == Mention.source_id)
                .where(Source.brand_id == brand.id, Mention.collected_at >= since)
                .group_by(Mention.status)
            ).all()
        )
        waiting = session.scalar(
            select(func.count())
            .select_from(Mention)
            .join(Source, Source.id == Mention.source_id)
            .where(Source.brand_id == brand.id, Mention.status == MentionStatus.TO_REPLY)
        )
        unhealthy = [
            s.name
            for s in session.scalars(select(Source).where(Source.brand_id == brand.id, Source.healthy.is_(False)))
        ]
        collected = sum(statuses.values())
        parts.append(f"last 24 h: {collected} mentions collected, {waiting} reviews waiting for a reply")
        if unhealthy:
            parts.append(f"unhealthy sources: {', '.join(unhealthy)}")
    return DigestPayload(
        text="; ".join(parts),
        counts=dict(counts),
        items=[MentionPayload.from_json(alert.payload) for alert in held[:20]],  # only alerts about a mention wait
        why=Why(rule="digest", reason="daily digest" if daily else "held alerts"),
    )
