"""The report's survey section (issue 23): the figures `veilleur survey figures` prints (reports/survey_figures.py,
one computation) in the HTML and the CSV, for the report's period; no section for a brand without survey orders."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from models import Brand, SurveyAnswer, SurveyMessage, SurveyOptOut, SurveyOrder
from reports import csv_export, html
from reports.survey_figures import survey_figures
from tests.reports import fixture
from tests.reports.conftest import make_report

Loaded = tuple[sessionmaker[Session], dict[int, int]]


def _orders(sessions: sessionmaker[Session], ordered_day: int = 1, old: bool = True) -> None:
    """Four orders of two campaigns invited in the period; two answered in it, one bounced, one unsubscribed;
    and an answer of the week before, which is not this period's."""
    day = fixture.at
    with sessions.begin() as session:
        brand = session.query(Brand).filter_by(slug="acme").one()
        answers = {"A-1": (10, 5, 5, 7), "A-2": (3, 2, 2, 3), "B-1": None, "B-2": None, "OLD": (9, 5, 4, 6)}
        for ref, answer in answers.items():
            if ref == "OLD" and not old:
                continue
            order = SurveyOrder(
                brand_id=brand.id,
                order_ref=ref,
                campaign="autumn" if ref.startswith("A") else "boxes",
                ordered_at=day(ordered_day, 8) if ref != "OLD" else day(20, 8, month=2),
                delivered_at=day(ordered_day, 9) if ref != "OLD" else day(21, 8, month=2),
                email=f"{ref.lower()}@example.com",
                language="fr",
            )
            session.add(order)
            session.flush()
            when = day(ordered_day + 1, 10) if ref != "OLD" else day(23, 10, month=2)
            session.add(SurveyMessage(order_id=order.id, kind="invitation", recipient=order.email, sent_at=when))
            if answer is not None:
                nps, stars, csat, ces = answer
                session.add(
                    SurveyAnswer(
                        order_id=order.id,
                        stars=stars,
                        nps=nps,
                        csat=csat,
                        ces=ces,
                        experienced_at=when,
                        language="fr",
                        created_at=when + timedelta(hours=5),
                    )
                )
        session.add(SurveyOptOut(brand_id=brand.id, email="b-1@example.com", reason="bounce", at=day(3)))
        session.add(SurveyOptOut(brand_id=brand.id, email="b-2@example.com", reason="unsubscribe", at=day(3)))


def _section(text: str) -> str:
    return text.split('<section id="survey">')[1].split("</section>")[0]


def test_the_report_shows_the_survey_figures_of_its_period(loaded: Loaded, tmp_path: Path) -> None:
    sessions, _ = loaded
    _orders(sessions)
    report = make_report(sessions)
    with sessions() as session:
        brand = session.query(Brand).filter_by(slug="acme").one()
        expected = survey_figures(session, brand.id, fixture.START, fixture.END)
    assert report.survey == expected  # the command's computation, for the report's period
    assert (expected.answers, expected.nps, expected.csat, expected.ces) == (2, 0.0, 0.5, 5.0)
    section = _section(html.render(report, "test"))
    assert 'id="survey-nps">+0<' in section and 'id="survey-csat">50 %<' in section
    assert 'id="survey-ces">5.0<' in section
    assert 'id="survey-unsubscribed">25 %<' in section and 'id="survey-bounced">25 %<' in section
    assert "<td>autumn</td><td>2</td><td>2</td><td>100 %</td>" in section
    assert "<td>boxes</td><td>2</td><td>0</td><td>0 %</td>" in section
    assert "NPS-like score from the same answers" in section

    csv_export.write(report, tmp_path / "csv")
    with (tmp_path / "csv" / "survey.csv").open(encoding="utf-8") as handle:
        rows = {(row["figure"], row["campaign"]): row["value"] for row in csv.DictReader(handle)}
    assert rows[("nps", "")] == "0.0" and rows[("csat", "")] == "0.5" and rows[("ces", "")] == "5.0"
    assert rows[("nps_like", "")] == "0.0"  # one 5-star promoter, one 2-star detractor
    assert rows[("bounce_rate", "")] == "0.25" and rows[("unsubscribe_rate", "")] == "0.25"
    assert rows[("response_rate", "autumn")] == "1.0" and rows[("response_rate", "boxes")] == "0.0"


def test_no_survey_section_without_survey_orders_in_or_before_the_period(loaded: Loaded, tmp_path: Path) -> None:
    sessions, _ = loaded
    report = make_report(sessions)
    assert report.survey is None
    assert 'id="survey"' not in html.render(report, "test")
    assert "survey" not in csv_export.tables(report)
    _orders(sessions, ordered_day=10, old=False)  # orders only after the period: nothing of theirs in it yet
    assert make_report(sessions).survey is None
