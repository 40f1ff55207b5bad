"""The worker's crisis check: per brand x source, and per brand x topic once mentions are tagged, counts of
stored mentions in 5-minute bins through the same detector `veilleur signals replay` measures, and the negative
share against its baseline. Two tiers: a spike (a 30-minute burst) waits for the daily digest; a crisis (the burst
persisted) is sent at once. Either says what rose, by how much against what is usual for this hour and weekday,
since when, the mentions that reached most people, and the negative share then and before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased

from alerts.crisis import CrisisDetector, CrisisSettings, Spike, Tier
from alerts.fatigue import DIGEST_ONLY, DIGEST_ONLY_REASON
from alerts.negative_share import ShareRise, Shares, negative_share_rise
from models import Alert, AlertKind, Classification, Mention, MentionTopic, Source
from models.alert_payloads import CrisisPayload, TopMention, Why
from models.relevance import on_topic

BIN = timedelta(minutes=5)
OTHER_TOPIC = "other"  # mentions that matched no topic: not a series of their own


@dataclass(frozen=True)
class Series:
    """One count series the detector watches: a source, or a topic across a brand's sources."""

    key: str  # in the alert's dedupe key: "source:12" or "topic:3:delivery"
    brand_id: int
    scope: tuple[ColumnElement[bool], ...]  # which mentions count
    label: tuple[tuple[str, str], ...]  # what the alert says it is about


def source_series(source: Source) -> Series:
    return Series(
        f"source:{source.id}",
        source.brand_id,
        (Mention.source_id == source.id, on_topic()),
        (("source", source.name), ("source_kind", source.kind)),
    )


def topic_series(session: Session) -> list[Series]:
    """One series per brand and topic found in its mentions (any tagger version; a mention counts once)."""
    rows = session.execute(
        select(Source.brand_id, MentionTopic.topic)
        .join(Mention, Mention.id == MentionTopic.mention_id)
        .join(Source, Source.id == Mention.source_id)
        .where(MentionTopic.topic != OTHER_TOPIC)
        .distinct()
        .order_by(Source.brand_id, MentionTopic.topic)
    ).all()
    series = []
    for brand_id, topic in rows:
        sources = select(Source.id).where(Source.brand_id == brand_id, Source.competitor.is_(None))
        tagged = exists().where(MentionTopic.mention_id == Mention.id, MentionTopic.topic == topic)
        series.append(
            Series(
                f"topic:{brand_id}:{topic}",
                brand_id,
                (Mention.source_id.in_(sources), tagged, on_topic()),
                (("source", "all sources"), ("topic", topic)),
            )
        )
    return series


def _when():  # type: ignore[no-untyped-def]
    return func.coalesce(Mention.published_at, Mention.collected_at)


def _bins(session: Session, series: Series, start: datetime, end: datetime) -> tuple[list[datetime], list[int]]:
    times = [start + index * BIN for index in range(int((end - start) / BIN))]
    counts = [0] * len(times)
    for (moment,) in session.execute(select(_when()).where(*series.scope, _when() >= start, _when() < end)):
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        counts[int((moment - start) / BIN)] += 1
    return times, counts


def _last(session: Session, series: Series, kind: AlertKind) -> datetime | None:
    return session.scalar(
        select(func.max(Alert.created_at)).where(Alert.kind == kind, Alert.dedupe_key.like(f"{kind}:{series.key}:%"))
    )


def _top_mentions(
    session: Session, series: Series, since: datetime, limit: int = 3, by_reach: bool = False
) -> list[TopMention]:
    rows = session.scalars(
        select(Mention).where(*series.scope, _when() >= since).order_by(_when().desc()).limit(200 if by_reach else 50)
    ).all()
    if by_reach:
        # A volume crisis: the mentions that reached most people first (a post seen by 100,000 drives the wave).
        ordered = sorted(rows, key=lambda m: -(m.reach or 0))
    else:
        # Those waiting for an answer first, then the lowest rated.
        ordered = sorted(rows, key=lambda m: (m.reply_due_at is None, m.rating_normalised or 0.5))
    return [TopMention(text=m.text[:300], url=m.url, rating=m.rating, reach=m.reach) for m in ordered[:limit]]


def detector_settings(settings: Any) -> CrisisSettings:
    """The worker's `[signals]` as the detector's settings (what `signals replay` runs with by default)."""
    return CrisisSettings(
        window_bins=settings.window_minutes // 5,
        days=settings.days,
        weeks=settings.weeks,
        p_value=settings.p_value,
        min_count=settings.min_count,
        min_ratio=settings.min_ratio,
        max_share=settings.max_share,
        cooldown_hours=settings.cooldown_hours,
        persist_ratio=settings.persist_ratio,
    )


def _usual_for(spike: Spike) -> str:
    end = spike.since + timedelta(minutes=spike.window_minutes)
    return f"{spike.since:%A %H:%M}-{end:%H:%M} UTC"


