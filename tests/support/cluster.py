"""A distributed Veilleur on this machine for tests: a Redis server of its own, `veilleur scheduler` and
`veilleur worker` processes (each in a process group of its own, so that a kill -9 takes its pool and its crawl
with it, as losing a machine would), a local site of generated review pages, and the checks that say whether each
tick ran once and each mention was stored, classified and alerted once."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Alert, Brand, Classification, CrawlRun, Mention, MentionStatus, ScheduledTick, Source
from tests.conftest import ROOT
from tests.support.servers import free_port

REDIS_ENV = "VEILLEUR_TEST_REDIS_SERVER"  # the redis-server program (tests/start_redis.sh prints it)
NEGATIVE = "Commande {ref} jamais livrée, service client injoignable, remboursement refusé : une arnaque, honteux."
POSITIVE = "Commande {ref} reçue vite, produit conforme et très bon accueil, merci beaucoup, je recommande."


def redis_program() -> str | None:
    return os.environ.get(REDIS_ENV) or shutil.which("redis-server")


class RedisServer:
    """redis-server on a free port, without persistence: a kill loses every message it held, as a crash would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        program = redis_program()
        assert program, f"no redis-server: set {REDIS_ENV} or install it (tests/start_redis.sh)"
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen([program, *arguments, "--dir", str(self.folder)], stdout=log, stderr=log)
        wait_until(self._answers, 20, "redis-server did not start")

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Cluster:
    """Schedulers and workers started from one settings file; their output goes to FOLDER/NAME.log."""

    def __init__(self, settings: Path, folder: Path, environment: dict[str, str]) -> None:
        self.settings = settings
        self.folder = folder
        self.environment = {**os.environ, **environment, "PYTHONUNBUFFERED": "1"}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def _start(self, name: str, *arguments: str) -> None:
        command = [sys.executable, "-m", "veilleur", *arguments, "--settings", str(self.settings)]
        with (self.folder / f"{name}.log").open("ab") as log:  # the process writes to its own copy
            self.processes[name] = subprocess.Popen(
                command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=self.environment
            )

    def worker(self, name: str, queues: str | None = None, concurrency: int = 2) -> None:
        self._start(name, "worker", "--concurrency", str(concurrency), *(["--queues", queues] if queues else []))

    def scheduler(self, name: str) -> None:
        self._start(name, "scheduler")

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def kill(self, name: str) -> None:
        """kill -9 the process, its pool and its crawls: nothing of it gets to clean up."""
        process = self.processes[name]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

    def stop(self, name: str, timeout: float = 60) -> None:
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(name)

    def stop_all(self) -> None:
        for name in list(self.processes):
            if self.processes[name].poll() is None:
                self.processes[name].send_signal(signal.SIGTERM)
        for name in list(self.processes):
            try:
                self.processes[name].wait(60)
            except subprocess.TimeoutExpired:
                self.kill(name)
        for process in self.processes.values():  # a pool child or crawl left behind by a clean stop
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"===== {name}\n{self.log(name)[-4000:]}" for name in self.processes)

    def tracebacks(self) -> dict[str, str]:
        return {name: self.log(name) for name in self.processes if "Traceback" in self.log(name)}


def wait_until(condition: Callable[[], Any], seconds: float, failure: str | Callable[[], str]) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(failure() if callable(failure) else failure)
        time.sleep(0.2)


def write_site(folder: Path, sources: int, reviews: int) -> dict[str, list[str]]:
    """One page of schema.org reviews per source, each review carrying a unique reference; returns the references
    per source. Every third review is a harsh complaint (an alert to answer), the others praise."""
    references: dict[str, list[str]] = {}
    published = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    for number in range(sources):
        name = f"shop{number:02d}"
        refs = [f"REF{number:02d}X{index}" for index in range(reviews)]
        nodes = [
            {
                "@type": "Review",
                "@id": f"http://example.org/{name}/{ref}",
                "author": {"@type": "Person", "name": f"Client {index}"},
                "datePublished": published,
                "reviewBody": (NEGATIVE if index % 3 == 0 else POSITIVE).format(ref=ref),
                "reviewRating": {"@type": "Rating", "ratingValue": "1" if index % 3 == 0 else "5", "bestRating": "5"},
            }
            for index, ref in enumerate(refs)
        ]
        graph = {"@context": "https://schema.org", "@graph": nodes}
        page = f'<html><head><script type="application/ld+json">{json.dumps(graph)}</script></head><body></body></html>'
        (folder / f"{name}.html").write_text(page, encoding="utf-8")
        references[name] = refs
    return references


