"""Two worker processes on one PostgreSQL database: each queue row is done once, and neither process fails.

Classification, routing and topic tagging claim their rows (`FOR NO KEY UPDATE SKIP LOCKED`), the weekly report
is written under a named lock, and a duplicate insert is skipped rather than raised. SQLite takes one writer at
a time: it is not tested here with two processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config.settings import load_settings
from models import Alert, AlertKind, Classification, Mention, MentionKind, MentionStatus, MentionTopic, ReportFile
from models.catalogue import find_source
from scheduler.context import Context
from tests.conftest import ROOT, write_settings

TEXTS = [
    "Livraison rapide, colis bien emballé, je recommande.",
    "Le service client ne répond jamais, très déçu.",
    "Great price and a delicious meal, we enjoyed it.",
    "Remboursement toujours pas reçu après trois semaines.",
    "Vendeur aimable en magasin, mais le parking est plein.",
    "The app crashes when I try to pay.",
]
MENTIONS = 120


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_workers_share_the_queues_without_a_traceback(tmp_path: Path, database_url: str) -> None:
    body = '[[brands]]\nslug = "acme"\nname = "Acme"\n\n[[brands.sources]]\nname = "shop"\nkind = "schema_org"\n'
    body += 'urls = ["http://127.0.0.1:9/"]\n'
    reports = f'out_dir = "{tmp_path / "reports"}"\nweekly_formats = ["html"]'
    path = write_settings(tmp_path, database_url, body, reports=reports, slack='channel = "#alerts"')
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    # Both start on a fresh database at once: one migrates it and stores the brands, the other waits for it.
    command = [sys.executable, "-m", "tests.support.pipeline_worker", str(path), str(barrier), "2"]
    workers = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    workers.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 300
    while len(list(barrier.glob("classify.*"))) < 2 and all(worker.poll() is None for worker in workers):
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.05)
    context = Context(load_settings(path), path)
    with context.sessions.begin() as session:
        source = find_source(session, "acme", "shop")
        assert source is not None
        for number in range(MENTIONS):
            session.add(
                Mention(
                    source_id=source.id,
                    external_id=str(number),
                    kind=MentionKind.REVIEW,
                    text=f"{TEXTS[number % len(TEXTS)]} (#{number})",
                    rating=1 + number % 5,
                    rating_best=5,
                    published_at=datetime(2026, 3, 2 + number % 7, 12, tzinfo=UTC),
                )
            )
    (barrier / "classify.test").touch()
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=600))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
    done = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    try:
        with context.sessions.begin() as session:
            # Every mention classified exactly once, and routed once, between the two processes.
            assert sum(d["classified"] for d in done) == MENTIONS
            assert sum(d["routed"] for d in done) == MENTIONS
            per_mention = session.execute(
                select(Classification.mention_id, func.count()).group_by(Classification.mention_id)
            ).all()
            assert len(per_mention) == MENTIONS and {n for _, n in per_mention} == {1}
            statuses = set(session.scalars(select(Mention.status)))
            assert not statuses & {MentionStatus.NEW, MentionStatus.CLASSIFIED}
            # Every mention tagged once (a duplicate topic row would break a unique constraint anyway).
            assert sum(d["tagged"] for d in done) == MENTIONS
            tagged = session.scalar(select(func.count(func.distinct(MentionTopic.mention_id))))
            assert tagged == MENTIONS
            # The weekly report: written by one of them, queued for Slack once.
            assert sorted(d["reports"] for d in done) == [0, 1]
            assert session.scalar(select(func.count()).where(Alert.kind == AlertKind.REPORT)) == 1
            assert session.scalar(select(func.count()).select_from(ReportFile)) == 1
    finally:
        context.close()
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["acme-2026-03-02-2026-03-08.html"]
