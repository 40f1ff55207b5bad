"""Erasure leaves no trace of the person in any table; retention pseudonymises only silent authors; removed
reviews and their reasons stay, without personal data, and lose their text only after keep_removed_days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text

from models import Alert, AlertKind, Author, Mention, MentionStatus, ModerationEvent, Notification, RejectionReason
from moderation import notify, workflow
from moderation.privacy import (
    ERASED_TEXT,
    EXPIRED_TEXT,
    PrivacyError,
    apply_retention,
    erase_author,
    months_before,
    purge_removed,
)
from moderation.publishing.feed import feed_entries
from moderation.publishing.webhook import send_due
from tests.publishing.conftest import add_review
from tests.publishing.receiver import Receiver

NAME = "Denise Jeanne Ragozzino"
EMAIL = "denise.ragozzino@example.org"
TEXTS = {
    "published": "Le moelleux au chocolat était sublime, livré en deux jours.",
    "waiting": "Deuxième commande, toujours aussi bien emballée et rapide.",
    "rejected": "Le livreur est un abruti fini, je le retrouverai.",
    "third_party": "Trois semaines d'attente pour un colis jamais arrivé, honteux.",
}
TITLES = ["Sublime moelleux", "Encore bravo", "Livreur nul", "Colis perdu"]
OTHER = "Luc a adoré la tarte aux pommes, merci."


def dump(sessions) -> list[tuple[str, str, str]]:
    """Every value of every column of every table, as text."""
    engine = sessions.kw["bind"]
    values = []
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        assert {"author", "mention", "alert", "notification", "moderation_event", "publication"} <= set(tables)
        for table in tables:
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                for column, value in row._mapping.items():
                    if value is None:
                        continue
                    if isinstance(value, str) and value[:1] in "[{":  # SQLite's JSON is text, \u-escaped
                        try:
                            value = json.loads(value)
                        except ValueError:
                            pass
                    shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
                    values.append((table, column, shown))
    return values


def traces(sessions, needles) -> list[tuple[str, str, str]]:
    return [
        (table, column, needle)
        for table, column, text in dump(sessions)
        for needle in needles
        if needle.casefold() in text.casefold()
    ]


@pytest.fixture
def story(sessions):
    """Denise's four reviews in every state, with the copies the rest of Veilleur makes; and Luc's review."""
    with sessions.begin() as session:
        kw = {"author": NAME, "contact": EMAIL}
        published = add_review(session, TEXTS["published"], title=TITLES[0], order_ref="CMD-77", **kw)
        workflow.publish(session, published.id, "cli:alice")
        workflow.reply(session, published.id, "cli:alice", "Merci Denise Ragozzino, à bientôt !")
        waiting = add_review(session, TEXTS["waiting"], title=TITLES[1], order_ref="CMD-78", **kw)
        rejected = add_review(session, TEXTS["rejected"], title=TITLES[2], product="CAROTTE-500", **kw)
        workflow.reject(session, rejected.id, "cli:bob", RejectionReason.ABUSIVE, note=f"{NAME} menace le livreur")
        notify.queue_owner_notice(session, rejected, "owner@acme.example").sent_at = datetime.now(UTC)
        third = add_review(
            session,
            TEXTS["third_party"],
            title=TITLES[3],
            source="trustpilot",
            status=MentionStatus.TO_REPLY,
            url="https://fr.trustpilot.com/reviews/abc123",
            **kw,
        )
        payload = {
            "mention_id": third.id,
            "title": TITLES[3],
            "text": TEXTS["third_party"],
            "author": {"display_name": "Denise R.", "handle": third.author.handle[:12], "recent": []},
        }
        brand_id = third.source.brand_id
        session.add(
            Alert(
                brand_id=brand_id,
                mention_id=third.id,
                kind=AlertKind.REVIEW_TO_ANSWER,
                dedupe_key="a1",
                channel="#a",
                payload=payload,
            )
        )
        session.add(
            Alert(
                brand_id=brand_id,
                kind=AlertKind.DIGEST,
                dedupe_key="d1",
                channel="#a",
                payload={"items": [payload], "text": f"1 review: {TEXTS['third_party'][:30]}…"},
            )
        )
        luc = add_review(session, OTHER, author="Luc Martin", contact="luc@example.org")
        workflow.publish(session, luc.id, "cli:alice")
        session.add(
            Alert(
                brand_id=brand_id,
                mention_id=luc.id,
                kind=AlertKind.NEGATIVE_MENTION,
                dedupe_key="a2",
                channel="#a",
                payload={"mention_id": luc.id, "text": OTHER},
            )
        )
        ids = {
            "published": published.id,
            "waiting": waiting.id,
            "rejected": rejected.id,
            "third": third.id,
            "luc": luc.id,
        }
    needles = [NAME, "Ragozzino", EMAIL, "CMD-77", "CMD-78", *TEXTS.values(), *TITLES]
    assert {needle for _, _, needle in traces(sessions, needles)} == set(needles)  # there is something to erase
    return ids


def test_erase_leaves_no_trace_anywhere(sessions, story):
    with sessions.begin() as session:
        result = erase_author(session, name="denise jeanne RAGOZZINO", actor="cli:dpo")
    assert (result.authors, result.mentions, result.withdrawn) == (1, 4, 1)
    needles = [NAME, "Ragozzino", EMAIL, "CMD-77", "CMD-78", "abc123", *TEXTS.values(), *TITLES]
    assert traces(sessions, needles) == []
    # Luc is untouched.
    assert {needle for _, _, needle in traces(sessions, [OTHER, "Luc Martin", "luc@example.org"])} == {
        OTHER,
        "Luc Martin",
        "luc@example.org",
    }


def test_erase_withdraws_keeps_removed_rows_and_audits(sessions, story):
    with sessions.begin() as session:
        erase_author(session, name=NAME, actor="cli:dpo")
    with sessions.begin() as session:
        rows = {key: session.get_one(Mention, mention_id) for key, mention_id in story.items()}
        assert rows["published"].status == MentionStatus.WITHDRAWN
        assert rows["published"].rejection_reason == RejectionReason.AUTHOR_ASKED
        assert rows["waiting"].status == MentionStatus.REJECTED
        assert rows["waiting"].rejection_reason == RejectionReason.AUTHOR_ASKED
        # A review removed earlier keeps its own reason: the audit of why it was removed.
        assert rows["rejected"].rejection_reason == RejectionReason.ABUSIVE
        assert all(rows[k].text == ERASED_TEXT and rows[k].author_id is None for k in story if k != "luc")
        assert [e["id"] for e in feed_entries(session, "acme")] == [story["luc"]]
        erasures = session.scalars(select(ModerationEvent).where(ModerationEvent.action == "erase")).all()
        assert sorted(e.mention_id for e in erasures) == sorted(v for k, v in story.items() if k != "luc")
        assert {e.actor for e in erasures} == {"cli:dpo"}
        author = session.scalars(select(Author).where(Author.pseudonymised_at.is_not(None))).one()
        assert (author.name, author.contact, author.display_name) == (None, None, None)
        assert author.handle.startswith("erased-")
        assert session.scalars(select(Notification).where(Notification.sent_at.is_(None))).all() == []
    with Receiver("k") as site:
        send_due(sessions, site.url, "k")
    bodies = {r["body"]["id"]: r["body"] for r in site.accepted()}
    assert bodies[story["published"]] == {"event": "withdrawn", "brand": "acme", "id": story["published"]}
    assert bodies[story["luc"]]["text"] == OTHER


def test_erase_by_handle_or_contact(sessions, story):
    with sessions.begin() as session:
        handle = session.get_one(Mention, story["third"]).author.handle
    with sessions.begin() as session:
        assert erase_author(session, handle=handle[:12], actor="cli:dpo").mentions == 4
    with sessions.begin() as session:
        assert erase_author(session, contact="LUC@example.org", actor="cli:dpo").mentions == 1


def test_erase_names_someone(sessions):
    with sessions.begin() as session, pytest.raises(PrivacyError):
        erase_author(session, actor="cli:dpo")
    with sessions.begin() as session, pytest.raises(PrivacyError, match="no author"):
        erase_author(session, name="Nobody", actor="cli:dpo")


NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def test_retention_pseudonymises_only_silent_authors(sessions):
    with sessions.begin() as session:
        add_review(
            session, "Vieux", author="Old Timer", contact="old@example.org", published_at=NOW - timedelta(days=800)
        )
        add_review(session, "Récent", author="New Comer", published_at=NOW - timedelta(days=30))
        add_review(session, "Ancien", author="Both Ways", published_at=NOW - timedelta(days=900))
        add_review(session, "Nouveau", author="Both Ways", published_at=NOW - timedelta(days=3))
        session.add(Author(source_kind="survey", handle="orphan", name="No Mention"))
        session.add(Notification(dedupe_key="n1", recipient="old@example.org", subject="s", body="b", sent_at=NOW))
    with sessions.begin() as session:
        assert apply_retention(session, NOW, 24) == 2
    with sessions.begin() as session:
        names = {a.handle: (a.name, a.pseudonymised_at is not None) for a in session.scalars(select(Author))}
        assert sorted(n for n, gone in names.values() if not gone) == ["Both Ways", "New Comer"]
        assert session.scalars(select(Notification.recipient)).all() == ["[effacé / erased]"]
        # Texts stay: pseudonymising removes who, not what.
        assert session.scalars(select(Mention.text).where(Mention.text == "Vieux")).one() == "Vieux"
    with sessions.begin() as session:
        assert apply_retention(session, NOW, 24) == 0


def test_removed_reviews_keep_their_text_for_keep_removed_days(sessions):
    with sessions.begin() as session:
        old = add_review(session, "Spam ancien", author="A One")
        recent = add_review(session, "Spam récent", author="B Two")
        workflow.reject(session, old.id, "cli:bob", RejectionReason.SPAM)
        workflow.reject(session, recent.id, "cli:bob", RejectionReason.SPAM)
        session.flush()
        for event in session.scalars(select(ModerationEvent).where(ModerationEvent.mention_id == old.id)):
            event.at = NOW - timedelta(days=366)
        for event in session.scalars(select(ModerationEvent).where(ModerationEvent.mention_id == recent.id)):
            event.at = NOW - timedelta(days=364)
    with sessions.begin() as session:
        assert purge_removed(session, NOW, 365) == 1
    with sessions.begin() as session:
        texts = {m.id: (m.text, m.status, m.rejection_reason) for m in session.scalars(select(Mention))}
        assert texts[old.id] == (EXPIRED_TEXT, MentionStatus.REJECTED, RejectionReason.SPAM)
        assert texts[recent.id] == ("Spam récent", MentionStatus.REJECTED, RejectionReason.SPAM)
    with sessions.begin() as session:
        assert purge_removed(session, NOW, 365) == 0


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), 24, datetime(2024, 3, 31, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2023, 2, 28, tzinfo=UTC)),
    ],
)
def test_months_before(moment, months, expected):
    assert months_before(moment, months) == expected
