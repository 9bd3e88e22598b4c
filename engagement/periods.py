"""Calendar periods in the organisation's time zone, and how they are said in words.

Weeks run Monday to Sunday (ISO weeks); a period is a closed range of days.
Each leaderboard states its period and when it resets (or that it does not),
with whole dates and weekdays a person reads correctly at a glance, so a short
board is never mistaken for missing data and a month is not thought to end
"Friday" when it ends on Friday 1 January.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from engagement import amounts

EARLIEST = date(2000, 1, 1)
CUSTOM = "Custom range"


class Cycle(enum.StrEnum):
    """How a period moves: a week or month starts again when it ends; the others never reset."""

    WEEK = "week"
    MONTH = "month"
    FIXED = "fixed"  # a challenge's window, last week, custom dates: the same days whenever it is read
    TO_DATE = "to date"  # all time: every day up to today


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included."""

    start: date
    end: date
    label: str
    cycle: Cycle = Cycle.FIXED

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    def describe(self) -> str:
        """E.g. "This month: 1 to 31 December 2026"."""
        return f"{self.label}: {span_words(self.start, self.end)}"


def long_date(day: date) -> str:
    """A date as people say it, in full: "Friday 1 January 2027"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def span_words(start: date, end: date) -> str:
    """Two days as a range, each with its month and year said once: "3 to 17 March 2026",
    "28 February to 3 March 2026", "28 December 2026 to 3 January 2027", or one day: "4 December 2026".
    """
    last = f"{end.day} {end:%B %Y}"
    if start == end:
        return last
    if start.year != end.year:
        return f"{start.day} {start:%B %Y} to {last}"
    if start.month != end.month:
        return f"{start.day} {start:%B} to {last}"
    return f"{start.day} to {last}"


def now_utc() -> datetime:
    return datetime.now(UTC)


def today(zone: ZoneInfo | str = "UTC", at: datetime | None = None) -> date:
    """The date it is now in ``zone``."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return (at or now_utc()).astimezone(tz).date()


def zone_for(own: str | None, organisation: ZoneInfo) -> ZoneInfo:
    """The zone a person's days are counted in: their own if they have one, else the organisation's."""
    return ZoneInfo(own) if own else organisation


def today_for(own: str | None, organisation: ZoneInfo, at: datetime | None = None) -> date:
    """A person's today, in :func:`zone_for`: the latest day anything can be logged for them.

    One rule for every path: the forms offer this day and go no later, and the
    engine refuses a later one (form, team table and CSV alike).
    """
    return today(zone_for(own, organisation), at)


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def this_week(day: date) -> Period:
    start = week_start(day)
    return Period(start, start + timedelta(days=6), "This week", Cycle.WEEK)


def last_week(day: date) -> Period:
    start = week_start(day) - timedelta(days=7)
    return Period(start, start + timedelta(days=6), "Last week")


def this_month(day: date) -> Period:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(start, following - timedelta(days=1), "This month", Cycle.MONTH)


def all_time(day: date) -> Period:
    return Period(EARLIEST, day, "All time", Cycle.TO_DATE)


def custom(start: date, end: date) -> Period:
    return Period(start, end, CUSTOM)


def challenge(start: date, end: date) -> Period:
    """A challenge's own window."""
    return Period(start, end, "Challenge period")


def next_reset(period: Period, zone: ZoneInfo, at: datetime | None = None) -> tuple[datetime, timedelta]:
    """When ``period`` ends (midnight after its last day, in ``zone``) and how long until then."""
    reset = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), zone)
    return reset, reset - (at or now_utc())


def reset_words(period: Period, zone: ZoneInfo, at: datetime | None = None) -> str:
    """The period and when it resets, in words, as of ``at`` (now by default).

    "This month: 1 to 31 December 2026. Resets on Friday 1 January 2027 at 00:00 (UTC), in 27 days 3 hours."
    "This week: 23 to 29 March 2026. Resets next Monday, 30 March, at 00:00 (Europe/London), in 2 days 5 hours."
    "Challenge period: 2 to 29 March 2026. Ends on Sunday 29 March 2026; does not reset."
    "Custom range 3 to 17 March 2026, fixed: it does not reset."
    """
    now = at or now_utc()
    if period.cycle is Cycle.TO_DATE:
        return f"{period.label}: every day up to {long_date(period.end)}; it does not reset."
    reset, left = next_reset(period, zone, now)
    if period.label == CUSTOM:
        return f"Custom range {span_words(period.start, period.end)}, fixed: it does not reset."
    if left.total_seconds() <= 0:
        return f"{period.describe()}. Ended on {long_date(period.end)}; does not reset."
    if period.cycle is Cycle.FIXED:
        return f"{period.describe()}. Ends on {long_date(period.end)}; does not reset."
    day = reset.date()
    return f"{period.describe()}. Resets {_when(day, today(zone, now))} at 00:00 ({zone.key}), in {_duration(left)}."


def _when(day: date, today_: date) -> str:
    """A coming day said without doubt: "tomorrow, Monday 30 March", "next Monday, 30 March",
    or "on Friday 1 January 2027" (a bare "Friday" would be read as this Friday)."""
    if day == today_ + timedelta(days=1):
        return f"tomorrow, {day:%A} {day.day} {day:%B}{_year(day, today_)},"
    if day.weekday() == 0 and day - today_ <= timedelta(days=7):
        return f"next Monday, {day.day} {day:%B}{_year(day, today_)},"
    return f"on {long_date(day)}"


def _year(day: date, today_: date) -> str:
    return "" if day.year == today_.year else f" {day.year}"


def _duration(left: timedelta) -> str:
    """ "2 days 5 hours", "1 day 0 hours", "3 hours", "less than an hour"."""
    days, hours = left.days, left.seconds // 3600
    if not days and not hours:
        return "less than an hour"
    in_days = f"{amounts.count(days, 'days')} " if days else ""
    return f"{in_days}{amounts.count(hours, 'hours')}"


def weeks_between(start: date, end: date) -> list[date]:
    """The Mondays of every ISO week that overlaps ``start``..``end``."""
    first = week_start(start)
    return [first + timedelta(weeks=i) for i in range((week_start(end) - first).days // 7 + 1)]
