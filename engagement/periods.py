"""Calendar periods in the organisation's time zone.

Weeks run Monday to Sunday (ISO weeks); a period is a closed range of days.
Each leaderboard states its period and when it resets, so a short board is
never mistaken for missing data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included."""

    start: date
    end: date
    label: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    def describe(self) -> str:
        return f"{self.label}: {self.start.isoformat()} to {self.end.isoformat()}"


def long_date(day: date) -> str:
    """A date as people say it, in full: "Friday 1 January 2027"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def now_utc() -> datetime:
    return datetime.now(UTC)


def today(zone: ZoneInfo | str = "UTC", at: datetime | None = None) -> date:
    """The date it is now in ``zone``."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return (at or now_utc()).astimezone(tz).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def this_week(day: date) -> Period:
    start = week_start(day)
    return Period(start, start + timedelta(days=6), "This week")


def last_week(day: date) -> Period:
    start = week_start(day) - timedelta(days=7)
    return Period(start, start + timedelta(days=6), "Last week")


def this_month(day: date) -> Period:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(start, following - timedelta(days=1), "This month")


def all_time(day: date) -> Period:
    return Period(EARLIEST, day, "All time")


def custom(start: date, end: date) -> Period:
    return Period(start, end, "Custom dates")


def next_reset(period: Period, zone: ZoneInfo, at: datetime | None = None) -> tuple[datetime, timedelta]:
    """When ``period`` ends (midnight after its last day, in ``zone``) and how long until then."""
    reset = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), zone)
    return reset, reset - (at or now_utc())


def weeks_between(start: date, end: date) -> list[date]:
    """The Mondays of every ISO week that overlaps ``start``..``end``."""
    first = week_start(start)
    return [first + timedelta(weeks=i) for i in range((week_start(end) - first).days // 7 + 1)]
