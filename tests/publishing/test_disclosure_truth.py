"""The disclosure page's promises against what the code does with the same settings, in every publishing mode.

The numbers are read back from the page's own words (not from settings), then a survey review is imported,
routed with the worker's rules and the publication job is driven by the clock on a real database: it must not
publish before what the page says, and must publish when the page says it will at the latest.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from config.settings import load_settings
from crawlers.survey_import import import_survey_body
from models import Brand, Mention, MentionStatus, ModerationEvent, Source, utcnow
from models.db import make_engine, make_session_factory, upgrade
from moderation.deadlines import publication_deadline, publish_due
from moderation.jobs import classify_pending, route_classified
from moderation.policy import Thresholds
from moderation.publishing.disclosure import render_disclosure
from scheduler.jobs import rules
from tests.conftest import write_settings
from tests.moderation.support import RatingClassifier, survey_csv

BRAND = '[[brands]]\nslug = "acme"\nname = "Acme"\n'
MINUTE = timedelta(minutes=1)
MODES = {
    "one_click": 'publishing = "one_click"',
    "auto": 'publishing = "auto"\nauto_approve_hours = 12\nauto_sample_share = 0.0',
    "auto_sampled": 'publishing = "auto"\nauto_approve_hours = 12\nauto_sample_share = 1.0',
}


def _settings(tmp_path, mode):
    path = write_settings(
        tmp_path, "sqlite:///unused.db", BRAND, moderation=MODES[mode], publishing="max_publication_days = 3"
    )
    return load_settings(path)


def _promises(html: str) -> dict[str, float | bool]:
    """What the French and English texts promise, each read from its own words (they must agree)."""
    html = " ".join(html.split())  # the template wraps its lines anywhere
    days_fr = re.search(r"au plus tard (\d+) jours après son dépôt", html)
    days_en = re.search(r"at most (\d+) days after it was written", html)
    late_fr = re.search(r"l'est au plus tard\s+(\d+) jours après sa réception", html)
    late_en = re.search(r"is, at most\s+(\d+) days after it reached us", html)
    auto_fr = re.search(r"publié automatiquement (\d+) heures après sa réception", html)
    auto_en = re.search(r"published automatically (\d+) hours after it reaches us", html)
    assert days_fr and days_en and late_fr and late_en, "the page states its publication deadline in both languages"
    assert days_fr[1] == days_en[1] == late_fr[1] == late_en[1]
    assert bool(auto_fr) == bool(auto_en)
    if auto_fr and auto_en:
        assert auto_fr[1] == auto_en[1]
    every_fr = "Chaque avis est lu par un modérateur avant sa publication, sauf si aucun modérateur" in html
    every_en = "A moderator reads each review before it is published, unless no moderator" in html
    assert every_fr == every_en
    sample_fr = re.search(r"(\d+) % des avis, tirés au hasard, attendent qu'un modérateur", html)
    sample_en = re.search(r"(\d+)% of reviews, drawn at random, wait for a moderator", html)
    assert bool(sample_fr) == bool(sample_en) == bool(auto_fr)
    unread = bool(re.search(r"publiés? sans cette lecture", html)) and "published unread" in html
    return {
        "days": float(days_fr[1]),
        "auto_hours": float(auto_fr[1]) if auto_fr else None,
        "moderator_reads": every_fr,
        "sampled_percent": float(sample_fr[1]) if sample_fr else None,
        "unread_at_deadline": unread,
    }


@pytest.fixture
def world(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _import(sessions, settings, written: datetime) -> tuple[int, datetime]:
    with sessions.begin() as session:
        brand = session.scalar(select(Brand).where(Brand.slug == "acme")) or Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        source = session.scalar(select(Source).where(Source.name == "survey"))
        if source is None:
            source = Source(brand_id=brand.id, name="survey", kind="survey", own=True)
            session.add(source)
            session.flush()
        row = {
            "order_ref": f"R{written:%Y%m%d%H%M}",
            "rating": "1",
            "text": f"Colis cassé ({written:%d/%m}).",
            "author": "Marie Dupont",
            "submitted_at": written.isoformat(),
        }
        import_survey_body(session, source.id, survey_csv([row]), "export.csv", "https://acme.example/survey")
    classify_pending(sessions, RatingClassifier())
    route_classified(sessions, Thresholds(0.5, 0.5, 0.5), "#alerts", rules(SimpleNamespace(settings=settings)))
    with sessions() as session:
        mention = session.scalars(select(Mention).order_by(Mention.id.desc())).first()
        assert mention is not None and mention.status == MentionStatus.TO_PUBLISH
        return mention.id, mention.collected_at


def _published(sessions, settings, mention_id: int, now: datetime) -> bool:
    # The worker's job with the worker's arguments (scheduler/jobs.py), at a chosen time.
    publish_due(sessions, now=now, max_delay=timedelta(days=settings.publishing.max_publication_days))
    with sessions() as session:
        return session.get(Mention, mention_id).status == MentionStatus.PUBLISHED


def _approver(sessions, mention_id: int) -> str:
    with sessions() as session:
        return session.scalars(
            select(ModerationEvent.actor).where(
                ModerationEvent.mention_id == mention_id, ModerationEvent.action == "approve"
            )
        ).one()


@pytest.mark.parametrize("mode", list(MODES))
def test_a_review_is_published_when_the_page_says_counted_from_when_it_was_written(tmp_path, world, mode):
    settings = _settings(tmp_path, mode)
    promised = _promises(render_disclosure(settings, "acme"))
    assert promised["days"] == 3
    assert promised["unread_at_deadline"]  # the safety net exists in every mode, so the page says so in every mode
    written = utcnow() - timedelta(days=1)
    mention_id, collected = _import(world, settings, written)
    deadline = written + timedelta(days=promised["days"])
    if promised["auto_hours"] is not None and promised["sampled_percent"] == 0:
        window = collected + timedelta(hours=promised["auto_hours"])
        assert not _published(world, settings, mention_id, window - MINUTE)
        assert _published(world, settings, mention_id, window + MINUTE)
        return
    # Read by a moderator (one-click, or the whole sample): held until the deadline the page gives, counted from
    # the day it was written
    # (before the fix it was counted from when it was collected, a day later here).
    assert promised["moderator_reads"] == (mode == "one_click")
    assert promised["sampled_percent"] in (None, 100)
    assert not _published(world, settings, mention_id, deadline - MINUTE)
    assert _published(world, settings, mention_id, deadline + MINUTE)
    assert _approver(world, mention_id) == "auto"


@pytest.mark.parametrize("mode", ["one_click", "auto_sampled"])
def test_a_review_that_arrives_after_its_deadline_still_waits_for_a_moderator(tmp_path, world, mode):
    settings = _settings(tmp_path, mode)
    promised = _promises(render_disclosure(settings, "acme"))
    mention_id, collected = _import(world, settings, utcnow() - timedelta(days=10))
    assert not _published(world, settings, mention_id, collected + timedelta(days=promised["days"]) - MINUTE)
    assert _published(world, settings, mention_id, collected + timedelta(days=promised["days"]) + MINUTE)


@pytest.mark.parametrize(
    ("written", "collected", "deadline"),
    [
        ("2026-11-01 10:00", "2026-11-01 10:05", "2026-11-08 10:00"),  # on time: from when it was written
        ("2026-11-01 10:00", "2026-11-06 09:00", "2026-11-08 10:00"),  # collected late, before its deadline
        ("2026-11-01 10:00", "2026-11-09 09:00", "2026-11-16 09:00"),  # after its deadline: from its reception
        (None, "2026-11-03 08:00", "2026-11-10 08:00"),  # no date from the source: from its reception
        ("2026-11-05 00:00", "2026-11-03 08:00", "2026-11-10 08:00"),  # a date in the future: from its reception
    ],
)
def test_publication_deadline(written, collected, deadline):
    def at(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None

    assert publication_deadline(at(written), at(collected), timedelta(days=7)) == at(deadline)
