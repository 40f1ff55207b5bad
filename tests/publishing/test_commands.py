"""`veilleur publish` and `veilleur privacy` on a real settings file and database; the serve routes; the jobs."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient
from typer.testing import CliRunner

from config.settings import load_settings
from models import Author, Mention, MentionKind, MentionStatus, RejectionReason, Source
from moderation import workflow
from scheduler import jobs
from scheduler.worker import build_scheduler
from tests.conftest import write_settings
from tests.publishing.receiver import Receiver
from veilleur.cli import app
from web.feed import publishing_routes

BRAND = """
[[brands]]
slug = "acme"
name = "Acme"

[[brands.sources]]
name = "avis"
kind = "survey"
urls = ["https://acme.example/avis.csv"]
own = true
"""


def setup(tmp_path, database_url, publishing=""):
    path = write_settings(tmp_path, database_url, BRAND, publishing=publishing)
    context = jobs.Context(load_settings(path), path)
    with context.sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        author = Author(source_kind="survey", handle="h1", name="Marie Curie", display_name="Marie C.")
        mention = Mention(
            source=source,
            author=author,
            external_id="order:1",
            kind=MentionKind.REVIEW,
            text="Parfait <script>alert(1)</script>",
            rating=5.0,
            rating_best=5.0,
            consent=True,
            status=MentionStatus.TO_PUBLISH,
        )
        session.add(mention)
        session.flush()
        workflow.publish(session, mention.id, "cli:alice")
    return path, context


def run(path, *args):
    result = CliRunner().invoke(app, [*args, "--settings", str(path)])
    return result


def test_publish_feed_and_disclosure_files(tmp_path, database_url):
    path, context = setup(tmp_path, database_url)
    try:
        result = run(path, "publish", "feed", "--brand", "acme", "--out", str(tmp_path / "feed.json"))
        assert result.exit_code == 0, result.output
        [entry] = json.loads((tmp_path / "feed.json").read_text())
        assert entry["author"] == "Marie C." and entry["text"] == "Parfait <script>alert(1)</script>"
        result = run(path, "publish", "feed", "--brand", "acme", "--format", "html", "--out", str(tmp_path / "f.html"))
        assert result.exit_code == 0, result.output
        assert "Parfait &lt;script&gt;" in (tmp_path / "f.html").read_text()
        # The widget as a script: the same fragment in one JSON string, nothing fetched.
        result = run(path, "publish", "feed", "--brand", "acme", "--format", "js", "--out", str(tmp_path / "f.js"))
        assert result.exit_code == 0, result.output
        script = (tmp_path / "f.js").read_text()
        assert "insertAdjacentHTML" in script and "fetch" not in script and "<script>alert" not in script
        assert "style-src 'sha256-" in result.output  # the CSP source a site adds, printed on stderr
        result = run(path, "publish", "disclosure", "--brand", "acme", "--out", str(tmp_path / "d.html"))
        assert result.exit_code == 0 and "Motifs de refus" in (tmp_path / "d.html").read_text()
        assert run(path, "publish", "feed", "--brand", "nope").exit_code == 2
        assert "nothing is pushed" in run(path, "publish", "send").output
    finally:
        context.close()


def test_publish_send_then_erase_then_retention(tmp_path, database_url):
    with Receiver("k") as site:
        path, context = setup(tmp_path, database_url, f'webhook_url = "{site.url}"\nwebhook_secret = "k"')
        try:
            result = run(path, "publish", "send")
            assert result.exit_code == 0 and "1 delivered" in result.output, result.output
            result = run(path, "privacy", "erase", "--name", "marie curie", "--actor", "cli:dpo")
            assert result.exit_code == 0 and "erased 1 author(s): 1 review(s) (1 withdrawn" in result.output
            assert run(path, "privacy", "erase", "--name", "marie curie").exit_code == 1
            assert "1 delivered" in run(path, "publish", "send").output
            result = run(path, "privacy", "retention")
            assert result.exit_code == 0 and "pseudonymised 0 author(s)" in result.output, result.output
        finally:
            context.close()
    assert [r["body"]["event"] for r in site.accepted()] == ["published", "withdrawn"]


def test_erase_replaces_the_mail_sink_messages_about_the_person(tmp_path, database_url):
    path, context = setup(tmp_path, database_url)
    try:
        with context.sessions.begin() as session:
            source = session.scalars(select(Source)).one()
            for n, (name, contact) in enumerate((("Paul Durand", "paul@example.org"), ("Zoé Roy", "zoe@example.org"))):
                author = Author(source_kind="survey", handle=f"h{n + 2}", name=name, contact=contact)
                mention = Mention(
                    source=source,
                    author=author,
                    external_id=f"order:{n + 2}",
                    kind=MentionKind.REVIEW,
                    text="Nul, nul, nul.",
                    rating=1.0,
                    rating_best=5.0,
                    status=MentionStatus.TO_REPLY,
                )
                session.add(mention)
                session.flush()
                workflow.reject(session, mention.id, "cli:alice", RejectionReason.OFF_TOPIC)
        assert jobs.notify(context) == (2, 0)
        sink = context.settings.path(context.settings.moderation.smtp.sink_path)
        with sink.open("a", encoding="utf-8") as handle:
            handle.write('{"to": "paul@example.org", "subj')  # a line a crash cut short
    finally:
        context.close()
    result = run(path, "privacy", "erase", "--contact", "PAUL@example.org")
    assert result.exit_code == 0, result.output
    assert "2 message(s) about them replaced in the local mail sink" in result.output
    lines = sink.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and "paul" not in sink.read_text(encoding="utf-8").lower()
    assert [json.loads(line)["to"] for line in lines] == ["[effacé / erased]", "zoe@example.org", "[effacé / erased]"]


def test_serve_routes(tmp_path, database_url):
    path, context = setup(tmp_path, database_url)
    try:
        client = TestClient(Starlette(routes=publishing_routes(context.sessions, context.settings)))
        feed = client.get("/feed/acme.json")
        assert feed.status_code == 200 and feed.json()[0]["author"] == "Marie C."
        assert feed.headers["access-control-allow-origin"] == "*"
        page = client.get("/feed/acme.html?lang=en")
        assert page.status_code == 200 and "Customer reviews" in page.text and "&lt;script&gt;" in page.text
        assert page.headers["content-type"].startswith("text/html")
        script = client.get("/feed/acme.js")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert client.get("/feed/other.js").status_code == 404
        assert "Motifs de refus" in client.get("/disclosure/acme.html").text
        assert client.get("/feed/other.json").status_code == 404
        assert client.get("/disclosure/other.html").status_code == 404
    finally:
        context.close()


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan"), 1e308])
def test_the_feed_never_fails_on_a_stored_number(tmp_path, database_url, bad):
    # Stored before numbers from outside were checked (issue 15): the feed shows the review without that number.
    path, context = setup(tmp_path, database_url)
    try:
        with context.sessions.begin() as session:
            mention = session.scalars(select(Mention)).one()
            mention.rating_best, mention.rating_normalised = bad, bad
        client = TestClient(Starlette(routes=publishing_routes(context.sessions, context.settings)))
        feed = client.get("/feed/acme.json")
        assert feed.status_code == 200
        [entry] = feed.json()
        assert entry["text"].startswith("Parfait")
        # Not shown when its scale is not one (SQLite keeps NaN as NULL: the default scale then holds).
        numbers = [entry["rating"], entry["rating_best"], entry["rating_worst"]]
        assert all(number is None or math.isfinite(number) for number in numbers), numbers
        page = client.get("/feed/acme.html")
        assert page.status_code == 200 and "Infinity" not in page.text and "NaN" not in page.text
    finally:
        context.close()


def test_the_worker_runs_the_webhook_and_retention_jobs(tmp_path, database_url):
    path, context = setup(tmp_path, database_url)
    try:
        ids = {job.id for job in build_scheduler(context).get_jobs()}
        assert {"webhook", "retention"} <= ids
        assert jobs.retention(context) == (0, 0)
        assert jobs.send_webhooks(context).sent == 0  # no URL: the change waits
    finally:
        context.close()
