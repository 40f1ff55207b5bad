"""The daily rollups (models/rollups.py) give the report the same figures as its row-level path, and stay equal
to a rebuild from rows whatever writes the mentions (classification, re-classification, tagging, moderation,
deletion), on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import (
    Brand,
    Classification,
    Mention,
    MentionDay,
    MentionKind,
    MentionStatus,
    MentionTopic,
    RejectionReason,
    RollupChange,
    Source,
)
from models.rollups import check, rebuild, refresh
from reports import collect, html, rollup_figures
from reports.build import Options, build_report
from reports.topics import topics_from

# Europe's clocks go forward on 2026-03-29 and back on 2026-10-25: days are UTC days whatever the local clock.
FIRST = datetime(2026, 1, 20, tzinfo=UTC)
DAYS = 120
TOPICS = [t.name for t in topics_from([])]
RATINGS = (None, 0.0, 0.25, 0.5, 0.75, 1.0, 0.875, 0.1, 2 / 3, 8 / 9)
PRODUCTS = (None, "", "P1", "P2", "P3")
LOCATIONS = (None, "Paris", "Lyon")


def _moment(rng: random.Random) -> datetime:
    day = FIRST + timedelta(days=rng.randrange(DAYS))
    # Around midnight too: the edges of a day are where a wrong bucket shows.
    return (
        day
        + rng.choice((timedelta(0), timedelta(seconds=1), timedelta(hours=23, minutes=59, seconds=59)))
        + (timedelta(minutes=rng.randrange(1440)) if rng.random() < 0.5 else timedelta(0))
    )


def _mention(rng: random.Random, source: Source, number: int) -> Mention:
    when = _moment(rng)
    review = rng.random() < 0.7
    due = when + timedelta(hours=rng.choice((12, 24, 72, 24 * 40))) if review and rng.random() < 0.5 else None
    reply_at = when + timedelta(hours=rng.choice((1, 20, 30, 24 * 50))) if review and rng.random() < 0.5 else None
    status = rng.choice(list(MentionStatus))
    return Mention(
        source=source,
        external_id=f"m{number}",
        kind=MentionKind.REVIEW if review else MentionKind.POST,
        text=f"mention {number} livraison service prix",
        rating_normalised=rng.choice(RATINGS) if review else None,
        published_at=when if rng.random() < 0.8 else None,
        collected_at=when + timedelta(hours=rng.choice((0, 1, 30))),
        reply_at=reply_at,
        reply_text="merci" if reply_at or rng.random() < 0.1 else None,
        reply_due_at=due,
        status=status,
        rejection_reason=rng.choice(list(RejectionReason)) if status == MentionStatus.REJECTED else None,
        product=rng.choice(PRODUCTS),
        location=rng.choice(LOCATIONS),
        off_topic=rng.random() < 0.1,
        backlog=rng.random() < 0.15,
    )


def _classify(session: Session, rng: random.Random, mention: Mention, version: str) -> None:
    session.add(
        Classification(
            mention=mention,
            model_name="sentiment",
            model_version=version,
            sentiment=rng.choice(("negative", "neutral", "positive")),
            stars=3.0,
            toxic=0.0,
            spam=0.0,
        )
    )


def _tag(session: Session, rng: random.Random, mention: Mention, version: str) -> None:
    for topic in rng.sample(TOPICS, k=rng.choice((1, 2))):
        session.add(
            MentionTopic(
                mention_id=mention.id,
                topic=topic,
                score=rng.choice((0.5, 0.7, 0.9)),
                method="lexical",
                version=version,
                sentiment=rng.choice((None, "negative", "positive", "neutral")),
                sentence="livraison",
            )
        )


def load(sessions: sessionmaker[Session], seed: int = 22, count: int = 700) -> None:
    rng = random.Random(seed)
    with sessions.begin() as session:
        sources = []
        for slug in ("acme", "zenith"):
            brand = Brand(slug=slug, name=slug.title())
            sources += [Source(brand=brand, name=f"{slug}-{n}", kind="feed") for n in range(3)]
        session.add_all(sources)
        mentions = [_mention(rng, rng.choice(sources), n) for n in range(count)]
        session.add_all(mentions)
        session.flush()
        for mention in mentions:
            if rng.random() < 0.85:
                _classify(session, rng, mention, "1")
            if rng.random() < 0.8:
                _tag(session, rng, mention, "lexical-v1")
    with sessions.begin() as session:  # a new model version re-classifies some: the latest counts
        for mention in session.scalars(select(Mention).where(Mention.id % 5 == 0)):
            _classify(session, rng, mention, "2")
    with sessions.begin() as session:  # deleted mentions leave the counts
        doomed = list(session.scalars(select(Mention.id).where(Mention.id % 17 == 0)))
        for table in (Classification, MentionTopic):
            session.execute(delete(table).where(table.mention_id.in_(doomed)))
        session.execute(delete(Mention).where(Mention.id.in_(doomed)))


def _same(a: Any, b: Any, path: str = "report") -> None:
    """Equal, floats to 1e-9 relative: a sum of ratings is added in another order from rollups."""
    if path.endswith(".reply_hours"):
        # PostgreSQL sends the two middle values only (reports/rollup_figures.reply_medians): the same median.
        assert (median(a) if a else None) == (median(b) if b else None), f"{path}: {a} != {b}"
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9), f"{path}: {a} != {b}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _both(sessions: sessionmaker[Session], slug: str, start: datetime, end: datetime, now: datetime) -> list[Any]:
    built = []
    for rollups in (True, False):
        with sessions.begin() as session:
            options = Options(topics=topics_from([]), rollups=rollups, min_sample=5)
            built.append(build_report(session, slug, start, end, options, now=now))
    return built


def test_the_report_from_rollups_has_the_row_level_figures(sessions):
    load(sessions)
    periods = [
        # a month across the spring DST change, read while it runs (deadlines judged mid-month)
        (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 3, 18, 15, tzinfo=UTC)),
        # a past week, and a long span (weekly trend buckets) with everything before it
        (datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC)),
        (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 5, 10, tzinfo=UTC), datetime(2026, 5, 2, 7, tzinfo=UTC)),
    ]
    for slug in ("acme", "zenith"):
        for start, end, now in periods:
            fast, rows = _both(sessions, slug, start, end, now)
            assert fast.total.current.mentions > 0
            _same(dataclasses.asdict(fast), dataclasses.asdict(rows), f"{slug} {start:%F}")
            assert html.render(fast, slug) == html.render(rows, slug)


def test_only_the_shown_products_and_locations_are_read_and_they_have_the_row_level_figures(sessions, monkeypatch):
    # Two shown of three products and of two locations: the rollup path reads the medians (and counts) of the
    # shown ones only; the report still equals the row path's, which computes every group.
    for module in (collect, rollup_figures):
        monkeypatch.setattr(module, "TOP_GROUPS", 2)
    load(sessions)
    start, end = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    fast, rows = _both(sessions, "acme", start, end, end)
    assert len(fast.products) == len(fast.locations) == 2
    assert all(g.current.reply_hours for g in [*fast.products, *fast.locations])
    _same(dataclasses.asdict(fast), dataclasses.asdict(rows))


def test_a_period_not_in_whole_days_is_counted_from_rows(sessions):
    load(sessions, count=200)
    start, end = datetime(2026, 3, 1, 6, tzinfo=UTC), datetime(2026, 3, 20, 6, tzinfo=UTC)
    fast, rows = _both(sessions, "acme", start, end, end)
    _same(dataclasses.asdict(fast), dataclasses.asdict(rows))


def _rollup_rows(session: Session) -> int:
    return int(session.scalar(select(func.count(MentionDay.id))) or 0)


def test_writes_keep_the_rollups_equal_to_a_rebuild(sessions):
    load(sessions, count=300)
    rng = random.Random(5)
    with sessions.begin() as session:
        refresh(session)
        assert check(session) == []
        assert session.scalar(select(func.count(RollupChange.id))) == 0
    # Classification of new mentions, a re-classification, tagging, moderation, a reply, an erasure, a purge.
    with sessions.begin() as session:
        source = session.scalars(select(Source)).first()
        fresh = [_mention(rng, source, 1000 + n) for n in range(20)]
        session.add_all(fresh)
        session.flush()
        for mention in fresh:
            _classify(session, rng, mention, "1")
            _tag(session, rng, mention, "lexical-v2")
    with sessions.begin() as session:
        for mention in session.scalars(select(Mention).where(Mention.id % 7 == 0)):
            _classify(session, rng, mention, "3")
        session.execute(update(Mention).where(Mention.id % 3 == 0).values(status=MentionStatus.REJECTED))
        session.execute(
            update(Mention)
            .where(Mention.id % 4 == 1)
            .values(reply_at=datetime(2026, 6, 1, tzinfo=UTC), reply_text="ok")
        )
        session.execute(update(Mention).where(Mention.id % 11 == 0).values(off_topic=True, product="P9"))
        session.execute(
            update(Mention).where(Mention.id % 13 == 0).values(published_at=datetime(2026, 3, 29, 1, tzinfo=UTC))
        )
        doomed = list(session.scalars(select(Mention.id).where(Mention.id % 9 == 0)))
        session.execute(delete(MentionTopic).where(MentionTopic.mention_id.in_(doomed)))
        session.execute(delete(Classification).where(Classification.mention_id.in_(doomed)))
        session.execute(delete(Mention).where(Mention.id.in_(doomed)))
    with sessions.begin() as session:
        # Before a refresh the stored rollups lag (the check refreshes: compare by hand)...
        stale = {row for row in session.execute(select(MentionDay.source_id, MentionDay.day, MentionDay.mentions))}
        refreshed = refresh(session)
        assert refreshed > 0
        assert check(session) == []
        assert stale != {
            row for row in session.execute(select(MentionDay.source_id, MentionDay.day, MentionDay.mentions))
        }
        counted = _rollup_rows(session)
        rebuild(session)
        assert _rollup_rows(session) == counted


def test_the_check_names_a_disagreement(sessions):
    load(sessions, count=50)
    with sessions.begin() as session:
        refresh(session)
        session.execute(
            update(MentionDay)
            .where(MentionDay.id == select(func.min(MentionDay.id)).scalar_subquery())
            .values(mentions=MentionDay.mentions + 1)
        )
        problems = check(session)
        assert problems and "mention_day" in problems[0] and "stored" in problems[0]
