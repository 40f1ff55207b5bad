"""One of several worker processes in a test: `python -m tests.support.pipeline_worker SETTINGS FOLDER PARTIES`.

Starts as the worker does (migrations, brands and sources from settings) on the database named in SETTINGS, then
runs the queue stages a worker runs (classify, route, tag topics, write the weekly report) with a fake classifier
and the lexical tagger. Before starting and before each stage it waits for the other PARTIES - 1 processes to
reach it too (a file barrier in FOLDER), so that each really runs at the same time in all of them; before
classifying, it also waits for the test ("classify.test": the mentions are stored). Prints what each stage did,
as JSON."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from config.settings import load_settings
from moderation.jobs import classify_pending
from reports import output
from reports.tagging import tag_pending
from reports.topics import LexicalTagger
from scheduler import jobs
from scheduler.context import Context
from tests.skeleton.test_end_to_end import WordClassifier

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)  # a Tuesday: the weekly report covers 2026-03-02 to 2026-03-08


def barrier(folder: Path, stage: str, parties: int, seconds: float = 120) -> None:
    (folder / f"{stage}.{os.getpid()}").touch()
    deadline = time.monotonic() + seconds
    while len(list(folder.glob(f"{stage}.*"))) < parties:
        if time.monotonic() > deadline:
            raise SystemExit(f"the other workers never reached {stage}")
        time.sleep(0.01)


def main(settings_path: str, folder_name: str, parties: str) -> None:
    folder, count = Path(folder_name), int(parties)
    settings = load_settings(settings_path)
    tagger = LexicalTagger(output.options_from(settings.reports).topics)
    barrier(folder, "start", count)
    context = Context(settings, Path(settings_path))
    done: dict[str, int] = {}
    barrier(folder, "classify", count + 1)
    done["classified"] = classify_pending(context.sessions, WordClassifier(), batch_size=4)
    barrier(folder, "route", count)
    done["routed"] = jobs.route(context)
    barrier(folder, "topics", count)
    done["tagged"] = tag_pending(context.sessions, tagger, batch_size=4)
    barrier(folder, "report", count)
    done["reports"] = len(jobs.weekly_report(context, now=NOW))
    context.close()
    print(json.dumps(done))


if __name__ == "__main__":
    main(*sys.argv[1:])
