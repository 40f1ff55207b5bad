"""Report periods (issue 21): the last full week or month by the schedule, the one before, a year earlier."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reports.figures import TOO_FEW, change, hours_text
from reports.periods import Period, last_full_month, last_full_week, scheduled, span


def day(year: int, month: int, d: int) -> datetime:
    return datetime(year, month, d, tzinfo=UTC)


NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)  # a Wednesday


def test_weekly_schedule_reports_the_last_full_week() -> None:
    week = scheduled(NOW, 168)
    assert week == last_full_week(NOW) == Period(day(2026, 11, 23), day(2026, 11, 30), "week")
    assert week.previous == Period(day(2026, 11, 16), day(2026, 11, 23), "week")
    # 52 weeks earlier: a Monday-to-Monday week again, so weekdays compare with weekdays.
    assert week.year_earlier == Period(day(2025, 11, 24), day(2025, 12, 1), "week")
    assert week.year_earlier.start.weekday() == 0


def test_monthly_schedule_reports_the_last_full_month() -> None:
    month = scheduled(NOW, 30 * 24)
    assert month == last_full_month(NOW) == Period(day(2026, 11, 1), day(2026, 12, 1), "month")
    assert month.previous == Period(day(2026, 10, 1), day(2026, 11, 1), "month")  # 31 days: the whole October
    assert month.year_earlier == Period(day(2025, 11, 1), day(2025, 12, 1), "month")
    january = last_full_month(day(2027, 2, 10))
    assert january.previous == Period(day(2026, 12, 1), day(2027, 1, 1), "month")


def test_other_schedules_and_dates_given_by_hand() -> None:
    assert scheduled(NOW, 48) == Period(day(2026, 11, 28), day(2026, 11, 30))
    assert span(day(2026, 3, 1), day(2026, 4, 1)).previous == Period(day(2026, 2, 1), day(2026, 3, 1), "month")
    assert span(day(2026, 3, 2), day(2026, 3, 9)).unit == "week"
    odd = span(day(2026, 3, 1), day(2026, 3, 8))  # a Sunday start: a span, compared with as long a span
    assert odd.previous == Period(day(2026, 2, 22), day(2026, 3, 1))


def test_a_change_needs_enough_items_on_both_sides() -> None:
    # June 2024: 18 reviews against 1 printed "NPS -111" (-11 now, +100 before): no change is shown.
    assert change(-11.1, 100.0, 18, 1, 30).value is None
    assert change(-11.1, 100.0, 18, 1, 30).why_not == TOO_FEW
    assert change(-11.1, 100.0, 40, 30, 30).value == pytest.approx(-111.1)
    assert change(None, 3.0, 40, 40, 30).why_not == "nothing to compare with"


@pytest.mark.parametrize(
    ("hours", "text"),
    [(None, "–"), (0.5, "30 min"), (5, "5.0 h"), (16, "16 h"), (47.4, "47 h"), (55.2, "2.3 d"), (21649.8, "902.1 d")],
)
def test_durations_in_hours_or_days(hours: float | None, text: str) -> None:
    assert hours_text(hours) == text
