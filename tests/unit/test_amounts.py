"""Amounts in plain words: the unit always shown, time in hours and minutes; places as ordinals."""

from __future__ import annotations

import pytest

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