def check_series(
    session: Session, series: Series, now: datetime, settings: Any, channel: str, horizon: timedelta
) -> list[Alert]:
    """Crisis and spike alerts for one series whose burst was seen within `horizon` of `now` (the last check)."""
    end = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 5)
    # The history the detector's baselines need: `days` for the time of day, `weeks` for the time of week.
    start = end - timedelta(days=max(settings.days, 7 * settings.weeks) + 1)
    times, counts = _bins(session, series, start, end)
    last = _last(session, series, AlertKind.CRISIS)
    detector = CrisisDetector(detector_settings(settings), last_alert=last)
    detector.last_spike = _last(session, series, AlertKind.SPIKE)
    found: dict[Tier, Spike] = {}
    for at, count in zip(times, counts, strict=True):
        for event in detector.update(at, count):
            if at >= end - horizon:
                found[event.tier] = event
    alerts = [_volume_alert(session, series, channel, spike) for spike in found.values()]
    rise = _negative_share(session, series, end, settings)
    if rise is not None and (last is None or now - last >= timedelta(hours=settings.cooldown_hours)):
        since = end - timedelta(hours=settings.share_hours)
        alerts.append(
            _alert(
                series,
                f"crisis:{series.key}:share:{end:%Y%m%d%H}",
                channel,
                CrisisPayload(
                    what="negative share",
                    text=rise.describe(),
                    since=since.isoformat(),
                    top_mentions=_top_mentions(session, series, since),
                ),
                kind=AlertKind.CRISIS,
            )
        )
    for alert in alerts:
        if session.scalar(select(Alert.id).where(Alert.dedupe_key == alert.dedupe_key)) is None:
            session.add(alert)
    return alerts


def _volume_alert(session: Session, series: Series, channel: str, spike: Spike) -> Alert:
    tier = spike.tier
    since = spike.since.replace(tzinfo=spike.since.tzinfo or UTC)
    then = _shares(session, series, since, since + timedelta(hours=24))
    before = _shares(session, series, since - timedelta(days=7), since)
    return _alert(
        series,
        f"{tier}:{series.key}:{spike.since:%Y%m%d%H%M}",
        channel,
        CrisisPayload(
            what="mention volume",
            text=spike.describe(),
            count=spike.count,
            expected=round(spike.expected, 1),
            ratio=round(spike.ratio, 1),
            usual_for=_usual_for(spike),
            since=spike.since.isoformat(),
            top_mentions=_top_mentions(session, series, since, by_reach=True),
            **({"negative_share": round(then.share, 3)} if then.weight else {}),
            **({"negative_share_before": round(before.share, 3)} if before.weight else {}),
        ),
        kind=AlertKind.CRISIS if tier == Tier.CRISIS else AlertKind.SPIKE,
    )


def _shares(session: Session, series: Series, start: datetime, stop: datetime) -> Shares:
    """Sentiment of the mentions published in [start, stop), each by its latest classification."""
    inner = aliased(Classification)
    latest = select(func.max(inner.id)).where(inner.mention_id == Mention.id).correlate(Mention).scalar_subquery()
    rows = session.execute(
        select(Classification.sentiment, Mention.reach, func.count())
        .join(Mention, Mention.id == Classification.mention_id)
        .where(*series.scope, _when() >= start, _when() < stop, Classification.id == latest)
        .group_by(Classification.sentiment, Mention.reach)
    ).all()
    counted = Shares()
    for sentiment, reach, n in rows:
        counted.add(sentiment, reach, n)
    return counted


def _negative_share(session: Session, series: Series, end: datetime, settings: Any) -> ShareRise | None:
    recent_start = end - timedelta(hours=settings.share_hours)
    past_start = recent_start - timedelta(days=settings.days)
    return negative_share_rise(
        _shares(session, series, recent_start, end),
        _shares(session, series, past_start, recent_start),
        settings.share_z,
        settings.share_min_mentions,
        settings.share_min_rise,
    )


def _alert(series: Series, key: str, channel: str, crisis: CrisisPayload, kind: AlertKind) -> Alert:
    # What the series is about (a source and its kind, or a topic), what was seen, and the reason it gives.
    why = Why(rule=kind.value, reason=crisis.text)
    payload = CrisisPayload.from_json({**dict(series.label), **crisis.to_json(), "why": why.to_json()})
    # A spike waits for the daily digest from the start: it never goes out alone (models/alert_kinds.py).
    held = DIGEST_ONLY_REASON if kind in DIGEST_ONLY else None
    return Alert(
        brand_id=series.brand_id,
        kind=kind,
        dedupe_key=key,
        channel=channel,
        payload=payload.to_json(),
        held_reason=held,
    )


def watch_crises(session: Session, settings: Any, channel: str, now: datetime | None = None) -> list[Alert]:
    now = now or datetime.now(UTC)
    # A spike first seen up to two hours ago is still news if no check reported it (the worker was down);
    # the cooldown and the dedupe key keep it from being reported twice.
    horizon = max(timedelta(minutes=settings.check_minutes * 2), timedelta(hours=2))
    # A competitor's crisis is not the brand's: its sources are compared in reports, never watched.
    own = select(Source).where(Source.competitor.is_(None))
    watched = [source_series(source) for source in session.scalars(own)] + topic_series(session)
    alerts = []
    for series in watched:
        alerts += check_series(session, series, now, settings, channel, horizon)
    return alerts
