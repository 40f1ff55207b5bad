"""The distributed mode's throughput: sources crawled per minute and mentions classified per second with 1, 2 and 4
worker processes, and a review's delay from appearing to Slack at that load (docs/distributed.md).

    VEILLEUR_TEST_POSTGRES_URL=... python -m bench.distributed [--workers 1,2,4] [--sources 40] [--delay 2]

Needs a PostgreSQL server (tests/start_postgres.sh prints its URL) and redis-server (a server of its own is started
on a free port). For each worker count, on a new database: one brand per source, each source a page of a local
site that answers after `--delay` seconds (crawls wait on the network, as on the real web) with `--reviews`
reviews; the shipped settings (the real classifier) with the crawl interval at one minute.
1. crawl: one scheduler and N `worker --queues crawl` processes for `--window` seconds; crawls finished per minute.
2. classify: the crawl workers stopped, N `worker --queues classify` processes; mentions classified per second,
   from the first classification to the last (the models' loading apart, printed too).
3. end to end: crawl, classify and send workers together (N crawl, one of the rest); a new 1-star review on a
   page, its time to the Slack sink, three times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench import live
from config.settings import load_settings
from models import Classification, CrawlRun, Mention
from scheduler.context import Context
from tests.support.cluster import Cluster, RedisServer, seen_before, wait_until
from tests.support.databases import POSTGRES_ENV, create_postgres_database, drop_postgres_database

NEGATIVE = "Colis jamais arrivé, aucune réponse du service client depuis trois semaines, je veux être remboursé"
POSITIVE = "Très bon produit, livraison rapide, je recommande"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--reviews", type=int, default=10)
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--window", type=float, default=150.0)
    arguments = parser.parse_args()
    if not os.environ.get(POSTGRES_ENV):
        raise SystemExit(f"set {POSTGRES_ENV} to a PostgreSQL server's admin URL (tests/start_postgres.sh prints one)")
    print(f"{arguments.sources} sources ({arguments.reviews} reviews each), site answering in {arguments.delay} s")
    print("workers  crawls/min  classified/s  model load s  appeared->Slack median s (samples)")
    for count in [int(n) for n in arguments.workers.split(",")]:
        with tempfile.TemporaryDirectory(prefix="veilleur-bench-") as folder:
            figures = measure(Path(folder), count, arguments)
        print(
            f"{count:>7}  {figures['crawls']:>10.1f}  {figures['classified']:>12.1f}  {figures['load']:>12.1f}"
            f"  {figures['e2e']:>8.1f} ({', '.join(f'{s:.0f}' for s in figures['samples'])})"
        )


def measure(folder: Path, count: int, arguments: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    site = live.Site(delay=arguments.delay)
    brands = [f"b{number:03d}" for number in range(arguments.sources)]
    for brand in brands:
        for index in range(arguments.reviews):
            site.add(brand, live.Review(f"{brand}-{index}", POSITIVE, 5))
    server = site.serve()
    redis = RedisServer(folder)
    redis.start()
    url, name = create_postgres_database()
    path = live.write_settings(folder, server.server_address[1], brands, crawl_minutes=1)
    text = path.read_text(encoding="utf-8")
    text = text.replace(f'url = "sqlite:///{folder / "veilleur.db"}"', f'url = "{url}"')
    text = text.replace('broker_url = ""', f'broker_url = "{redis.url}"')
    path.write_text(text, encoding="utf-8")
    cluster = Cluster(path, folder, {"VEILLEUR__MODERATION__BACKFILL_DAYS": "0"})
    engine = create_engine(url)
    try:
        return _phases(cluster, engine, site, brands, count, arguments, folder)
    finally:
        cluster.stop_all()
        redis.kill()
        server.shutdown()
        engine.dispose()
        drop_postgres_database(name)


def _phases(cluster, engine, site, brands, count, arguments, folder) -> dict:  # type: ignore[no-untyped-def,type-arg]
    from sqlalchemy.orm import Session

    def scalar(statement):  # type: ignore[no-untyped-def]
        with Session(engine) as session:
            return session.scalar(statement)

    context = Context(load_settings(cluster.settings), cluster.settings)  # migrated, brands stored
    with context.sessions.begin() as session:
        seen_before(session)  # what is crawled next is news: alerted
    context.close()
    cluster.scheduler("scheduler")
    for number in range(count):
        cluster.worker(f"crawl-{number}", "crawl", concurrency=1)
    first = wait_until(
        lambda: scalar(select(func.min(CrawlRun.finished_at)).where(CrawlRun.items_seen > 0)), 300, cluster.logs
    )
    time.sleep(arguments.window)
    window_end = datetime.now(UTC)
    done = scalar(
        select(func.count(CrawlRun.id)).where(CrawlRun.finished_at > first, CrawlRun.finished_at <= window_end)
    )
    crawls = done / ((window_end - first).total_seconds() / 60)
    for number in range(count):
        cluster.stop(f"crawl-{number}")
    total = scalar(select(func.count(Mention.id)))
    started = datetime.now(UTC)
    for number in range(count):
        cluster.worker(f"classify-{number}", "classify", concurrency=1)
    wait_until(
        lambda: scalar(select(func.count(func.distinct(Classification.mention_id)))) >= total, 1800, cluster.logs
    )
    with Session(engine) as session:
        begin, end = session.execute(
            select(func.min(Classification.created_at), func.max(Classification.created_at))
        ).one()
    classified = total / max((end - begin).total_seconds(), 1e-3)
    load = (begin - started).total_seconds()  # the processes start and load the models
    for number in range(count):
        cluster.worker(f"crawl-again-{number}", "crawl", concurrency=1)
    cluster.worker("rest", "send,upkeep,topics,reports", concurrency=1)
    samples = []
    sink = folder / "sink.jsonl"
    for sample in range(3):
        marker = f"{brands[sample * 7 % len(brands)]}-late{sample}"
        review = live.Review(marker, NEGATIVE, 1)
        site.add(brands[sample * 7 % len(brands)], review)
        added = time.monotonic()
        wait_until(lambda marker=marker: live.in_sink(sink, marker), 600, cluster.logs)
        samples.append(time.monotonic() - added)
    return {
        "crawls": crawls,
        "classified": classified,
        "load": load,
        "e2e": statistics.median(samples),
        "samples": samples,
    }


if __name__ == "__main__":
    main()
