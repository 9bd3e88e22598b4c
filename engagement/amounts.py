"""Amounts, figures and places in plain words, written one way everywhere.

The house style, used by every page, message, chart label and the command line's
tables (CSV and JSON exports keep full numbers, for spreadsheets):

- time in hours and minutes, to the minute: "20 minutes", "1 hour",
  "1 hour 20 minutes", "498 hours 18 minutes" (volunteering is stored in hours
  and typed in minutes, so "0.333333 hours" is never shown);
- trees whole: "1 tree", "12 trees";
- kWh and other amounts with at most two decimals and thousands separators,
  trailing zeros dropped: "4.5 kWh", "1,234.57 kWh";
- kg CO2e with one decimal: "4,896.4 kg CO2e";
- money with two decimals: "1,234.50 USD";
- a headline card, whose big figure cannot wrap, abbreviates time: "529 h 20 min";
- shares as whole percentages, never rounded up to 100 % before they get there;
- a target as "80 of 100 hours (80%)", "100 of 100 hours (reached)" or
  "101.2 of 100 kWh (reached, 1.2 over)": never a figure above the target
  without saying it is over.

A unit is plural except for exactly one ("1 hour", "0.5 kWh" keeps kWh).
Table columns that people sort hold plain numbers rounded to :data:`PLACES`
with the unit in the header.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

HOURS = "hours"
TREES = "trees"
KWH = "kWh"
KG_CO2E = "kg CO2e"
MONEY = "money"  # a value in the factor's currency, named beside it
MINUTES_PER_HOUR = 60
# How many decimals a figure of each unit keeps wherever it is shown (tables too).
PLACES = {HOURS: 2, TREES: 0, KWH: 2, KG_CO2E: 1}
# The unit of each impact figure (``impact.ImpactRow`` fields), for pages that show them.
MEASURE_UNITS = {
    "kwh_saved": KWH,
    "kg_co2e_avoided": KG_CO2E,
    "trees_planted": TREES,
    "kg_co2e_per_year": KG_CO2E,
    "volunteer_hours": HOURS,
    "volunteer_value": MONEY,
}
HUGE = 1e12  # from here a figure is a typo, shown short
_SINGULAR = {
    "hours": "hour",
    "trees": "tree",
    "minutes": "minute",
    "points": "point",
    "days": "day",
    "entries": "entry",
    "rows": "row",
}


def hours_from_minutes(minutes: float) -> float:
    """The stored amount of a volunteering entry typed in minutes (15 minutes = 0.25 hours)."""
    return minutes / MINUTES_PER_HOUR


def minutes_from_hours(hours: float) -> int:
    """A stored volunteering amount in whole minutes, as people typed it."""
    return round(hours * MINUTES_PER_HOUR)


def singular(unit: str) -> str:
    """The unit for exactly one: "hours" → "hour", "trees" → "tree"; "kWh" stays "kWh"."""
    return _SINGULAR.get(unit, unit)


def of_unit(count: float, unit: str) -> str:
    """``unit`` as it goes after ``count``: singular for exactly one, plural otherwise."""
    return singular(unit) if count == 1 else unit


def count(n: int, things: str) -> str:
    """A count with its noun, singular for exactly one: "1 day", "3 days", "1 entry", "1,204 rows"."""
    return f"{n:,} {of_unit(n, things)}"


Exact = Fraction | Decimal | float | int


def rounded(value: Exact, places: int) -> Decimal:
    """``value`` to ``places`` decimals, halves away from zero: the one rounding a figure gets, where it is shown.

    Worked on the exact fraction (impact figures are fractions), so no earlier
    rounding (binary floats, a decimal context) can tip a half the wrong way.
    """
    exact = Fraction(value)
    whole, rest = divmod(abs(exact.numerator) * 10**places, exact.denominator)
    if 2 * rest >= exact.denominator:
        whole += 1
    return Decimal(-whole if exact < 0 else whole).scaleb(-places)


def number(value: Exact, places: int = 2) -> str:
    """``value`` with thousands separators and at most ``places`` decimals, trailing zeros dropped.

    A value of a trillion or more is a typo, not an amount: it is shown short ("1e+12").
    """
    if abs(float(value)) >= HUGE:
        return f"{float(value):.3g}"
    text = f"{float(value):,.{places}f}"
    if places:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def in_words(quantity: float, unit: str) -> str:
    """``quantity`` of ``unit`` for people to read: "20 minutes", "12 trees", "4.5 kWh", "3 points"."""
    if unit == HOURS:
        return _duration(minutes_from_hours(quantity))
    shown = number(quantity, PLACES.get(unit, 2))
    return f"{shown} {of_unit(float(shown.replace(',', '')), unit)}"


def per(unit: str) -> str:
    """A rate's denominator: "per hour", "per tree", "per kWh"."""
    return f"per {singular(unit)}"


