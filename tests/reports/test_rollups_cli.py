"""`veilleur rollups`: after real imports, classification and routing the rollups agree with the rows; a damaged
rollup is named and `--rebuild` repairs it."""

from __future__ import annotations

from sqlalchemy import func, select, update
from typer.testing import CliRunner

from config.settings import load_settings
from crawlers.survey_import import import_survey_body
from models import MentionDay, Source
from moderation.jobs import classify_pending, route_classified
from moderation.policy import Thresholds
from scheduler import jobs
from tests.conftest import write_settings
from tests.moderation.support import SURVEY_BRAND as BRAND
from tests.moderation.support import RatingClassifier, survey_csv
from veilleur.cli import app


def run(path, *args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["rollups", *args, "--settings", str(path)], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_refresh_check_and_rebuild(tmp_path, database_url):
    path = write_settings(tmp_path, database_url, BRAND)
    context = jobs.Context(load_settings(path), path)
    try:
        rows = [
            {"order_ref": f"A{n}", "rating": str(1 + n % 5), "text": f"Avis {n}", "author": "Marie Dupont"}
            for n in range(12)
        ]
        with context.sessions.begin() as session:
            source = session.scalars(select(Source)).one()
            import_survey_body(session, source.id, survey_csv(rows), "export.csv", "https://acme.example/survey")
        classify_pending(context.sessions, RatingClassifier())
        route_classified(context.sessions, Thresholds(0.5, 0.5, 0.5), "#alerts")
        code, output = run(path, "--check")
        assert code == 0, output
        assert "agree" in output
        with context.sessions.begin() as session:
            assert session.scalar(select(func.sum(MentionDay.mentions)).where(MentionDay.axis == "")) == 12
            session.execute(update(MentionDay).values(mentions=MentionDay.mentions + 1))
        code, output = run(path, "--check")
        assert code == 1
        assert "mention_day" in output
        code, output = run(path, "--rebuild", "--check")
        assert code == 0, output
        assert "rebuilt" in output
    finally:
        context.close()
