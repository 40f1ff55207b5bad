"""The survey import (all or nothing, line numbers, idempotent), `veilleur extract`, and crawl politeness."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from config.settings import load_settings
from crawlers.extract import ExtractError, extract
from crawlers.health import judge
from crawlers.parsing.survey import SurveyFileError, read_survey
from crawlers.settings import scrapy_settings
from crawlers.survey_import import import_survey, import_survey_body
from models import Brand, Mention, Source
from models.db import make_engine, make_session_factory, upgrade
from tests.conftest import ROOT
from tests.crawlers.conftest import NOW, REALDATA, SYNTHETIC
from tests.support.databases import sqlite_url
from veilleur.commands.extract import extract_command

SURVEY = SYNTHETIC / "survey"


@pytest.fixture
def sessions(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = sqlite_url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        brand = Brand(slug="acme", name="Acme")
        session.add(brand)
        session.flush()
        session.add(Source(brand_id=brand.id, name="survey", kind="survey", own=True))
    yield factory
    engine.dispose()


def source_id(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(Source.id).where(Source.name == "survey"))


def count(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(Mention))


# --- Survey import -----------------------------------------------------------------------------------------


def test_survey_csv_is_imported_with_order_experience_date_and_consent(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        result = import_survey(session, source_id(session), SURVEY / "export_fr_SYNTHETIC.csv")
    assert (result.rows, result.imported, result.already_stored) == (3, 3, 0)
    with sessions.begin() as session:
        hugo = session.scalars(select(Mention).where(Mention.order_ref == "CMD-2024-0002")).one()
        assert hugo.external_id == "survey:S-1002"
        assert hugo.consent is False
        assert hugo.rating_normalised == 0.25
        assert hugo.experienced_at.date().isoformat() == "2024-06-01"  # "1er juin 2024"
        assert hugo.published_at.isoformat().startswith("2024-06-03T18:40")
        assert hugo.author.display_name == "Hugo"


def test_importing_the_same_export_twice_stores_each_review_once(sessions) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        with sessions.begin() as session:
            result = import_survey(session, source_id(session), SURVEY / "export_fr_SYNTHETIC.csv")
    assert (result.imported, result.already_stored) == (0, 3)
    with sessions.begin() as session:
        assert count(session) == 3


def test_survey_authors_are_told_apart_by_their_address(sessions) -> None:  # type: ignore[no-untyped-def]
    header = "order_ref,submitted_at,experienced_at,rating,consent,text,author,email\n"
    rows = [
        "A1,2026-11-02,2026-10-30,5,oui,Parfait.,Marie Martin,marie.martin@example.org",
        "A2,2026-11-03,2026-10-31,2,oui,Colis abîmé.,Marie Martin,m.martin@example.net",  # another Marie Martin
        "A3,2026-11-04,2026-11-01,4,oui,Bien.,marie MARTIN,Marie.Martin@example.org",  # the first, spelt otherwise
        "A4,2026-11-05,2026-11-02,1,oui,Jamais reçu.,,anonyme@example.org",  # no name: still reachable
    ]
    body = (header + "\n".join(rows) + "\n").encode()
    with sessions.begin() as session:
        assert (
            import_survey_body(session, source_id(session), body, "export.csv", "https://acme.example/").imported == 4
        )
    with sessions.begin() as session:
        authors = {m.order_ref: m.author for m in session.scalars(select(Mention))}
        assert authors["A1"] is authors["A3"] and authors["A1"] is not authors["A2"]
        assert authors["A4"] is not None and authors["A4"].contact == "anonyme@example.org"
        assert authors["A4"].display_name is None


def test_a_file_with_bad_rows_is_refused_whole_with_line_numbers(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session, pytest.raises(SurveyFileError) as refused:
        import_survey(session, source_id(session), SURVEY / "export_broken_SYNTHETIC.csv")
    problems = refused.value.problems
    assert [problem.split(":")[0] for problem in problems] == ["line 3", "line 4", "line 5", "line 6"]
    assert "rating '7' is not between 1 and 5" in problems[0]
    assert "order_ref is empty" in problems[1]
    assert "experienced_at 'le mois dernier?' is not a date" in problems[2]
    assert "after submitted_at" in problems[3]
    assert "nothing imported" in str(refused.value)
    with sessions.begin() as session:
        assert count(session) == 0  # the good first row was not imported either


def test_survey_json_export(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        result = import_survey(session, source_id(session), SURVEY / "export_en_SYNTHETIC.json")
    assert result.external_ids == ["order:ORD-9001", "order:ORD-9002"]
    with sessions.begin() as session:
        kim = session.scalars(select(Mention).where(Mention.order_ref == "ORD-9002")).one()
        assert (kim.rating, kim.rating_best, kim.consent) == (9.0, 10.0, False)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"order_ref,rating\nA,5\n", "line 1: missing column(s) submitted_at, experienced_at, consent"),
        (b'[{"order_ref": "A"}, 3]', "entry 2: expected an object"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'{"reviews": [', "not JSON"),
        (
            b"order_ref,submitted_at,experienced_at,rating,consent\nA,2024-01-02,2024-01-01,5,yes\n"
            b"A,2024-01-03,2024-01-01,4,no\n",
            "line 3: same review as line 2",
        ),
        (b"order_ref,submitted_at,experienced_at,rating,consent\nA,2024-01-02,2024-01-01,5,yes,extra\n", "line 2"),
    ],
)
def test_malformed_survey_files(body: bytes, problem: str) -> None:
    with pytest.raises(SurveyFileError) as refused:
        read_survey(body, "export.json" if body.startswith((b"[", b"{")) else "export.csv", "file:///export")
    assert problem in str(refused.value)


# --- veilleur extract --------------------------------------------------------------------------------------


def test_extract_gives_the_cleaned_fields() -> None:
    rows = extract("trustpilot", str(REALDATA / "trustpilot/trustpilot_burgerking-fr_2024-06_fr.html"), now=NOW)
    assert len(rows) == 20
    first = rows[0]
    assert {
        "author",
        "rating",
        "best_rating",
        "published_at",
        "experienced_at",
        "title",
        "text",
        "reply",
        "url",
        "language",
    } <= set(first)
    assert (first["author"], first["rating"], first["best_rating"]) == ("lisa pieyre", 5.0, 5.0)
    assert first["published_at"] == "2024-06-20T13:09:47+00:00"
    assert first["experienced_at"] == "2024-06-20T00:00:00+00:00"
    assert first["language"] == "fr"


def test_extract_avis_verifies_reply_and_dates() -> None:
    rows = extract("avis_verifies", str(SYNTHETIC / "avis_verifies/certificate_acme_p1_SYNTHETIC.html"), now=NOW)
    assert rows[1]["reply"].startswith("Bonjour Sophie")
    assert rows[1]["published_at"] == "2024-03-03T20:47:00+00:00"


def test_extract_over_http(pages_server) -> None:  # type: ignore[no-untyped-def]
    rows = extract("feed", pages_server.base_url + "/realdata/feeds/google-alerts_slack.atom.xml", now=NOW)
    assert len(rows) == 20 and rows[0]["url"].startswith("https://www.aglobalmarketresearch.com/")


def test_extract_schema_org_kind() -> None:
    rows = extract("schema_org", str(REALDATA / "schema_org/theclevercarrot_jsonld-reviews_en.html"), now=NOW)
    assert len(rows) == 30


@pytest.mark.parametrize(
    ("kind", "path", "message"),
    [
        ("nope", "x", "unknown source kind 'nope'"),
        ("feed", "/no/such/file.xml", "No such file"),
        ("trustpilot", str(REALDATA / "feeds/google-alerts_slack.atom.xml"), "layout changed?"),
    ],
)
def test_extract_errors_say_why(kind: str, path: str, message: str) -> None:
    with pytest.raises(ExtractError, match=message.replace("?", r"\?")):
        extract(kind, path)


def test_extract_command_prints_json_lines_and_the_count() -> None:
    app = typer.Typer()
    app.command("extract")(extract_command)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(
        app, ["extract", "youtube", str(REALDATA / "youtube/youtube_commentThreads_by-video_page1.json")]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[-1] == {"count": 5}
    assert lines[0]["author"] == "himani agarwal" and lines[0]["text"] == "Google.com"


def test_extract_command_error_exits_1() -> None:
    app = typer.Typer()
    app.command("extract")(extract_command)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["extract", "mastodon", str(REALDATA / "feeds/google-alerts_slack.atom.xml")])
    assert result.exit_code == 1
    assert "error:" in result.output


# --- Politeness and health ---------------------------------------------------------------------------------


def test_crawls_are_polite_by_default() -> None:
    settings = scrapy_settings(load_settings(ROOT / "settings.toml"))
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] <= 2
    assert settings["DOWNLOAD_DELAY"] >= 1.0
    assert "mailto:" in settings["USER_AGENT"] or "@" in settings["USER_AGENT"]
    assert settings["RETRY_ENABLED"] is True
    assert {429, 500, 502, 503} <= set(settings["RETRY_HTTP_CODES"])


@pytest.mark.parametrize(
    ("statuses", "unparsed", "reason"),
    [
        ({200: 1, 403: 1}, 0, "partly blocked: HTTP 403 x1 beside 1 page(s) fetched"),
        ({200: 2, 500: 1}, 0, "some pages failed (HTTP 500 x1) beside 2 page(s) fetched"),
        ({200: 2, 404: 1}, 1, "1 page(s) not recognised: layout changed?"),
        ({200: 3}, 0, None),
    ],
)
def test_health_names_pages_that_failed_beside_pages_that_worked(statuses, unparsed, reason) -> None:  # type: ignore[no-untyped-def]
    assert judge(Counter(statuses), items_seen=5, errors=0, had_mentions=True, unparsed=unparsed) == reason


def test_health_names_a_redirect_loop_by_its_first_url() -> None:
    loop = ["http://127.0.0.1/a"]
    assert (
        judge(Counter(), items_seen=0, errors=0, had_mentions=False, unparsed=0, loops=loop)
        == "no page fetched: redirect loop (or too many redirects) from http://127.0.0.1/a"
    )
    assert (
        judge(Counter({200: 1}), items_seen=5, errors=0, had_mentions=True, unparsed=0, loops=loop)
        == "some pages failed (redirect loop from http://127.0.0.1/a) beside 1 page(s) fetched"
    )


def test_the_extract_command_starts_without_the_other_commands_libraries() -> None:
    """`veilleur extract` imports its own command only: not scipy (the crisis detector of `signals`), which took
    most of its start-up. `veilleur --help` still lists every command."""
    import subprocess
    import sys

    page = REALDATA / "trustpilot" / "trustpilot_burgerking-fr_2024-06_fr.html"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "veilleur", "extract", "trustpilot", str(page)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {"count": 20}
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "scipy" not in imported and "alerts.crisis" not in imported
    shown = subprocess.run([sys.executable, "-m", "veilleur", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert all(name in shown.stdout for name in ("signals", "queue", "survey", "extract", "report", "crisis"))
