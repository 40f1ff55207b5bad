"""Store each mention once: idempotent on (source, external_id), one commit per item so a crash loses nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawlers.items import MentionItem
from models import Author, Mention, MentionKind, Source
from models.db import make_engine, make_session_factory
from models.identity import author_handle, erased_external_id, minimised_name, pseudonym_secret


class StorePipeline:
    def __init__(self, database_url: str, pseudonym_secret: str) -> None:
        self.database_url = database_url
        self.pseudonym_secret = pseudonym_secret

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        return cls(crawler.settings["VEILLEUR_DATABASE_URL"], crawler.settings["VEILLEUR_PSEUDONYM_SECRET"])

    def open_spider(self, spider) -> None:  # type: ignore[no-untyped-def]
        self.engine = make_engine(self.database_url)
        self.sessions = make_session_factory(self.engine)

    def close_spider(self, spider) -> None:  # type: ignore[no-untyped-def]
        self.engine.dispose()

    def process_item(self, item: MentionItem, spider) -> MentionItem:  # type: ignore[no-untyped-def]
        stats = spider.crawler.stats
        try:
            with self.sessions.begin() as session:
                stored = self._store(session, spider.source_id, item)
        except IntegrityError:
            # Another writer stored the same mention between our check and our insert: it is stored once.
            stored = False
        stats.inc_value("mentions/new" if stored else "mentions/already_stored")
        return item

    def _store(self, session: Session, source_id: int, item: MentionItem) -> bool:
        exists = session.scalar(
            select(Mention.id).where(Mention.source_id == source_id, Mention.external_id == item.external_id)
        )
        if exists is not None:
            return False
        if item.external_id and self._erased(session, source_id, item.external_id):
            return False  # the author asked to be erased: a re-crawl or re-import must not bring it back
        source = session.get_one(Source, source_id)
        session.add(
            Mention(
                source_id=source_id,
                external_id=item.external_id,
                kind=MentionKind(item.kind),
                url=item.url,
                author=self._author(session, source.kind, item),
                title=item.title,
                text=item.text,
                rating=item.rating,
                rating_best=item.rating_best,
                rating_worst=item.rating_worst,
                rating_normalised=item.extra.get("rating_normalised"),
                language=item.language,
                published_at=item.published_at,
                experienced_at=item.experienced_at,
                updated_at=item.updated_at,
                reply_text=item.reply_text,
                reply_at=item.reply_at,
                verified_purchase=item.verified_purchase,
                order_ref=item.order_ref,
                consent=item.consent or source.consent,
                product=item.product,
                location=item.location,
                reach=item.reach if isinstance(item.reach, int) else None,
            )
        )
        return True

    @staticmethod
    def _erased(session: Session, source_id: int, external_id: str) -> bool:
        tombstone = erased_external_id(source_id, external_id)
        return (
            session.scalar(select(Mention.id).where(Mention.source_id == source_id, Mention.external_id == tombstone))
            is not None
        )

    def _author(self, session: Session, source_kind: str, item: MentionItem) -> Author | None:
        key = item.author_id or item.author
        if not key:
            return None
        handle = author_handle(pseudonym_secret(session, self.pseudonym_secret), source_kind, key)
        author = session.scalar(select(Author).where(Author.source_kind == source_kind, Author.handle == handle))
        if author is None:
            author = Author(
                source_kind=source_kind, handle=handle, name=item.author, display_name=minimised_name(item.author)
            )
            session.add(author)
        if item.contact:
            author.contact = item.contact  # the newest address the author gave
        return author