def brands_body(base_url: str, sources: int, interval_minutes: int) -> str:
    body = '[[brands]]\nslug = "acme"\nname = "Acme"\n'
    for number in range(sources):
        body += f'\n[[brands.sources]]\nname = "shop{number:02d}"\nkind = "schema_org"\n'
        body += f'urls = ["{base_url}/shop{number:02d}.html"]\ninterval_minutes = {interval_minutes}\n'
        body += "own = true\nconsent = true\n"
    return body


def seen_before(session: Session) -> int:
    """Record one earlier crawl of every source, so that what the test crawls is news (alerted), not history.
    Returns the highest crawl run id, after which the test's own runs come."""
    for source in session.scalars(select(Source)):
        session.add(CrawlRun(source_id=source.id, outcome="ok", finished_at=datetime.now(UTC) - timedelta(days=1)))
    session.flush()
    return session.scalar(select(func.max(CrawlRun.id))) or 0


def settled(session: Session, expected_mentions: int) -> bool:
    """Every page's reviews stored, classified and routed, and every alert not held for a digest delivered."""
    mentions = session.scalar(select(func.count(Mention.id))) or 0
    waiting = session.scalar(
        select(func.count(Mention.id)).where(Mention.status.in_([MentionStatus.NEW, MentionStatus.CLASSIFIED]))
    )
    # A held alert (a spike: digest only) waits for the daily digest, by design.
    unsent = session.scalar(select(func.count(Alert.id)).where(Alert.sent_at.is_(None), Alert.held_reason.is_(None)))
    alerts = session.scalar(select(func.count(Alert.id)))
    return mentions == expected_mentions and waiting == 0 and bool(alerts) and unsent == 0


def check_once(
    session: Session, references: dict[str, list[str]], after_run: int, posted: list[dict[str, Any]]
) -> None:
    """The promises: each crawl tick ran once, each review stored once, classified once, alerted once."""
    runs = Counter(
        name
        for name, outcome in session.execute(
            select(Source.name, CrawlRun.outcome).join(CrawlRun.source).where(CrawlRun.id > after_run)
        )
        if outcome == "ok"
    )
    ticks = Counter(
        job.removeprefix("crawl:acme/")
        for (job,) in session.execute(
            select(ScheduledTick.job).where(
                ScheduledTick.job.like("crawl:%"),
                ScheduledTick.done_at.is_not(None),
                ScheduledTick.claimed_by != "superseded",
            )
        )
    )
    assert set(runs) == set(references), f"sources never crawled: {sorted(set(references) - set(runs))}"
    assert runs == ticks, f"crawls per source {dict(runs)} != ticks done per source {dict(ticks)}"
    stored = Counter(
        name for name, text in session.execute(select(Source.name, Mention.text).join(Mention.source)) if text
    )
    assert stored == {name: len(refs) for name, refs in references.items()}, "a review lost or stored twice"
    per_mention = Counter(session.scalars(select(Classification.mention_id)))
    assert len(per_mention) == sum(stored.values()) and set(per_mention.values()) == {1}, "classified twice"
    alerts = session.scalars(select(Alert).where(Alert.mention_id.is_not(None))).all()
    assert len({(a.kind, a.mention_id) for a in alerts}) == len(alerts), "a mention alerted twice"
    assert all(a.sent_at is not None for a in alerts), "an alert never sent"
    # Each alert in exactly one Slack message (the outbox stamps each message with the ids of the alerts it
    # carries), and that message quotes the review. Other messages may quote it too (a crisis cell's timeline).
    carried: dict[int, list[str]] = {}
    for body in posted:
        metadata = body.get("metadata") or {}
        metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
        if metadata.get("event_type") == "veilleur_alert":
            for alert_id in metadata.get("event_payload", {}).get("alert_ids", []):
                carried.setdefault(alert_id, []).append(json.dumps(body, ensure_ascii=False))
    alerted = session.execute(
        select(Alert.id, Mention.text).join(Mention, Alert.mention_id == Mention.id).where(Alert.held_reason.is_(None))
    ).all()
    assert alerted, "no review was alerted"
    wrong = {alert_id: len(carried.get(alert_id, [])) for alert_id, _ in alerted if len(carried.get(alert_id, [])) != 1}
    assert not wrong, f"alerts not posted exactly once (alert id: messages): {wrong}"
    for alert_id, text in alerted:
        reference = re.search(r"REF\d+X\d+", text or "")
        assert reference and reference.group(0) in carried[alert_id][0], f"alert {alert_id}'s message lacks its review"
    assert session.scalar(select(func.count(Brand.id))) == 1
