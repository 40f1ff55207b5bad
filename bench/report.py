"""Benchmark: a report over one million stored mentions.

    python -m bench.report [--mentions 1000000]

Fills a fresh database (a SQLite file; also PostgreSQL when VEILLEUR_TEST_POSTGRES_URL names a server, as
printed by tests/start_postgres.sh) with one brand's mentions over a year, each with a classification and topic
tags, by bulk inserts (COPY on PostgreSQL); then times a report over the whole year (every mention) and over its
last 30 days, and prints the PostgreSQL plans of the report's main queries.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from models.db import make_engine, make_session_factory, upgrade
from reports import html
from reports.build import Options, build_report
from reports.collect import mentions_query
from reports.topics import topics_from

END = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 365
SOURCES = ("trustpilot", "google", "survey", "social")
STATUSES = ("published", "published", "published", "replied", "to_reply", "rejected", "watch", "to_publish")
TOPICS = [t.name for t in topics_from([])]
WORDS = "livraison colis service client prix facture magasin vendeur site commande qualité produit".split()


def rows(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    random.seed(seed)
    for i in range(1, count + 1):
        when = END - timedelta(seconds=random.randrange(DAYS * 86400))
        review = random.random() < 0.7
        rating = random.choice((1, 2, 3, 4, 4, 5, 5, 5)) if review else None
        sentiment = "negative" if (rating or 3) <= 2 else ("positive" if (rating or 3) >= 4 else "neutral")
        replied = review and random.random() < 0.4
        yield {
            "id": i,
            "source_id": 1 + i % len(SOURCES),
            "kind": "review" if review else "post",
            "text": " ".join(random.choices(WORDS, k=12)),
            "rating_normalised": None if rating is None else (rating - 1) / 4,
            "published_at": when,
            "collected_at": when + timedelta(hours=1),
            "reply_at": when + timedelta(hours=random.randrange(1, 72)) if replied else None,
            "reply_due_at": when + timedelta(hours=24) if sentiment == "negative" else None,
            "status": random.choice(STATUSES),
            "rejection_reason": None,
            "product": f"P{random.randrange(200)}" if review else None,
            "location": f"L{random.randrange(30)}" if random.random() < 0.5 else None,
            "sentiment": sentiment,
            "topics": random.sample(TOPICS, k=random.choice((1, 1, 2))) if random.random() < 0.9 else ["other"],
        }


MENTION_COLUMNS = (
    "id source_id external_id kind text rating_normalised published_at collected_at reply_at reply_due_at "
    "verified_purchase consent status rejection_reason product location"
).split()


def records(count: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    mentions, classifications, topics = [], [], []
    for row in rows(count):
        mentions.append(
            (
                row["id"],
                row["source_id"],
                f"e{row['id']}",
                row["kind"],
                row["text"],
                row["rating_normalised"],
                row["published_at"],
                row["collected_at"],
                row["reply_at"],
                row["reply_due_at"],
                False,
                False,
                row["status"],
                "spam" if row["status"] == "rejected" else None,
                row["product"],
                row["location"],
            )
        )
        classifications.append((row["id"], row["id"], "bench", "1", row["sentiment"], 3.0, 0.0, 0.0, "{}", END))
        for topic in row["topics"]:
            topics.append((row["id"], topic, 0.9, "bench", "bench-v1", END))
    return mentions, classifications, topics


def setup_brand(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO brand (id, slug, name) VALUES (1, 'bench', 'Bench')"))
        for number, name in enumerate(SOURCES, start=1):
            connection.execute(
                text(
                    "INSERT INTO source (id, brand_id, name, kind, own, consent, healthy) "
                    "VALUES (:id, 1, :name, 'feed', false, false, true)"
                ),
                {"id": number, "name": name},
            )


def _naive(value: Any) -> Any:
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


CLASSIFICATION_COLUMNS = "id mention_id model_name model_version sentiment stars toxic spam scores created_at".split()
TOPIC_COLUMNS = "mention_id topic score method version created_at".split()


def load_sqlite(path: Path, count: int) -> None:
    mentions, classifications, topics = records(count)

    def sqlite_value(value: Any) -> Any:
        # SQLAlchemy's SQLite DateTime text format, so string comparisons order as dates do.
        return _naive(value).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value

    connection = sqlite3.connect(path)
    for table, columns, data in (
        ("mention", MENTION_COLUMNS, mentions),
        ("classification", CLASSIFICATION_COLUMNS, classifications),
        ("mention_topic", TOPIC_COLUMNS, topics),
    ):
        marks = ", ".join("?" for _ in columns)
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            ([sqlite_value(v) for v in row] for row in data),
        )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def load_postgres(engine: Engine, count: int) -> None:
    mentions, classifications, topics = records(count)
    raw: Any = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, data in (
            ("mention", MENTION_COLUMNS, mentions),
            ("classification", CLASSIFICATION_COLUMNS, classifications),
            ("mention_topic", TOPIC_COLUMNS, topics),
        ):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row([_naive(v) for v in row])
        raw.commit()
        cursor.execute("SELECT setval('mention_id_seq', (SELECT max(id) FROM mention))")
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def time_reports(engine: Engine, label: str) -> None:
    sessions = make_session_factory(engine)
    options = Options(topics=topics_from([]))
    for name, start in (("whole year", END - timedelta(days=DAYS)), ("last 30 days", END - timedelta(days=30))):
        steps: list[tuple[str, float]] = []
        began = time.perf_counter()
        with sessions.begin() as session:
            report = build_report(
                session,
                "bench",
                start,
                END,
                options,
                now=END,
                progress=lambda s, steps=steps: steps.append((s, time.perf_counter())),  # type: ignore[misc]
            )
        built = time.perf_counter()
        html.render(report, "bench")
        rendered = time.perf_counter()
        marks = [(s, t - began) for s, t in steps]
        print(
            f"{label} {name}: {report.total.current.mentions + report.total.previous.mentions} mentions read, "
            f"report built in {built - began:.1f} s (steps at {', '.join(f'{s} {t:.1f}s' for s, t in marks)}), "
            f"HTML with charts {rendered - built:.1f} s"
        )


def explain(engine: Engine) -> None:
    start = END - timedelta(days=30)
    query = mentions_query([1, 2, 3, 4], start - (END - start), start, END, END)
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    params = {key: _naive(value) for key, value in compiled.params.items()}
    with engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN " + str(compiled), params).scalars().all()
    print("PostgreSQL plan of the main query (last 30 days and the 30 before):")
    print("\n".join("  " + line for line in plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = make_engine(url)
        setup_brand(engine)
        began = time.perf_counter()
        load_sqlite(path, args.mentions)
        print(f"SQLite: {args.mentions} mentions loaded in {time.perf_counter() - began:.1f} s")
        time_reports(engine, "SQLite")
        engine.dispose()
    server = os.environ.get("VEILLEUR_TEST_POSTGRES_URL")
    if not server:
        print("PostgreSQL: VEILLEUR_TEST_POSTGRES_URL not set (tests/start_postgres.sh prints it): skipped")
        return
    name = f"veilleur_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        engine = make_engine(url)
        setup_brand(engine)
        began = time.perf_counter()
        load_postgres(engine, args.mentions)
        print(f"PostgreSQL: {args.mentions} mentions loaded in {time.perf_counter() - began:.1f} s")
        time_reports(engine, "PostgreSQL")
        explain(engine)
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
