"""Rounding for ranks and display: the quick path gives exactly what decimal half-up rounding gives."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from engagement.leaderboards import round2


def decimal_half_up(value: float) -> float:
    return float(Decimal(f"{value:.15g}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_round2_matches_decimal_half_up_everywhere() -> None:
    rng = random.Random(20261125)
    values = [rng.uniform(-1e6, 1e6) for _ in range(20_000)]
    values += [rng.randrange(10**6) / 1000 for _ in range(20_000)]  # three decimals: many exact ties
    values += [0.125, 2.675, 1.005, -0.125, 0.0, 1e7 + 0.005, 123456.785, 0.1 + 0.2, 7.5 * 0.3]
    assert [round2(v) for v in values] == [decimal_half_up(v) for v in values]


def test_ties_round_half_up_as_the_stores_do() -> None:
    assert (round2(0.125), round2(2.675), round2(1.005)) == (0.13, 2.68, 1.01)
