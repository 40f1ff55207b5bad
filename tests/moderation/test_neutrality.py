"""DESIGN.md rule 1, measured: for reviews that pass the checks, whether and when they are published does not
depend on their sentiment. The same generated reviews go through the real router and the automatic approval
twice, once as written and once with every rating mirrored (1 <-> 5, 2 <-> 4): the publication outcome and
delay of each review must be identical, and the rates per sentiment must match."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from models import Mention, MentionStatus, utcnow
from moderation.deadlines import publish_due
from moderation.jobs import Rules
from tests.moderation.test_workflow import load, sessions  # noqa: F401 (fixture)

RULES = Rules(publishing="auto", auto_approve_after=timedelta(hours=12), auto_sample_share=0.2)
WORDS = ["livraison", "colis", "conseil", "produit", "service", "prix", "magasin", "site", "commande", "retour"]


def reviews(mirror: bool) -> list[dict[str, str]]:
    rng = random.Random(7)
    rows = []
    for number in range(120):
        rating = rng.choice([1, 2, 4, 5])
        text = " ".join(rng.choice(WORDS) for _ in range(8)) + "."
        rows.append({"order_ref": f"N{number}", "rating": str(6 - rating if mirror else rating), "text": text})
    return rows


def outcomes(sessions, mirror: bool) -> dict[str, tuple[bool, float | None, bool]]:  # noqa: F811
    """order_ref -> (published, hours from routing to publication, was negative)."""
    load(sessions, reviews(mirror), RULES)
    with sessions() as session:
        routed = {m.order_ref: m.events[0] for m in session.scalars(select(Mention))}
    publish_due(sessions, now=max(event.at for event in routed.values()) + timedelta(hours=12, seconds=1))
    result = {}
    with sessions() as session:
        for mention in session.scalars(select(Mention)):
            route = routed[mention.order_ref]
            planned = route.details["publish_after"]
            delay = datetime.fromisoformat(planned) - route.at if planned else None
            result[mention.order_ref] = (
                mention.status == MentionStatus.PUBLISHED,
                delay.total_seconds() / 3600 if delay else None,
                (mention.rating or 0) <= 2,
            )
    return result


@pytest.mark.parametrize("mirror", [False, True])
def test_publication_rate_and_delay_do_not_depend_on_sentiment(database_url, mirror):
    from models.db import make_engine, make_session_factory, upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    result = outcomes(make_session_factory(engine), mirror)
    engine.dispose()
    negative = [r for r in result.values() if r[2]]
    positive = [r for r in result.values() if not r[2]]
    assert len(negative) > 40 and len(positive) > 40

    def rate(group: list) -> float:
        return sum(published for published, _, _ in group) / len(group)

    # The sample held for a moderator is a hash of the id: about 20 % of each group, never chosen by sentiment.
    assert abs(rate(negative) - rate(positive)) < 0.15
    # Every published review, negative or positive, waited exactly the configured delay.
    assert {delay for published, delay, _ in result.values() if published} == {12.0}
    # The counterfactual: the same reviews with mirrored ratings have the same fate, review by review.
    # (Ids follow the import order on a fresh database: N0 is mention 1, N1 mention 2...)
    published = {ref: fate for ref, (fate, _, _) in result.items()}
    assert published == {f"N{n}": RULES.publish_after(n + 1, utcnow()) is not None for n in range(120)}
