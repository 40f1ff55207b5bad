"""Competitors (issue 21): a brand's source may be a competitor's public page. Its reviews are crawled and
classified like the brand's own and compared side by side in the report, but never moderated, answered, sent to
an owner, alerted on nor counted in the brand's own figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.brands import SourceSettings
from models import Alert, Brand, Mention, MentionKind, MentionStatus, MentionTopic, Source
from moderation.jobs import Rules, classify_pending, route_classified
from moderation.policy import Thresholds
from moderation.queues import QUEUES, queue_query
from reports import csv_export, html
from tests.moderation.support import RatingClassifier
from tests.reports import fixture
from tests.reports.conftest import make_report

Loaded = tuple[sessionmaker[Session], dict[int, int]]


def add_competitor(session: Session) -> Source:
    acme = session.scalars(select(Brand).where(Brand.slug == "acme")).one()
    rival = Source(brand_id=acme.id, name="rival-reviews", kind="schema_org", competitor="Rival")
    session.add(rival)
    session.flush()
    return rival


def rival_review(source: Source, n: int, stars: int, status: MentionStatus, **fields: object) -> Mention:
    return Mention(
        source_id=source.id,
        external_id=f"rival{n}",
        kind=MentionKind.REVIEW,
        text=f"Rival review {n}: idiot delivery, one star." if stars == 1 else f"Rival review {n}.",
        status=status,
        **fixture.stars(stars),
        **fields,  # type: ignore[arg-type]
    )


def test_a_competitor_source_cannot_be_published_as_ours() -> None:
    with pytest.raises(ValidationError, match="competitor"):
        SourceSettings(name="rival", kind="schema_org", urls=["https://rival.example/"], competitor="R", own=True)
    assert SourceSettings(name="rival", kind="schema_org", urls=["https://rival.example/"]).competitor == ""


def test_competitor_reviews_never_alert_nor_enter_a_queue(loaded: Loaded) -> None:
    sessions, _ = loaded
    with sessions.begin() as session:
        rival = add_competitor(session)
        # A fresh one-star review (news, not history: published an hour ago) with an insult and a product that
        # has an owner: from the brand's own source, it would alert, get a reply deadline, an owner and a notice.
        now = fixture.at(9, 12)
        session.add(rival_review(rival, 1, 1, MentionStatus.NEW, published_at=now, product="P2"))
        session.add(rival_review(rival, 2, 1, MentionStatus.NEW, published_at=now - timedelta(hours=2)))
    classify_pending(sessions, RatingClassifier())
    rules = Rules(product_owners={"P2": "p2-owner@example.com"}, low_rating=3)
    route_classified(sessions, Thresholds(negative=0.5, toxic=0.5, spam=0.5), "#alerts", rules)
    with sessions() as session:
        routed = session.scalars(select(Mention).where(Mention.source_id == rival.id)).all()
        assert {m.status for m in routed} == {MentionStatus.DISMISSED}
        assert all(m.reply_due_at is None and m.assignee is None and m.rejection_reason is None for m in routed)
        assert session.scalar(select(func.count(Alert.id)).where(Alert.mention_id.in_([m.id for m in routed]))) == 0
        for queue in QUEUES:
            listed = {row[0].id for row in session.execute(queue_query(queue))}
            assert not listed & {m.id for m in routed}, queue


def test_the_report_compares_competitors_side_by_side(loaded: Loaded) -> None:
    sessions, _ = loaded
    with sessions.begin() as session:
        rival = add_competitor(session)
        for n, (stars, day) in enumerate([(5, 2), (4, 3), (1, 4), (2, 5), (3, 1)]):
            session.add(rival_review(rival, n, stars, MentionStatus.DISMISSED, published_at=fixture.at(day)))
        session.add(rival_review(rival, 9, 4, MentionStatus.DISMISSED, published_at=fixture.at(25, 10, 2)))
        session.flush()
        # Tagged by the same tagger as the brand's own mentions.
        first = session.scalars(select(Mention.id).where(Mention.external_id == "rival2")).one()
        session.add(
            MentionTopic(
                mention_id=first,
                topic="delivery",
                score=0.9,
                method="test",
                version=fixture.VERSION,
                sentiment="negative",
            )
        )
    report = make_report(sessions)
    # The brand's own figures are unchanged (test_figures.py) and list no competitor source.
    assert report.total.current.mentions == 8 and "rival-reviews" not in [s.name for s in report.sources]
    [rival_figures] = report.competitors
    assert rival_figures.name == "Rival" and rival_figures.sources == ["rival-reviews"]
    assert (rival_figures.current.reviews, rival_figures.current.rated) == (5, 5)
    assert rival_figures.current.average_rating == pytest.approx(3.0)
    assert rival_figures.previous.reviews == 1
    assert dict(rival_figures.topics) == {"Delivery": 1} and rival_figures.negative_topics["Delivery"] == 1
    text = html.render(report, "test")
    table = text.split('id="competitor-table"')[1].split("</table>")[0]
    assert "<th>Rival</th>" in table and "3.00" in table and "Delivery (1, 1 negative)" in table
    tables = csv_export.tables(report)
    assert [row[:4] for row in tables["figures"][1] if row[0] == "competitor"] == [
        ["competitor", "Rival", "", "current"],
        ["competitor", "Rival", "", "previous"],
    ]
