"""Report periods: the last full week or month (by the schedule), the one before it, the same one a year earlier.

A report compares like with like: a week with the week before (and the same week a year ago), a month with the
month before. The period before an arbitrary span is as long as the span itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Unit = Literal["week", "month", "span"]

WEEK_HOURS = 7 * 24
MONTH_HOURS = 28 * 24  # a report every 28 days or more is a monthly one


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # excluded
    unit: Unit = "span"

    @property
    def previous(self) -> Period:
        if self.unit == "month":
            return Period(_add_months(self.start, -1), self.start, "month")
        return Period(self.start - (self.end - self.start), self.start, self.unit)

    @property
    def year_earlier(self) -> Period:
        if self.unit == "week":
            # 52 weeks: the same weekdays, so a Monday-to-Sunday week compares with one
            return Period(self.start - timedelta(weeks=52), self.end - timedelta(weeks=52), "week")
        return Period(_year_before(self.start), _year_before(self.end), self.unit)

    @property
    def last_day(self) -> datetime:
        return self.end - timedelta(days=1)


def midnight(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _year_before(value: datetime) -> datetime:
    try:
        return value.replace(year=value.year - 1)
    except ValueError:  # 29 February
        return value.replace(year=value.year - 1, day=28)


def _add_months(value: datetime, months: int) -> datetime:
    index = value.year * 12 + value.month - 1 + months
    return value.replace(year=index // 12, month=index % 12 + 1, day=1)


def last_full_week(now: datetime) -> Period:
    """Monday 00:00 UTC to the next Monday, the last one that has ended."""
    today = midnight(now)
    end = today - timedelta(days=today.weekday())
    return Period(end - timedelta(days=7), end, "week")


def last_full_month(now: datetime) -> Period:
    end = midnight(now).replace(day=1)
    return Period(_add_months(end, -1), end, "month")


def month_of(day: datetime) -> Period:
    start = midnight(day).replace(day=1)
    return Period(start, _add_months(start, 1), "month")


def unit_of(report_hours: int) -> Unit:
    """The schedule's unit: a weekly report (168 h), a monthly one (28 days or more), else a span of its own."""
    if report_hours == WEEK_HOURS:
        return "week"
    return "month" if report_hours >= MONTH_HOURS else "span"


def scheduled(now: datetime, report_hours: int) -> Period:
    """The last full period of the schedule: a week, a month, or `report_hours` before last Monday."""
    unit = unit_of(report_hours)
    if unit == "week":
        return last_full_week(now)
    if unit == "month":
        return last_full_month(now)
    end = last_full_week(now).end
    return Period(end - timedelta(hours=report_hours), end)


def span(start: datetime, end: datetime) -> Period:
    """A period asked for by dates: a calendar month or a Monday-to-Monday week is named so (and compared so)."""
    if start.day == 1 and end == _add_months(start, 1) and start == midnight(start):
        return Period(start, end, "month")
    if end - start == timedelta(days=7) and start.weekday() == 0 and start == midnight(start):
        return Period(start, end, "week")
    return Period(start, end)
