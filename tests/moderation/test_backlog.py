"""History is not news (moderation/backlog.py), on real parts: a local server of hand-written pages, real Scrapy
crawls, a real database. A source's first crawl, and reviews older than [moderation] backfill_days, are queued
and counted but raise no alert and get no reply deadline; a later crawl's fresh review does alert."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import load_settings
from models import Alert, AlertKind, Mention, MentionStatus, ModerationEvent, utcnow
from moderation.deadlines import remind_replies
from scheduler import jobs
from tests.conftest import write_settings
from tests.skeleton.test_end_to_end import WordClassifier
from veilleur.pages_server import PagesServer

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Cafetière — Boutique</title></head><body>
<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Cafetière</h1>
{reviews}
</div></body></html>"""
REVIEW = """<div itemprop="review" itemscope itemtype="https://schema.org/Review">
  <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">{author}</span></span>
  <meta itemprop="datePublished" content="{date}">
  <div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">
    <span itemprop="ratingValue">{rating}</span>/<span itemprop="bestRating">5</span></div>
  <p itemprop="reviewBody">{text}</p>
</div>"""


def review(author: str, date: str, rating: int, text: str) -> str:
    return REVIEW.format(author=author, date=date, rating=rating, text=text)


OLD_BAD = review("Camille Durand", "2024-06-12", 1, "Colis jamais arrivé, aucune réponse du service client.")
RECENT_BAD = review(
    "Paul Martin", (utcnow() - timedelta(days=2)).date().isoformat(), 1, "Cafetière cassée au bout de deux jours."
)


@pytest.fixture
def shop(tmp_path: Path, database_url: str):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "shop.html").write_text(PAGE.format(reviews=OLD_BAD + RECENT_BAD), encoding="utf-8")
    with PagesServer(folder) as server:
        brand = f"""
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "shop"
kind = "schema_org"
urls = ["{server.base_url}/shop.html"]
"""
        path = write_settings(tmp_path, database_url, brand, slack=f'sink_path = "{tmp_path / "sink.jsonl"}"')
        context = jobs.Context(load_settings(path), path)
        context._classifier = WordClassifier()
        yield context, folder
        context.close()


def crawl_and_route(context: jobs.Context) -> None:
    assert jobs.crawl(context, "acme", "shop") == 0
    jobs.classify(context)
    jobs.route(context)


def test_a_first_crawl_is_history_and_a_later_crawl_is_news(shop):
    context, folder = shop
    crawl_and_route(context)
    with context.sessions() as session:
        mentions = session.scalars(select(Mention).order_by(Mention.id)).all()
        assert len(mentions) == 2
        # Queued (the reply queue) and kept, but no alert and no deadline: not even the two-day-old review, which
        # would have been announced late on arrival; the first crawl is the source's past.
        assert [m.status for m in mentions] == [MentionStatus.TO_REPLY, MentionStatus.TO_REPLY]
        assert all(m.backlog and m.reply_due_at is None for m in mentions)
        assert session.scalars(select(Alert)).all() == []
        route = session.scalars(select(ModerationEvent).where(ModerationEvent.mention_id == mentions[0].id)).one()
        assert route.details["history"] == "collected by its source's first crawl"
    # No reminder either, a day later: nothing is due.
    assert remind_replies(context.sessions, "#alerts", timedelta(hours=4), utcnow() + timedelta(days=1)) == 0

    fresh = review("Lou Bernard", utcnow().date().isoformat(), 1, "Poignée brûlante, déçue.")
    old = review("Ana Roux", "2024-05-02", 2, "Livraison en retard de trois semaines, jamais rien reçu d'autre.")
    (folder / "shop.html").write_text(PAGE.format(reviews=OLD_BAD + RECENT_BAD + fresh + old), encoding="utf-8")
    crawl_and_route(context)
    with context.sessions() as session:
        new = session.scalars(select(Mention).where(Mention.text.startswith("Poignée"))).one()
        late = session.scalars(select(Mention).where(Mention.text.startswith("Livraison en retard"))).one()
        assert not new.backlog and new.reply_due_at == new.published_at + timedelta(hours=24)
        # A 2024 review found by a later crawl is history too: older than backfill_days (14) when collected.
        assert late.backlog and late.reply_due_at is None and late.status == MentionStatus.TO_REPLY
        alerts = session.scalars(select(Alert)).all()
        assert [(a.kind, a.mention_id) for a in alerts] == [(AlertKind.REVIEW_TO_ANSWER, new.id)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_history_is_counted_in_reports_and_listed_last_in_the_reply_queue(shop, tmp_path):
    from typer.testing import CliRunner

    from veilleur.cli import app

    context, folder = shop
    crawl_and_route(context)
    fresh = review("Lou Bernard", utcnow().date().isoformat(), 1, "Poignée brûlante, déçue.")
    (folder / "shop.html").write_text(PAGE.format(reviews=OLD_BAD + RECENT_BAD + fresh), encoding="utf-8")
    crawl_and_route(context)
    out = (
        CliRunner()
        .invoke(app, ["queue", "list", "to_reply", "--settings", str(context.settings_path)], env={"COLUMNS": "200"})
        .output
    )
    lines = [line for line in out.splitlines() if "Poignée" in line or "Colis" in line or "Cafetière" in line]
    # The fresh review with its deadline first; the backlog after it, marked as such.
    assert "Poignée" in lines[0] and all("backlog" in line for line in lines[1:]) and len(lines) == 3
    start, end = utcnow() - timedelta(days=1000), utcnow() + timedelta(days=1)
    folder = jobs.report(context, "acme", start, end, tmp_path / "report", "csv")
    with (folder / "figures.csv").open(encoding="utf-8") as handle:
        brand = next(row for row in csv.DictReader(handle) if row["level"] == "brand" and row["period"] == "current")
    # Counted like any review; only the fresh one has a deadline, and the backlog is never counted late.
    assert (brand["reviews"], brand["negative"], brand["with_deadline"], brand["sla_breaches"]) == ("3", "3", "1", "0")
