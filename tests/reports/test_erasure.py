"""Erasing a person writes again the report files that quote them (DESIGN.md rule 6: "removes a person
everywhere"): HTML and CSV on disk, recorded with the mentions they quote, rewritten with the same brand, period,
format and path; a file deleted since is forgotten; one that cannot be built again keeps its flag and its error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from config.settings import load_settings
from models import Alert, AlertKind, Author, Mention, ReportFile
from moderation.privacy import erase_author
from scheduler import jobs
from scheduler.status import overview
from tests.conftest import write_settings
from tests.reports import fixture
from tests.support.fake_slack import FakeSlack

QUOTED = "Three weeks waiting for my parcel."  # fixture #3, quoted as a delivery irritant
PUBLISHED = "Livraison rapide, le livreur a été adorable."  # fixture #1, quoted as delivery praise
TUESDAY = datetime(2026, 3, 10, 9, tzinfo=UTC)  # the last week is 2026-03-02 to 2026-03-08
OTHER_QUOTE = "Le service client ne répond jamais."  # fixture #4, someone else, quoted as a late reply


def context_for(tmp_path: Path, database_url: str) -> tuple[jobs.Context, dict[int, int], Path]:
    reports = f'out_dir = "{tmp_path / "reports"}"'
    path = write_settings(tmp_path, database_url, '[[brands]]\nslug = "acme"\nname = "Acme"\n', reports=reports)
    context = jobs.Context(load_settings(path), path)
    with context.sessions.begin() as session:
        ids = fixture.load(session)
        jeanne = Author(source_kind="survey", handle="h-jeanne", name="Jeanne Martin")
        for number in (1, 3):  # a published review (withdrawn by the erasure) and one already answered
            mention = session.get(Mention, ids[number])
            assert mention is not None
            mention.author = jeanne
    return context, ids, path


def write_reports(context: jobs.Context, tmp_path: Path) -> tuple[Path, Path, Path]:
    html = jobs.report(context, "acme", fixture.START, fixture.END, fmt="html")
    tables = jobs.report(context, "acme", fixture.START, fixture.END, tmp_path / "tables", fmt="csv")
    # A period without the review: not rewritten.
    later = jobs.report(context, "acme", fixture.END, fixture.END.replace(day=15), fmt="html")
    return html, tables, later


def test_erasure_rewrites_the_reports_quoting_the_person(tmp_path: Path, database_url: str) -> None:
    context, ids, _ = context_for(tmp_path, database_url)
    try:
        html, tables, later = write_reports(context, tmp_path)
        assert QUOTED in html.read_text(encoding="utf-8") and PUBLISHED in html.read_text(encoding="utf-8")
        assert QUOTED in (tables / "quotes.csv").read_text(encoding="utf-8")
        later_bytes = later.read_bytes()
        with context.sessions.begin() as session:
            result = erase_author(session, name="Jeanne Martin", actor="test")
        with context.sessions() as session:
            flagged = session.scalars(select(ReportFile.path).where(ReportFile.rewrite_due_at.is_not(None))).all()
            shown = dict((title, rows) for title, rows, _ in overview(session))
        rewritten = jobs.rewrite_reports(context)
        again = jobs.rewrite_reports(context)
        with context.sessions() as session:
            rows = {Path(r.path).name: r for r in session.scalars(select(ReportFile))}
    finally:
        context.close()
    assert result.reports_to_rewrite == 2
    assert sorted(Path(p).name for p in flagged) == sorted([html.name, tables.name])
    assert len(shown["Report files to write again after an erasure"]) == 2  # `veilleur status` lists them
    assert sorted(rewritten.written) == sorted([html.resolve(), tables.resolve()])
    assert (rewritten.forgotten, rewritten.failed, again.written) == ([], [], [])
    page = html.read_text(encoding="utf-8")
    assert QUOTED not in page and PUBLISHED not in page and "Jeanne" not in page
    assert OTHER_QUOTE in page  # the rest of the report is still there
    quotes = (tables / "quotes.csv").read_text(encoding="utf-8")
    assert QUOTED not in quotes and PUBLISHED not in quotes
    assert "supprimé" not in quotes  # the withdrawn review is not quoted as a placeholder either
    assert later.read_bytes() == later_bytes
    assert not {ids[1], ids[3]} & set(rows[html.name].quoted) and ids[4] in rows[html.name].quoted
    assert all(row.rewrite_due_at is None and row.last_error is None for row in rows.values())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_deleted_file_is_forgotten_and_a_failure_keeps_its_flag(tmp_path: Path, database_url: str) -> None:
    context, _, _ = context_for(tmp_path, database_url)
    try:
        html, tables, _ = write_reports(context, tmp_path)
        html.unlink()
        with context.sessions.begin() as session:
            erase_author(session, name="Jeanne Martin", actor="test")
            # The brand left the settings and the database since the report was written.
            session.scalars(select(ReportFile).where(ReportFile.format == "csv")).one().brand_slug = "gone"
        result = jobs.rewrite_reports(context)
        with context.sessions() as session:
            rows = list(session.scalars(select(ReportFile).order_by(ReportFile.id)))
    finally:
        context.close()
    assert result.forgotten == [html.resolve()]
    assert [path for path, _ in result.failed] == [tables.resolve()]
    assert QUOTED in (tables / "quotes.csv").read_text(encoding="utf-8")  # not rewritten: still flagged
    failed = [row for row in rows if row.format == "csv"][0]
    assert failed.rewrite_due_at is not None and "NoResultFound" in (failed.last_error or "")
    assert html.name not in [Path(row.path).name for row in rows]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_erase_command_rewrites_the_reports_at_once(tmp_path: Path, database_url: str) -> None:
    from veilleur.cli import app

    context, _, settings = context_for(tmp_path, database_url)
    try:
        html, _, _ = write_reports(context, tmp_path)
    finally:
        context.close()
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["privacy", "erase", "--name", "jeanne martin", "--settings", str(settings)]
    )
    assert result.exit_code == 0, result.output
    assert "2 report file(s) quoting them written again" in result.output
    assert QUOTED not in html.read_text(encoding="utf-8")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_weekly_report_already_in_slack_is_uploaded_again_without_the_person(
    tmp_path: Path, database_url: str, fake_slack: FakeSlack
) -> None:
    slack = f'bot_token = "xoxb-test"\nbase_url = "{fake_slack.base_url}"\nchannel = "#alerts"'
    reports = f'out_dir = "{tmp_path / "reports"}"\nweekly_formats = ["html", "csv"]'
    path = write_settings(
        tmp_path, database_url, '[[brands]]\nslug = "acme"\nname = "Acme"\n', slack=slack, reports=reports
    )
    context = jobs.Context(load_settings(path), path)
    try:
        with context.sessions.begin() as session:
            ids = fixture.load(session)
            session.get_one(Mention, ids[3]).author = Author(source_kind="survey", handle="h-j", name="Jeanne Martin")
        jobs.send(context, min_interval=0)  # the fixture's own alerts, first
        written = jobs.weekly_report(context, now=TUESDAY)
        html = written[0]
        jobs.send(context, min_interval=0)
        with context.sessions() as session:
            first_ref = session.scalars(select(Alert.delivery_ref).where(Alert.kind == AlertKind.REPORT)).one()
        assert QUOTED in html.read_text(encoding="utf-8") and first_ref and first_ref.startswith("slack-files:")
        fake_slack.requests.clear()
        with context.sessions.begin() as session:
            erase_author(session, name="Jeanne Martin", actor="test")
        rewritten = jobs.rewrite_reports(context)
        fake_slack.script.append((200, {"ok": False, "error": "file_not_found"}, {}))  # deleted by hand already
        sent = jobs.send(context, min_interval=0)
        with context.sessions() as session:
            report = session.scalars(select(Alert).where(Alert.kind == AlertKind.REPORT)).one()
    finally:
        context.close()
    assert len(rewritten.written) == 2 and rewritten.uploads_queued == 1  # the HTML file and the CSV folder
    assert sent.sent == 1 and sent.failed == 0
    calls = [r["path"].rsplit("/", 1)[-1] for r in fake_slack.requests]
    old_ids = first_ref.rsplit(":", 1)[-1].split(",")
    assert len(old_ids) == len(written) > 2  # the HTML and each CSV table
    # Every earlier copy deleted (the first one answered file_not_found: deleted by hand, fine), then uploaded again.
    deleted = [r["body"]["file"] for r in fake_slack.requests if r["path"].endswith("files.delete")]
    assert deleted == old_ids[1:] and calls.count("files.completeUploadExternal") == 1
    new_ids = report.delivery_ref.rsplit(":", 1)[-1].split(",")  # the report alert points at the new upload
    assert len(new_ids) == len(written) and not set(new_ids) & set(old_ids)
    assert all(QUOTED.encode() not in fake_slack.uploads[i] for i in new_ids)
    assert sorted(fake_slack.uploads[i] for i in new_ids) == sorted(p.read_bytes() for p in written)
