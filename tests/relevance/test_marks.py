"""Moderators mark posts off-topic or relevant from the CLI (single and bulk): the flag moves, the queue lists
them apart, the router takes a post marked relevant again (it alerts now), and the score learns from marks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from config.brand_query import BrandQuery, Term
from config.settings import load_settings
from models import Alert, Brand, Correction, Mention, MentionKind, Source
from moderation.classifier.base import Prediction
from moderation.jobs import classify_pending, route_classified
from moderation.policy import Thresholds
from moderation.queues import queue_query
from moderation.relevance.judge import BrandRules, Relevance
from moderation.relevance.score import Anchors
from scheduler import jobs
from tests.conftest import write_settings
from veilleur.cli import app

BRAND = """
[[brands]]
slug = "shop"
name = "Shop"

[brands.query]
any = ["shop"]

[[brands.sources]]
name = "alerts"
kind = "feed"
urls = ["https://example.org/feed.xml"]
"""
TEXTS = ["The Shop app lost my order", "A car parts shop opened downtown", "Nothing to see here", "Shop refunds"]


class Negative:
    name, version = "negative", "1"

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [Prediction({"negative": 0.9, "neutral": 0.05, "positive": 0.05}, 1.5, 0.01, 0.01) for _ in texts]


@pytest.fixture
def stored(tmp_path, database_url):  # type: ignore[no-untyped-def]
    path = write_settings(tmp_path, database_url, BRAND)
    settings = load_settings(path)
    context = jobs.Context(settings, path)
    with context.sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        for number, text in enumerate(TEXTS):
            session.add(Mention(source_id=source.id, external_id=str(number), kind=MentionKind.POST, text=text))
    classify_pending(context.sessions, Negative(), relevance=Relevance.from_settings(settings))
    route_classified(context.sessions, Thresholds(0.5, 0.7, 0.5), "#alerts")
    yield path, context
    context.close()


def run(path, *args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["queue", *args, "--settings", str(path)], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def ids(context, off_topic: bool) -> list[int]:  # type: ignore[no-untyped-def]
    with context.sessions() as session:
        return list(session.scalars(select(Mention.id).where(Mention.off_topic.is_(off_topic)).order_by(Mention.id)))


def test_the_query_sends_the_nameless_post_apart_and_it_never_alerts(stored) -> None:  # type: ignore[no-untyped-def]
    path, context = stored
    with context.sessions() as session:
        nothing = session.scalars(select(Mention).where(Mention.text == "Nothing to see here")).one()
        assert nothing.off_topic and nothing.relevance_reason == "query: none of shop"
        assert session.scalar(select(Alert).where(Alert.mention_id == nothing.id)) is None
        assert len(session.scalars(select(Alert)).all()) == 3
        listed = [m.id for m, _ in session.execute(queue_query("off_topic"))]
        flagged = [m.id for m, _ in session.execute(queue_query("flagged"))]
    assert listed == [nothing.id] and nothing.id not in flagged
    code, output = run(path, "list", "off_topic")
    assert code == 0 and "query: none of shop" in output


def test_bulk_mark_off_topic_then_relevant_again(stored) -> None:  # type: ignore[no-untyped-def]
    path, context = stored
    first, parts, nothing, refunds = (m for m in sorted(ids(context, False) + ids(context, True)))
    code, output = run(path, "offtopic", str(parts), str(refunds), "--as", "alice")
    assert code == 0, output
    assert ids(context, True) == [parts, nothing, refunds]
    with context.sessions() as session:
        marks = session.scalars(select(Correction).where(Correction.task == "relevance")).all()
        assert {(m.mention_id, m.label, m.actor) for m in marks} == {
            (parts, "off_topic", "cli:alice"),
            (refunds, "off_topic", "cli:alice"),
        }
    # The query's verdict overruled: the post is routed again, and alerts now that it counts.
    code, output = run(path, "offtopic", str(nothing), "--relevant", "--as", "bob")
    assert code == 0, output
    route_classified(context.sessions, Thresholds(0.5, 0.7, 0.5), "#alerts")
    with context.sessions() as session:
        mention = session.get_one(Mention, nothing)
        assert not mention.off_topic and mention.relevance_reason == "marked relevant by cli:bob"
        assert session.scalar(select(Alert).where(Alert.mention_id == nothing)) is not None
    code, output = run(path, "offtopic", "999")
    assert code == 1 and "no mention 999" in output


def test_marks_move_the_score(tmp_path, database_url) -> None:  # type: ignore[no-untyped-def]
    """A post like one marked off-topic scores lower than before the mark (a toy embedding: word counts)."""
    vocabulary = ["shop", "app", "order", "car", "parts", "engine"]

    def embed(texts: Sequence[str]) -> np.ndarray:
        rows = np.array([[text.lower().count(word) for word in vocabulary] for text in texts], dtype=float) + 0.01
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    path = write_settings(tmp_path, database_url, BRAND)
    context = jobs.Context(load_settings(path), path)
    query = BrandQuery(any=(Term.parse("shop"),))
    relevance = Relevance({"shop": BrandRules(query, {}, Anchors(("shop app order",)))}, 0.0, lambda: embed)
    with context.sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        marked = Mention(source_id=source.id, external_id="m", kind=MentionKind.POST, text="shop car parts engine")
        fresh = Mention(source_id=source.id, external_id="f", kind=MentionKind.POST, text="shop car engine parts")
        session.add_all([marked, fresh])
        session.flush()
        relevance.judge(session, [fresh])
        before = fresh.relevance
        session.add(Correction(mention_id=marked.id, task="relevance", label="off_topic", actor="cli:alice"))
        session.flush()
        relevance.judge(session, [fresh])
        assert before is not None and fresh.relevance is not None
        assert fresh.relevance < before and fresh.off_topic
        assert session.scalars(select(Brand)).one().slug == "shop"
    context.close()
