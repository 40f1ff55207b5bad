"""Author pseudonyms are keyed with a secret nobody else has: the configured one, or one generated for the database
and kept in it. Before, an empty setting meant a public constant from the code, so anyone could recompute an
author's handle from their name."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import select, text

from crawlers.survey_import import import_survey_body
from models import Author, Brand, InstanceSecret, Mention, Source
from models.db import MIGRATIONS_DIR, make_engine, make_session_factory, upgrade
from models.identity import LEGACY_PSEUDONYM_KEY, author_handle, pseudonym_secret

CSV = (
    "review_id;order_ref;submitted_at;experienced_at;rating;title;text;author;language;consent\n"
    "S-1;CMD-1;2026-11-20T10:15:00+01:00;18/11/2026;5;Parfait;Livraison rapide.;Denise Ragozzino;fr;oui\n"
)


def stored_handle(url: str, configured: str = "") -> str:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        with sessions.begin() as session:
            brand = Brand(slug="acme", name="Acme")
            source = Source(brand=brand, name="survey", kind="survey", own=True)
            session.add_all([brand, source])
            session.flush()
            import_survey_body(session, source.id, CSV.encode(), "export.csv", "https://acme.example/s", configured)
        with sessions.begin() as session:
            return session.scalars(select(Author.handle)).one()
    finally:
        engine.dispose()


def test_an_empty_setting_uses_a_key_generated_for_the_database(tmp_path, database_url):
    handle = stored_handle(database_url)
    # The handle cannot be recomputed with anything in the code.
    assert handle != author_handle(LEGACY_PSEUDONYM_KEY, "survey", "Denise Ragozzino")
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            key = session.scalars(select(InstanceSecret.value).where(InstanceSecret.name == "pseudonym")).one()
            assert len(key) >= 40 and key != LEGACY_PSEUDONYM_KEY
            assert pseudonym_secret(session, "") == key  # the same key every time: a repeat author is recognised
            assert handle == author_handle(key, "survey", "Denise Ragozzino")
    finally:
        engine.dispose()


def test_each_database_gets_its_own_key(tmp_path):
    first = stored_handle(f"sqlite:///{tmp_path / 'one.db'}")
    second = stored_handle(f"sqlite:///{tmp_path / 'two.db'}")
    assert first != second


def test_a_configured_key_is_used_and_nothing_is_generated(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert stored_handle(url, "my-own-long-secret") == author_handle("my-own-long-secret", "survey", "Denise Ragozzino")
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            assert session.scalars(select(InstanceSecret)).all() == []
    finally:
        engine.dispose()


def test_a_database_with_authors_keeps_its_old_key_so_handles_stay_stable(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0009")
    engine = make_engine(url)
    old_handle = author_handle(LEGACY_PSEUDONYM_KEY, "survey", "Denise Ragozzino")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO author (handle, display_name, source_kind) VALUES (:h, 'Denise R.', 'survey')"),
            {"h": old_handle},
        )
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            assert pseudonym_secret(session, "") == LEGACY_PSEUDONYM_KEY
            assert session.scalar(select(Mention.id)) is None
    finally:
        engine.dispose()
