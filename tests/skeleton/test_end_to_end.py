"""One review's whole path on real parts: a local server of saved pages, a real Scrapy crawl, a real
database (SQLite and PostgreSQL), the policy, the outbox sent with slack-sdk to a fake Slack, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from config.settings import load_settings
from models import Alert, CrawlRun, Mention, MentionStatus, ModerationEvent, Source, utcnow
from models.identity import minimised_name
from moderation.classifier.base import Prediction
from scheduler import jobs
from tests.conftest import FIXTURES, write_settings
from veilleur.cycle import run_cycle

PAGES = {
    "carrot": "schema_org/theclevercarrot_jsonld-reviews_en.html",
    "book": "schema_org/schemaorg-example_book_jsonld-reviews_SYNTHETIC.html",
    "shop": "synthetic/boutique_microdata_fr_SYNTHETIC.html",
}


def brand_body(base_url: str) -> str:
    return f"""
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "carrot"
kind = "schema_org"
urls = ["{base_url}/realdata/{PAGES["carrot"]}"]

[[brands.sources]]
name = "book"
kind = "schema_org"
urls = ["{base_url}/realdata/{PAGES["book"]}"]
own = true
consent = true

[[brands.sources]]
name = "shop"
kind = "schema_org"
urls = ["{base_url}/{PAGES["shop"]}"]
"""


class WordClassifier:
    """A fake for fast tests: 'enjoyed'/'favorite' positive, 'fun' neutral, else negative-ish by rating."""

    name = "fake-words"
    version = "1"

    def predict(self, texts):  # type: ignore[no-untyped-def]
        out = []
        for text in texts:
            positive = any(word in text.lower() for word in ("enjoy", "favorite", "love", "great", "delicious"))
            sentiment = (
                {"negative": 0.1, "neutral": 0.2, "positive": 0.7}
                if positive
                else {"negative": 0.6, "neutral": 0.3, "positive": 0.1}
            )
            out.append(Prediction(sentiment, 4.5 if positive else 2.0, 0.01, 0.01))
        return out


OPENED: list[jobs.Context] = []


@pytest.fixture(autouse=True)
def _close_contexts():
    yield
    while OPENED:
        OPENED.pop().close()


def open_context(path: Path) -> jobs.Context:
    context = jobs.Context(load_settings(path), path)
    OPENED.append(context)
    return context


def make_context(tmp_path: Path, database_url: str, base_url: str, slack_base_url: str | None):
    slack = (
        f'bot_token = "xoxb-test"\nbase_url = "{slack_base_url}"\nchannel = "#alerts"'
        if slack_base_url
        else (f'sink_path = "{tmp_path / "sink.jsonl"}"')
    )
    path = write_settings(
        tmp_path, database_url, brand_body(base_url), slack=slack, reports=f'out_dir = "{tmp_path / "reports"}"'
    )
    return open_context(path)


def expected(page: str) -> dict:
    folder = "" if page.startswith("synthetic/") else "realdata/"
    return json.loads((FIXTURES / f"{folder}{page}.expected.json").read_text())


def test_crawl_classify_route_alert_report(tmp_path, database_url, pages_server, fake_slack):
    context = make_context(tmp_path, database_url, pages_server.base_url, fake_slack.base_url)
    context._classifier = WordClassifier()
    # News, not history (moderation/backlog.py): the sources were crawled before (each page's reviews are new
    # to this cycle as if just written), and every review is announced whatever its age (backfill_days = 0).
    path = context.settings_path
    path.write_text(path.read_text() + "\n[moderation]\nbackfill_days = 0\n")
    context = open_context(path)
    context._classifier = WordClassifier()
    with context.sessions.begin() as session:
        for source in session.scalars(select(Source)):
            session.add(CrawlRun(source_id=source.id, outcome="ok", items_seen=0, finished_at=utcnow()))

    result = run_cycle(context, Console(quiet=True), min_interval=0)

    assert result.crawled == {"acme/carrot": 0, "acme/book": 0, "acme/shop": 0}
    with context.sessions.begin() as session:
        for source_name, page in PAGES.items():
            truth = expected(page)
            source = session.scalars(select(Source).where(Source.name == source_name)).one()
            mentions = session.scalars(
                select(Mention).where(Mention.source_id == source.id).order_by(Mention.published_at, Mention.id)
            ).all()
            assert len(mentions) == truth["review_count"]
            assert source.healthy, source.health_reason
            for sample in truth["samples"]:
                mention = next(m for m in mentions if m.text.startswith(sample["text_starts_with"]))
                assert mention.author.name == sample["author"]
                assert mention.author.display_name == minimised_name(sample["author"])
                assert mention.rating == sample["rating"]
                assert mention.published_at.date().isoformat() == sample["date"]
                assert mention.status is not MentionStatus.NEW
        # Every automatic decision is in the audit log with its reason.
        routed = session.scalar(select(func.count()).select_from(Mention))
        events = session.scalar(select(func.count()).where(ModerationEvent.actor == "policy"))
        assert routed == events == 35
        # The book's own reviews with consent: the 5-star one waits for publication.
        book = session.scalars(select(Mention).where(Mention.title == "A masterpiece of literature")).one()
        assert book.status == MentionStatus.TO_PUBLISH
        # The 1/5 review goes to the reply queue, and the community manager hears of it.
        late = session.scalars(select(Mention).where(Mention.title == "Colis jamais arrivé")).one()
        assert late.status == MentionStatus.TO_REPLY
        assert late.language == "fr"
        nine = session.scalars(select(Mention).where(Mention.text.startswith("Très bonne"))).one()
        assert (nine.rating, nine.rating_best, nine.rating_normalised) == (9.0, 10.0, 0.9)
        alerts = session.scalars(select(Alert)).all()
        # (A daily digest may be there too, depending on the hour the test runs.)
        assert [a.mention_id for a in alerts if a.kind.value != "digest"] == [late.id]
        answer = next(a for a in alerts if a.mention_id == late.id)
        assert answer.payload["reply_due"] == "2026-10-03T00:00:00+00:00"  # published 2 Oct + 24 h SLA
        assert alerts and all(alert.sent_at is not None for alert in alerts)
    posted = fake_slack.posted()
    assert len(posted) == len(alerts)
    assert all(body["channel"] == "#alerts" and body["blocks"] for body in posted)
    assert fake_slack.requests[0]["auth"] == "Bearer xoxb-test"
    assert "Trois semaines d'attente" in json.dumps(posted[0]["blocks"], ensure_ascii=False)
    report = result.reports[0].read_text()
    assert "carrot" in report and "book" in report and "Average rating" in report


def test_crawling_twice_stores_each_review_once(tmp_path, database_url, pages_server):
    context = make_context(tmp_path, database_url, pages_server.base_url, None)
    assert jobs.crawl(context, "acme", "carrot") == 0
    assert jobs.crawl(context, "acme", "carrot") == 0
    with context.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Mention)) == 30
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [(run.items_seen, run.items_new, run.outcome) for run in runs] == [(30, 30, "ok"), (30, 0, "ok")]


def test_a_page_without_reviews_makes_its_source_unhealthy(tmp_path, database_url, pages_server):
    context = make_context(tmp_path, database_url, pages_server.base_url, None)
    assert jobs.crawl(context, "acme", "carrot") == 0
    broken = pages_server.base_url + "/realdata/LICENCES.md"  # a page with no review at all: a "layout change"
    path = context.settings_path
    path.write_text(path.read_text().replace(f"{pages_server.base_url}/realdata/{PAGES['carrot']}", broken))
    context = open_context(path)
    jobs.crawl(context, "acme", "carrot")
    with context.sessions.begin() as session:
        source = session.scalars(select(Source).where(Source.name == "carrot")).one()
        assert not source.healthy
        assert "not recognised" in source.health_reason or "not a text page" in source.health_reason
        alert = session.scalars(select(Alert)).one()
        assert alert.kind.value == "source_unhealthy"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cycle_tells_an_unhealthy_source_from_an_ok_one(tmp_path, database_url, pages_server, monkeypatch):
    from io import StringIO

    from veilleur import cli

    context = make_context(tmp_path, database_url, pages_server.base_url, None)
    path = context.settings_path
    path.write_text(path.read_text().replace(PAGES["book"], "no-such-page.html"))  # answers 404
    context = open_context(path)
    context._classifier = WordClassifier()
    result = run_cycle(context, Console(quiet=True), min_interval=0)
    printed = StringIO()
    monkeypatch.setattr(cli, "console", Console(file=printed, width=300))
    cli._print_cycle(result, context.settings)
    lines = printed.getvalue().splitlines()
    assert "crawl acme/carrot: ok" in lines and "crawl acme/shop: ok" in lines
    assert "crawl acme/book: unhealthy: no page fetched (HTTP 404 x1; 0 errors)" in lines


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_path_with_the_real_baseline_classifier(tmp_path, database_url, pages_server):
    """The trained TF-IDF baseline (real model, trained on ../shared/labelled) in the same path."""
    context = make_context(tmp_path, database_url, pages_server.base_url, None)
    result = run_cycle(context, Console(quiet=True), min_interval=0)
    assert result.classified == 35 and result.routed == 35
    with context.sessions.begin() as session:
        favourite = session.scalars(
            select(Mention).where(Mention.text.startswith("This is my favorite sourdough"))
        ).one()
        classification = favourite.classifications[-1]
        assert classification.model_name == "tfidf-logreg-baseline"
        assert classification.language == "en"
        luc = session.scalars(select(Mention).where(Mention.text.startswith("Livraison rapide"))).one()
        assert luc.classifications[-1].sentiment == "positive"
        assert luc.classifications[-1].language == "fr"


def test_a_social_source_stores_each_post_s_reach(tmp_path, database_url, pages_server):
    """A real crawl of the saved Mastodon timeline: each post keeps its author's followers as its reach."""
    timeline = "realdata/mastodon/mastodon_tag-timeline_mastodon_2017.json"
    body = f"""
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "toots"
kind = "mastodon"
urls = ["{pages_server.base_url}/{timeline}"]
max_pages = 1
"""
    path = write_settings(tmp_path, database_url, body)
    context = open_context(path)
    try:
        assert jobs.crawl(context, "acme", "toots") == 0
        with context.sessions() as session:
            stored = dict(session.execute(select(Mention.external_id, Mention.reach)).all())
    finally:
        context.close()
    statuses = json.loads((FIXTURES / timeline).read_text(encoding="utf-8"))
    followers = {
        f"127.0.0.1:{(s.get('reblog') or s)['id']}": (s.get("reblog") or s)["account"]["followers_count"]
        for s in statuses
    }
    assert stored and stored == {key: followers[key] for key in stored}  # ids keyed by the instance's host
    assert max(stored.values()) > 0
