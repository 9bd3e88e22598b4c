"""Calendar periods: ISO weeks, months and "today" in a time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engagement import periods


def test_weeks_run_monday_to_sunday() -> None:
    assert periods.week_start(date(2026, 3, 22)) == date(2026, 3, 16)  # a Sunday
    assert periods.week_start(date(2026, 3, 16)) == date(2026, 3, 16)
    assert periods.this_week(date(2026, 3, 18)).describe() == "This week: 16 to 22 March 2026"
    assert periods.last_week(date(2026, 3, 18)).describe() == "Last week: 9 to 15 March 2026"


def test_months_end_on_their_last_day() -> None:
    assert periods.this_month(date(2026, 2, 10)).describe() == "This month: 1 to 28 February 2026"
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


# -- in words ----------------------------------------------------------------------

UTC_ZONE = ZoneInfo("UTC")
LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 12, zone: ZoneInfo = UTC_ZONE) -> datetime:
    """A fixed clock: ``hour`` o'clock on ``day`` in ``zone``."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone)


def test_ranges_say_each_month_and_year_once_and_every_end_in_full() -> None:
    assert periods.span_words(date(2026, 3, 3), date(2026, 3, 17)) == "3 to 17 March 2026"
    assert periods.span_words(date(2026, 2, 28), date(2026, 3, 3)) == "28 February to 3 March 2026"
    assert periods.span_words(date(2026, 12, 28), date(2027, 1, 3)) == "28 December 2026 to 3 January 2027"
    assert periods.span_words(date(2026, 12, 4), date(2026, 12, 4)) == "4 December 2026"
    assert periods.long_date(date(2027, 1, 1)) == "Friday 1 January 2027"


def test_a_month_ending_on_new_years_eve_resets_on_the_first_of_january_said_in_full() -> None:
    """Not "Resets Friday": on 4 December that reads as this Friday, the 4th."""
    month = periods.this_month(date(2026, 12, 4))
    assert periods.reset_words(month, UTC_ZONE, at(date(2026, 12, 4))) == (
        "This month: 1 to 31 December 2026. Resets on Friday 1 January 2027 at 00:00 (UTC), in 27 days 12 hours."
    )


def test_the_last_day_of_a_month_resets_tomorrow() -> None:
    month = periods.this_month(date(2026, 12, 31))
    assert periods.reset_words(month, UTC_ZONE, at(date(2026, 12, 31), 22)) == (
        "This month: 1 to 31 December 2026. Resets tomorrow, Friday 1 January 2027, at 00:00 (UTC), in 2 hours."
    )
    april = periods.this_month(date(2026, 4, 30))
    assert periods.reset_words(april, UTC_ZONE, at(date(2026, 4, 30), 23)) == (
        "This month: 1 to 30 April 2026. Resets tomorrow, Friday 1 May, at 00:00 (UTC), in 1 hour."
    )


def test_february_of_a_leap_year_ends_on_the_29th() -> None:
    february = periods.this_month(date(2028, 2, 10))
    assert periods.reset_words(february, UTC_ZONE, at(date(2028, 2, 29), 6)) == (
        "This month: 1 to 29 February 2028. Resets tomorrow, Wednesday 1 March, at 00:00 (UTC), in 18 hours."
    )
    leap_week = periods.this_week(date(2028, 2, 29))
    assert periods.reset_words(leap_week, UTC_ZONE, at(date(2028, 2, 29))) == (
        "This week: 28 February to 5 March 2028. Resets next Monday, 6 March, at 00:00 (UTC), in 5 days 12 hours."
    )


def test_a_week_resets_next_monday_and_says_the_date_and_year_when_it_changes() -> None:
    week = periods.this_week(date(2026, 12, 30))  # ISO week 53 of 2026
    assert periods.reset_words(week, UTC_ZONE, at(date(2026, 12, 30))) == (
        "This week: 28 December 2026 to 3 January 2027. "
        "Resets next Monday, 4 January 2027, at 00:00 (UTC), in 4 days 12 hours."
    )
    sunday = periods.this_week(date(2026, 3, 22))
    assert periods.reset_words(sunday, UTC_ZONE, datetime(2026, 3, 22, 23, 30, tzinfo=UTC)) == (
        "This week: 16 to 22 March 2026. Resets tomorrow, Monday 23 March, at 00:00 (UTC), in less than an hour."
    )


def test_the_time_left_counts_the_hour_lost_when_the_clocks_go_forward() -> None:
    """From Saturday 23:00 to Monday 00:00 in London is 25 hours on the wall but 24 really elapse."""
    week = periods.this_week(date(2026, 3, 25))  # London's clocks go forward on Sunday 29 March
    words = periods.reset_words(week, LONDON, datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    assert words == (
        "This week: 23 to 29 March 2026. Resets next Monday, 30 March, at 00:00 (Europe/London), in 1 day 0 hours."
    )


def test_a_custom_range_is_fixed_and_says_so() -> None:
    picked = periods.custom(date(2026, 3, 3), date(2026, 3, 17))
    for now in (at(date(2026, 3, 10)), at(date(2026, 12, 4))):
        assert (
            periods.reset_words(picked, UTC_ZONE, now) == "Custom range 3 to 17 March 2026, fixed: it does not reset."
        )
    over_new_year = periods.custom(date(2026, 12, 28), date(2027, 1, 3))
    assert periods.reset_words(over_new_year, UTC_ZONE, at(date(2026, 12, 4))) == (
        "Custom range 28 December 2026 to 3 January 2027, fixed: it does not reset."
    )


def test_a_challenge_period_ends_and_never_resets() -> None:
    window = periods.challenge(date(2026, 3, 2), date(2026, 3, 31))
    assert periods.reset_words(window, UTC_ZONE, at(date(2026, 3, 18))) == (
        "Challenge period: 2 to 31 March 2026. Ends on Tuesday 31 March 2026; does not reset."
    )
    assert periods.reset_words(window, UTC_ZONE, at(date(2026, 4, 1))) == (
        "Challenge period: 2 to 31 March 2026. Ended on Tuesday 31 March 2026; does not reset."
    )


def test_last_week_and_all_time_do_not_reset() -> None:
    now = at(date(2027, 1, 1))
    assert periods.reset_words(periods.last_week(date(2027, 1, 1)), UTC_ZONE, now) == (
        "Last week: 21 to 27 December 2026. Ended on Sunday 27 December 2026; does not reset."
    )
    assert periods.reset_words(periods.all_time(date(2027, 1, 1)), UTC_ZONE, now) == (
        "All time: every day up to Friday 1 January 2027; it does not reset."
    )
