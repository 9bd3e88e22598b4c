"""Amounts in plain words with their unit, as people say them: "20 minutes", "1 tree", "4.5 kWh"."""

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


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours:,} hour{'s' * (hours != 1)}"] if hours else []) + (
        [f"{rest} minute{'s' * (rest != 1)}"] if rest or not hours else []
    )
    return " ".join(parts)


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") else unit
