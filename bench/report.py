"""Benchmark: a report over one million stored mentions.

    python -m bench.report [--mentions 1000000] [--postgres-only]

Fills a fresh database (a SQLite file; also PostgreSQL when VEILLEUR_TEST_POSTGRES_URL names a server, as
printed by tests/start_postgres.sh) with one brand's mentions over a year, each with a classification and topic
tags, by bulk inserts (COPY on PostgreSQL, streamed: ten million fit); then builds the daily rollups
(models/rollups.py) and times a report over the whole year (every mention) and over its last 30 days, from the
rollups and from the rows, and prints the PostgreSQL plans of the report's main queries.

    python -m bench.report --mentions 10000000 --postgres-only   # the agency scale (about 45 min here)
    python -m bench.report --mentions 10000000 --postgres-only --keep --no-rows   # prints the kept database's name
    python -m bench.report --postgres-only --reuse veilleur_bench_1234abcd --no-rows   # times it again, no fill
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from models.db import make_engine, make_session_factory, upgrade
from models.rollups import rebuild
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


def records(count: int) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Each mention's row, its classification's and its topic tags', one mention at a time."""
    for row in rows(count):
        mention = (
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
        classification = (row["id"], row["id"], "bench", "1", row["sentiment"], 3.0, 0.0, 0.0, "{}", END)
        yield mention, classification, [(row["id"], topic, 0.9, "bench", "bench-v1", END) for topic in row["topics"]]


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
    def sqlite_value(value: Any) -> Any:
        # SQLAlchemy's SQLite DateTime text format, so string comparisons order as dates do.
        return _naive(value).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value

    connection = sqlite3.connect(path)
    statements = [
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        for table, columns in (
            ("mention", MENTION_COLUMNS),
            ("classification", CLASSIFICATION_COLUMNS),
            ("mention_topic", TOPIC_COLUMNS),
        )
    ]
    batch: list[list[list[Any]]] = [[], [], []]
    for mention, classification, topics in records(count):
        batch[0].append([sqlite_value(v) for v in mention])
        batch[1].append([sqlite_value(v) for v in classification])
        batch[2] += [[sqlite_value(v) for v in topic] for topic in topics]
        if len(batch[0]) >= 50_000:
            for statement, data in zip(statements, batch, strict=True):
                connection.executemany(statement, data)
            batch = [[], [], []]
    for statement, data in zip(statements, batch, strict=True):
        connection.executemany(statement, data)
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


TRIGGERED = ("mention", "classification", "mention_topic")


def load_postgres(engine: Engine, count: int) -> None:
    """COPY, fed one mention at a time. The rollup triggers are off
    meanwhile (a bulk load is followed by a rebuild): one mark per row would double the load."""
    with engine.begin() as connection:
        for table in TRIGGERED:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    # The mentions first (the others' foreign keys), the others kept meanwhile in CSV files: ten million rows of
    # each would not fit in memory.
    raw: Any = engine.raw_connection()
    try:
        with tempfile.TemporaryDirectory() as folder:
            later = [
                (Path(folder) / "classification.csv", CLASSIFICATION_COLUMNS),
                (Path(folder) / "topic.csv", TOPIC_COLUMNS),
            ]
            with ExitStack() as stack:
                copy = stack.enter_context(raw.cursor().copy(f"COPY mention ({', '.join(MENTION_COLUMNS)}) FROM STDIN"))
                files = [csv.writer(stack.enter_context(path.open("w", newline=""))) for path, _ in later]
                for mention, classification, topics in records(count):
                    copy.write_row([_naive(v) for v in mention])
                    files[0].writerow([_naive(v) for v in classification])
                    files[1].writerows([_naive(v) for v in topic] for topic in topics)
            raw.commit()
            for (path, columns), table in zip(later, ("classification", "mention_topic"), strict=True):
                with (
                    raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy,
                    path.open("rb") as data,
                ):
                    while chunk := data.read(1 << 20):
                        copy.write(chunk)
                raw.commit()
        cursor = raw.cursor()
        cursor.execute("SELECT setval('mention_id_seq', (SELECT max(id) FROM mention))")
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        for table in TRIGGERED:
            connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def build_rollups(engine: Engine, label: str) -> None:
    began = time.perf_counter()
    with make_session_factory(engine).begin() as session:
        rebuild(session)
    print(f"{label}: daily rollups built from the rows in {time.perf_counter() - began:.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE mention_day"))
            connection.execute(text("VACUUM ANALYZE topic_day"))


def time_reports(engine: Engine, label: str, row_level: bool = True) -> None:
    sessions = make_session_factory(engine)
    for rollups in (True, False) if row_level else (True,):
        options = Options(topics=topics_from([]), rollups=rollups)
        path = "rollups" if rollups else "rows"
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
                f"{label} {name} from {path}: {report.total.current.mentions + report.total.previous.mentions} "
                f"mentions read, report built in {built - began:.1f} s "
                f"(steps at {', '.join(f'{s} {t:.1f}s' for s, t in marks)}), HTML with charts {rendered - built:.1f} s"
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


def bench_sqlite(count: int, row_level: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = make_engine(url)
        setup_brand(engine)
        began = time.perf_counter()
        load_sqlite(path, count)
        print(f"SQLite: {count} mentions loaded in {time.perf_counter() - began:.1f} s")
        build_rollups(engine, "SQLite")
        time_reports(engine, "SQLite", row_level)
        engine.dispose()


def bench_postgres(server: str, count: int, row_level: bool, keep: bool = False, reuse: str | None = None) -> None:
    """A fresh database, filled and dropped; or kept (`keep`) to be timed again later by `reuse`, which only
    brings its schema up to date (new migrations: an index to try) and times the reports: a 10M fill is 20 min."""
    name = reuse or f"veilleur_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    if not reuse:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        engine = make_engine(url)
        if reuse:
            with engine.connect() as connection:
                count = connection.execute(text("SELECT count(*) FROM mention")).scalar_one()
            print(f"PostgreSQL: reusing {name} ({count} mentions)")
            # Statistics for the indexes a new migration made (an expression's); quick when nothing changed.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            setup_brand(engine)
            began = time.perf_counter()
            load_postgres(engine, count)
            print(f"PostgreSQL: {count} mentions loaded in {time.perf_counter() - began:.1f} s")
            build_rollups(engine, "PostgreSQL")
        time_reports(engine, "PostgreSQL", row_level)
        explain(engine)
        engine.dispose()
    finally:
        if keep or reuse:
            print(f"PostgreSQL: database kept, time it again with --reuse {name} (drop it with DROP DATABASE)")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--postgres-only", action="store_true", help="skip SQLite (ten million take hours there)")
    parser.add_argument("--no-rows", action="store_true", help="time the report from the rollups only")
    parser.add_argument("--keep", action="store_true", help="keep the filled PostgreSQL database (its name is printed)")
    parser.add_argument("--reuse", metavar="NAME", help="time the reports on a kept PostgreSQL database, no fill")
    args = parser.parse_args()
    if not args.postgres_only and not args.reuse:
        bench_sqlite(args.mentions, not args.no_rows)
    server = os.environ.get("VEILLEUR_TEST_POSTGRES_URL")
    if not server:
        print("PostgreSQL: VEILLEUR_TEST_POSTGRES_URL not set (tests/start_postgres.sh prints it): skipped")
        return
    bench_postgres(server, args.mentions, not args.no_rows, keep=args.keep, reuse=args.reuse)


if __name__ == "__main__":
    main()
