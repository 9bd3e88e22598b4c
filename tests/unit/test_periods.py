"""Calendar periods: ISO weeks, months and "today" in a time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engagement import periods


def test_weeks_run_monday_to_sunday() -> None:
    assert periods.week_start(date(2026, 3, 22)) == date(2026, 3, 16)  # a Sunday
    assert periods.week_start(date(2026, 3, 16)) == date(2026, 3, 16)
    assert periods.this_week(date(2026, 3, 18)).describe() == "This week: 2026-03-16 to 2026-03-22"
    assert periods.last_week(date(2026, 3, 18)).describe() == "Last week: 2026-03-09 to 2026-03-15"


def test_months_end_on_their_last_day() -> None:
    assert periods.this_month(date(2026, 2, 10)).describe() == "This month: 2026-02-01 to 2026-02-28"
    assert periods.this_month(date(2024, 2, 29)).end == date(2024, 2, 29)
    assert periods.this_month(date(2026, 12, 31)).end == date(2026, 12, 31)


def test_weeks_between_lists_every_overlapping_monday() -> None:
    assert periods.weeks_between(date(2026, 3, 1), date(2026, 3, 16)) == [
        date(2026, 2, 23),
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]


def test_today_is_the_date_in_the_zone() -> None:
    late_sunday = datetime(2026, 3, 22, 23, 30, tzinfo=UTC)
    assert periods.today("UTC", late_sunday) == date(2026, 3, 22)
    assert periods.today("Asia/Manila", late_sunday) == date(2026, 3, 23)
    assert periods.today(ZoneInfo("America/Los_Angeles"), late_sunday) == date(2026, 3, 22)


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends"):
        periods.custom(date(2026, 3, 2), date(2026, 3, 1))


def test_the_reset_is_midnight_after_the_last_day_in_the_zone() -> None:
    zone = ZoneInfo("Europe/London")
    week = periods.this_week(date(2026, 3, 25))  # the clocks go forward on Sunday 29 March
    reset, left = periods.next_reset(week, zone, datetime(2026, 3, 29, 22, 0, tzinfo=UTC))
    assert reset == datetime(2026, 3, 30, 0, 0, tzinfo=zone)
    assert left == timedelta(hours=1)
