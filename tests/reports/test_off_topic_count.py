"""Off-topic mentions in the report (issue 18): "visible, counted apart". The report says how many mentions of the
period were off-topic (a line in the HTML, a row of moderation.csv), and they are in none of its other figures."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from models import Mention
from reports import csv_export, html
from tests.reports.conftest import make_report


def test_the_periods_off_topic_mentions_are_counted_apart(
    loaded: tuple[sessionmaker[Session], dict[int, int]], tmp_path: Path
) -> None:
    sessions, ids = loaded
    before = make_report(sessions)
    assert before.off_topic == 0
    with sessions.begin() as session:
        # #7 is of the period (a negative post); #11 of the previous period, #90 of the next: not this period's.
        chosen = [ids[7], ids[11], ids[90]]
        session.execute(update(Mention).where(Mention.id.in_(chosen)).values(off_topic=True))
        other = session.query(Mention).filter_by(external_id="x1").one()  # another brand's: never counted
        other.off_topic = True
    report = make_report(sessions)
    assert report.off_topic == 1
    # ... and in none of the other figures.
    t, was = report.total.current, before.total.current
    assert (t.mentions, t.sentiment["negative"]) == (was.mentions - 1, was.sentiment["negative"] - 1)
    assert report.total.previous.mentions == before.total.previous.mentions - 1
    assert sum(report.trend.mentions) == sum(before.trend.mentions) - 1
    assert sum(report.moderation.statuses.values()) == sum(before.moderation.statuses.values()) - 1

    text = html.render(report, "test")
    assert '<p id="off-topic">1 off-topic mention of the period' in text
    csv_export.write(report, tmp_path / "csv")
    with (tmp_path / "csv" / "moderation.csv").open(encoding="utf-8") as handle:
        rows = {(row["what"], row["name"]): row["mentions"] for row in csv.DictReader(handle)}
    assert rows[("off_topic", "")] == "1"
