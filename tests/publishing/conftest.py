from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Author, Brand, Mention, MentionKind, MentionStatus, Source
from models.db import make_engine, make_session_factory, upgrade
from models.identity import minimised_name


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        brand = Brand(slug="acme", name="Acme & Fils")
        session.add(brand)
        session.add(Source(brand=brand, name="survey", kind="survey", own=True))
        session.add(Source(brand=brand, name="trustpilot", kind="trustpilot"))
    yield factory
    engine.dispose()


def add_review(
    session: Session,
    text: str,
    *,
    author: str | None = "Denise Jeanne Ragozzino",
    contact: str | None = None,
    source: str = "survey",
    status: MentionStatus = MentionStatus.TO_PUBLISH,
    **values: Any,
) -> Mention:
    row = session.scalars(select(Source).where(Source.name == source)).one()
    person = None
    if author:
        person = session.scalar(select(Author).where(Author.name == author))
        if person is None:
            person = Author(
                source_kind=row.kind,
                handle=f"h-{abs(hash(author)):x}"[:32],
                name=author,
                display_name=minimised_name(author),
                contact=contact,
            )
    defaults: dict[str, Any] = {
        "external_id": f"ext-{abs(hash((text, author))):x}",
        "kind": MentionKind.REVIEW,
        "rating": 5.0,
        "rating_best": 5.0,
        "rating_worst": 1.0,
        "language": "fr",
        "published_at": datetime(2026, 10, 2, 9, 30, tzinfo=UTC),
        "experienced_at": datetime(2026, 9, 28, tzinfo=UTC),
        "consent": True,
        "status": status,
    }
    mention = Mention(source=row, author=person, text=text, **{**defaults, **values})
    session.add(mention)
    session.flush()
    return mention