def kg_co2e(kg: float) -> str:
    """Greenhouse gas in kg CO2e, to one decimal: "4,896.4 kg CO2e"."""
    return f"{figure(kg, KG_CO2E)} {KG_CO2E}"


def figure(value: Exact, unit: str) -> str:
    """``value`` as shown where its unit is named beside it (a label, a header, "of 100 kWh").

    Time keeps its words ("1 hour 20 minutes"); money has two decimals; the rest the
    unit's :data:`PLACES`, trailing zeros dropped.
    """
    if unit == HOURS:
        return in_words(float(value), HOURS)
    if unit == MONEY:
        return money(value, "")
    return number(value, PLACES.get(unit, 2))


def headline(value: Exact, unit: str) -> str:
    """``value`` as a headline card shows it: :func:`figure`, with time as "529 h 20 min".

    A card's big figure is cut short, not wrapped, once it is wider than the card:
    "529 hours 20 minutes" does not fit a third of the page, its abbreviation does.
    """
    if unit != HOURS:
        return figure(value, unit)
    hours, rest = divmod(minutes_from_hours(float(value)), MINUTES_PER_HOUR)
    return " ".join(([f"{hours:,} h"] if hours else []) + ([f"{rest} min"] if rest or not hours else []))


def money(value: Exact, currency: str) -> str:
    """Money with two decimals and thousands separators: "15,845.94 USD".

    Rounded once, halves up, from the exact amount (impact figures are fractions), so a
    total is never a cent off the sum it was computed from.
    """
    exact = Fraction(value)
    cents, rest = divmod(abs(exact.numerator) * 100, exact.denominator)
    cents += 2 * rest >= exact.denominator
    figure = f"{'-' if exact < 0 and cents else ''}{cents // 100:,}.{cents % 100:02d}"
    return f"{figure} {currency}".rstrip()


def whole_percent(share: float) -> int:
    """A share (0.899) as the whole percentage people read (89): short of all is never 100."""
    return math.floor(share * 100 + 1e-9) if share < 1 else round(share * 100)


def percent(share: float) -> str:
    """A share (0.42) as a whole percentage ("42%"); short of all is never shown as 100%."""
    return f"{whole_percent(share)}%"


def target_progress(done: float, target: float, unit: str) -> str:
    """How far a team is towards ``target``: "80 of 100 hours (80%)", "(reached)", or "(reached, 1.2 over)"."""
    of = f"{figure(done, unit)} of {in_words(target, unit)}"
    if done < target:
        return f"{of} ({percent(done / target)})"
    over = figure(done - target, unit)
    return f"{of} (reached)" if over in ("0", "0 minutes") else f"{of} (reached, {over} over)"


def ordinal(n: int) -> str:
    """A place in a ranking: "1st", "2nd", "3rd", "4th"; 11th to 13th, as said, end in "th"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, MINUTES_PER_HOUR)
    parts = ([f"{hours:,} {of_unit(hours, 'hours')}"] if hours else []) + (
        [f"{rest} {of_unit(rest, 'minutes')}"] if rest or not hours else []
    )
    return " ".join(parts)
