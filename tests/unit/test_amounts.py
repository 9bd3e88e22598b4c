"""The house style for amounts: the unit always shown, time in hours and minutes, trees whole,
money to the cent, targets that say when they are passed; places as ordinals."""

from __future__ import annotations

from fractions import Fraction

import pytest

from engagement import amounts
from engagement.amounts import in_words, ordinal


@pytest.mark.parametrize(
    ("quantity", "unit", "words"),
    [
        (1 / 3, "hours", "20 minutes"),
        (1.5, "hours", "1 hour 30 minutes"),
        (2, "hours", "2 hours"),
        (0, "hours", "0 minutes"),
        (1, "hours", "1 hour"),
        (25 / 60, "hours", "25 minutes"),
        (1, "trees", "1 tree"),
        (3, "trees", "3 trees"),
        (4.5, "kWh", "4.5 kWh"),
        (1, "kWh", "1 kWh"),
        (1234.567, "kWh", "1,234.57 kWh"),
        (0.1 + 0.2, "kWh", "0.3 kWh"),
        (80 / 60, "hours", "1 hour 20 minutes"),
        (498.3, "hours", "498 hours 18 minutes"),
        (1200.25, "hours", "1,200 hours 15 minutes"),
        (12, "trees", "12 trees"),
        (1234, "trees", "1,234 trees"),
        (1.5, "points", "1.5 points"),
        (1, "points", "1 point"),
        (0.999, "kWh", "1 kWh"),
    ],
)
def test_amounts_read_as_people_say_them(quantity: float, unit: str, words: str) -> None:
    assert in_words(quantity, unit) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_places_read_as_ordinals(n: int, words: str) -> None:
    assert ordinal(n) == words


def test_minutes_become_stored_hours_and_back() -> None:
    assert amounts.hours_from_minutes(15) == 0.25
    assert amounts.minutes_from_hours(amounts.hours_from_minutes(20)) == 20
    assert amounts.minutes_from_hours(1 / 3) == 20


@pytest.mark.parametrize(
    ("unit", "one", "rate"),
    [("hours", "hour", "per hour"), ("trees", "tree", "per tree"), ("kWh", "kWh", "per kWh")],
)
def test_units_are_singular_for_exactly_one(unit: str, one: str, rate: str) -> None:
    assert amounts.of_unit(1, unit) == one
    assert amounts.of_unit(2, unit) == unit
    assert amounts.of_unit(0, unit) == unit
    assert amounts.per(unit) == rate


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [(4896.389, 1, "4,896.4"), (1000, 2, "1,000"), (-0.001, 2, "0"), (12.5, 0, "12"), (0.125, 2, "0.12")],
)
def test_numbers_have_thousands_separators_and_no_trailing_zeros(value: float, places: int, shown: str) -> None:
    assert amounts.number(value, places) == shown


def test_co2e_and_money_are_written_the_house_way() -> None:
    assert amounts.kg_co2e(4896.389) == "4,896.4 kg CO2e"
    assert amounts.kg_co2e(0) == "0 kg CO2e"
    assert amounts.money(15845.9, "USD") == "15,845.90 USD"
    assert amounts.money(0.5, "GBP") == "0.50 GBP"


@pytest.mark.parametrize(("share", "shown"), [(0.42, "42%"), (0.999, "99%"), (1.0, "100%"), (1.234, "123%"), (0, "0%")])
def test_percentages_never_round_up_to_all(share: float, shown: str) -> None:
    assert amounts.percent(share) == shown


@pytest.mark.parametrize(
    ("done", "target", "unit", "shown"),
    [
        (80, 100, "hours", "80 hours of 100 hours (80%)"),
        (100, 100, "hours", "100 hours of 100 hours (reached)"),
        (101.2, 100, "hours", "101 hours 12 minutes of 100 hours (reached, 1 hour 12 minutes over)"),
        (101.2, 100, "kWh", "101.2 of 100 kWh (reached, 1.2 over)"),
        (99.96, 100, "kWh", "99.96 of 100 kWh (99%)"),
        (39, 40, "trees", "39 of 40 trees (97%)"),
        (1234, 1000, "trees", "1,234 of 1,000 trees (reached, 234 over)"),
        (0, 400, "kWh", "0 of 400 kWh (0%)"),
    ],
)
def test_a_target_says_when_it_is_reached_and_by_how_much(done: float, target: float, unit: str, shown: str) -> None:
    assert amounts.target_progress(done, target, unit) == shown


def test_counts_are_singular_for_exactly_one() -> None:
    assert [amounts.count(n, noun) for n, noun in ((1, "days"), (3, "days"), (1, "entries"), (0, "entries"))] == [
        "1 day",
        "3 days",
        "1 entry",
        "0 entries",
    ]
    assert amounts.count(1204, "rows") == "1,204 rows"


def test_a_headline_card_abbreviates_time_and_writes_the_rest_as_figure_does() -> None:
    assert amounts.headline(529 + 20 / 60, amounts.HOURS) == "529 h 20 min"
    assert amounts.headline(1, amounts.HOURS) == "1 h"
    assert amounts.headline(0.25, amounts.HOURS) == "15 min"
    assert amounts.headline(12_000, amounts.HOURS) == "12,000 h"
    assert amounts.headline(Fraction(109_321, 10), "kWh") == amounts.figure(Fraction(109_321, 10), "kWh")


def test_a_share_reads_the_same_whole_percentage_in_tables_and_sentences() -> None:
    assert amounts.whole_percent(80 / 89) == 89 and amounts.percent(80 / 89) == "89%"
    assert amounts.whole_percent(0.999) == 99 and amounts.whole_percent(1.0) == 100
    assert amounts.whole_percent(3.2) == 320
