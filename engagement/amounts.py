"""Amounts and places in plain words, as people say them: "20 minutes", "1 tree", "4.5 kWh", "3rd"."""

from __future__ import annotations

from db.models import Kind
from engagement.challenges import UNITS

HOURS = UNITS[Kind.VOLUNTEERING]


def in_words(quantity: float, unit: str) -> str:
    """``quantity`` of ``unit`` for people to read.

    Volunteering is stored in hours but logged in minutes, so time reads as
    hours and minutes ("1 hour 30 minutes", "20 minutes") rather than
    "0.333333 hours"; other amounts keep at most two decimals, and a single
    one drops the plural ("1 tree").
    """
    if unit == HOURS:
        return _duration(round(quantity * 60))
    number = f"{quantity:,.2f}".rstrip("0").rstrip(".")
    return f"{number} {_singular(unit) if number == '1' else unit}"


def ordinal(n: int) -> str:
    """A place in a ranking: "1st", "2nd", "3rd", "4th"; 11th to 13th, as said, end in "th"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours:,} hour{'s' * (hours != 1)}"] if hours else []) + (
        [f"{rest} minute{'s' * (rest != 1)}"] if rest or not hours else []
    )
    return " ".join(parts)


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") else unit
