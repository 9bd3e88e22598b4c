"""Organisation-wide settings, stored in the database so every process agrees.

- ``timezone``: the organisation's IANA time zone; "this week" runs Monday to
  Sunday in it (default UTC).
- ``anonymity_threshold``: the smallest group whose morale figures are shown
  (default 5, never below 3). A change applies to weeks that close after it;
  closed weeks keep what they published (:mod:`engagement.publication`).
- ``session_hours``: how long a built-in sign-in lasts, across reloads and
  tabs, before the person signs in again (default 12, one shift; 1 to 168).
  A change applies to sign-ins made after it (:mod:`engagement.sessions`).
- ``invite_at``, ``remind_at``, ``digest_at``: when the weekly pulse
  invitation, its one reminder and the weekly digests go out, as a weekday and
  a time in each person's own time zone (defaults ``mon 10:00``, ``thu 10:00``,
  ``fri 15:00``; see :mod:`engagement.schedule`).
- ``demo``: set by ``python -m engagement demo``; the login page lists the demo
  accounts only when it is on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session

from db.models import Setting
from engagement import audit
from engagement.access import Actor, Role, require
from engagement.errors import ValidationError

DEFAULT_TIMEZONE = "UTC"
DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 3
MAX_THRESHOLD = 50
DEFAULT_SESSION_HOURS = 12
MAX_SESSION_HOURS = 7 * 24
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_MOMENTS = {"invite_at": "mon 10:00", "remind_at": "thu 10:00", "digest_at": "fri 15:00"}


@dataclass(frozen=True)
class Moment:
    """A weekday and a time of day: when in each person's week a message goes out."""

    weekday: int  # Monday is 0
    at: time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M}"


@dataclass(frozen=True)
class OrgSettings:
    timezone: str = DEFAULT_TIMEZONE
    anonymity_threshold: int = DEFAULT_THRESHOLD
    session_hours: int = DEFAULT_SESSION_HOURS
    demo: bool = False
    invite_at: Moment = Moment(0, time(10))
    remind_at: Moment = Moment(3, time(10))
    digest_at: Moment = Moment(4, time(15))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def zone_column() -> ScalarSelect[str]:
    """The organisation's time zone as a column, so a statement can read it with its own rows.

    Saving an entry needs it beside the person; one statement is one round trip fewer.
    Read it with :func:`zone_of_value`.
    """
    return select(Setting.value).where(Setting.key == "timezone").scalar_subquery()


def zone_of_value(value: str | None) -> ZoneInfo:
    return ZoneInfo(value or DEFAULT_TIMEZONE)


def load(session: Session) -> OrgSettings:
    """Current settings; anything not stored yet takes its default."""
    stored = dict(session.execute(select(Setting.key, Setting.value)).all())
    threshold = int(stored.get("anonymity_threshold", DEFAULT_THRESHOLD))
    return OrgSettings(
        timezone=stored.get("timezone", DEFAULT_TIMEZONE),
        # A value below the floor can only come from outside this module; never honour it.
        anonymity_threshold=max(threshold, MIN_THRESHOLD),
        session_hours=min(max(int(stored.get("session_hours", DEFAULT_SESSION_HOURS)), 1), MAX_SESSION_HOURS),
        demo=stored.get("demo") == "1",
        **{key: parse_moment(stored.get(key, default), key) for key, default in DEFAULT_MOMENTS.items()},
    )


def validate_timezone(name: str) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError.single("timezone", f"unknown time zone {name!r} (use e.g. Europe/London)") from None
    if name not in available_timezones() and name != "UTC":
        raise ValidationError.single("timezone", f"unknown time zone {name!r} (use e.g. Europe/London)")
    return name


def validate_threshold(value: object) -> int:
    try:
        number = int(str(value).strip())
        if str(number) != str(value).strip():
            raise ValueError
    except ValueError:
        raise ValidationError.single("anonymity_threshold", "must be a whole number") from None
    if number < MIN_THRESHOLD:
        raise ValidationError.single(
            "anonymity_threshold", f"must be at least {MIN_THRESHOLD} to keep answers anonymous"
        )
    if number > MAX_THRESHOLD:
        raise ValidationError.single("anonymity_threshold", f"must be at most {MAX_THRESHOLD}")
    return number


def parse_moment(value: object, key: str = "moment") -> Moment:
    """``mon 10:00``: a weekday (its first three letters) and a 24-hour time; anything else names the field."""
    words = str(value).strip().lower().split()
    problem = f"must be a weekday and a time such as 'mon 10:00', not {str(value)!r}"
    if len(words) != 2 or words[0][:3] not in WEEKDAYS:
        raise ValidationError.single(key, problem)
    try:
        at = time.fromisoformat(words[1] if len(words[1]) > 4 else f"0{words[1]}")
    except ValueError:
        raise ValidationError.single(key, problem) from None
    return Moment(WEEKDAYS.index(words[0][:3]), at.replace(second=0, microsecond=0))


def _moment_of(value: object, key: str) -> Moment:
    return parse_moment(value, key)


def validate_session_hours(value: object) -> int:
    try:
        number = int(str(value).strip())
        if str(number) != str(value).strip():
            raise ValueError
    except ValueError:
        raise ValidationError.single("session_hours", "must be a whole number of hours") from None
    if not 1 <= number <= MAX_SESSION_HOURS:
        raise ValidationError.single("session_hours", f"must be between 1 and {MAX_SESSION_HOURS} hours")
    return number


def update(session: Session, actor: Actor, now: datetime | None = None, **changes: object) -> OrgSettings:
    """Change settings (admins only); each change is validated and audited.

    ``now`` (default: the clock) says which weeks have ended and close under the old settings.
    """
    require(actor, Role.ADMIN)
    validators: dict[str, Callable[[Any], object]] = {
        "timezone": validate_timezone,
        "anonymity_threshold": validate_threshold,
        "session_hours": validate_session_hours,
        **{key: partial(_moment_of, key=key) for key in DEFAULT_MOMENTS},
    }
    unknown = set(changes) - set(validators)
    if unknown:
        raise ValidationError.single(sorted(unknown)[0], "is not a setting")
    cleaned = {key: str(validators[key](value)) for key, value in changes.items()}
    # Weeks that ended under the old threshold or zone close under them: a change applies to later weeks only.
    from engagement import publication  # publication reads settings: import here, not at the top

    publication.close_weeks(session, now)
    for key, value in cleaned.items():
        _store(session, actor, key, value)
    return load(session)


def mark_demo(session: Session, actor: Actor) -> None:
    require(actor, Role.ADMIN)
    _store(session, actor, "demo", "1")


def _store(session: Session, actor: Actor, key: str, value: str) -> None:
    row = session.get(Setting, key)
    before = None if row is None else {"key": key, "value": row.value}
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    audit.record(session, actor, "setting.update", "setting", None, before, {"key": key, "value": value})
