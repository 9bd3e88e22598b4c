"""Turning what people type into values, or saying why not."""

from __future__ import annotations

from datetime import date

import pytest

from db.models import Status
from engagement.parsing import FieldError, parse_bool, parse_choice, parse_date, parse_int, parse_number


@pytest.mark.parametrize(
    ("raw", "kwargs", "value"),
    [
        ("1.5", {}, 1.5),
        (" 2 ", {}, 2.0),
        (".25", {}, 0.25),
        ("1,5", {"decimal_comma": True}, 1.5),
        ("1:30", {"unit": "hours"}, 1.5),
        ("0:15", {"unit": "hours"}, 0.25),
        (3, {}, 3.0),
    ],
)
def test_numbers_people_type_are_read(raw: object, kwargs: dict[str, object], value: float) -> None:
    assert parse_number(raw, **kwargs) == value  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "kwargs", "message"),
    [
        ("", {}, "is required"),
        ("nan", {}, "must be a finite number"),
        ("-Infinity", {}, "must be a finite number"),
        ("1e309", {}, "must be a finite number"),
        ("12 kWh", {"unit": "kWh"}, "must be a number on its own ('12 kWh'); the unit (kWh) is set by the challenge"),
        ("1,5", {}, "'1,5' is not a number; use a point for decimals and no thousands separators"),
        (
            "1.234,5",
            {"decimal_comma": True},
            "'1.234,5' is not a number; use a point for decimals and no thousands separators",
        ),
        ("1:30", {"unit": "kWh"}, "'1:30' is not a number"),
        ("twelve", {}, "'twelve' is not a number"),
        (True, {}, "must be a number"),
    ],
)
def test_numbers_that_cannot_be_used_say_why(raw: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(FieldError) as error:
        parse_number(raw, **kwargs)  # type: ignore[arg-type]
    assert str(error.value) == message


def test_only_iso_dates_are_accepted() -> None:
    assert parse_date(" 2026-03-02 ") == date(2026, 3, 2)
    messages = {}
    for raw in ("03/04/2026", "2026-3-2", "46100", "2026-02-30", "2026-03-02T23:00:00Z", ""):
        with pytest.raises(FieldError) as error:
            parse_date(raw)
        messages[raw] = str(error.value)
    assert messages == {
        "03/04/2026": "'03/04/2026' is not a date in the form YYYY-MM-DD",
        "2026-3-2": "'2026-3-2' is not a date in the form YYYY-MM-DD",
        "46100": "'46100' is not a date in the form YYYY-MM-DD",
        "2026-02-30": "'2026-02-30' is not a real date",
        "2026-03-02T23:00:00Z": "'2026-03-02T23:00:00Z' is not a date in the form YYYY-MM-DD",
        "": "is required",
    }


def test_whole_numbers_in_a_range() -> None:
    assert parse_int(" 5 ", 1, 5) == 5
    for raw, message in (
        ("3.5", "must be a whole number from 1 to 5"),
        ("6", "must be from 1 to 5"),
        ("x", "'x' is not a whole number"),
    ):
        with pytest.raises(FieldError, match=message):
            parse_int(raw, 1, 5)


def test_choices_and_booleans_ignore_case_and_spaces() -> None:
    assert parse_choice(" APPROVED ", Status) is Status.APPROVED
    with pytest.raises(FieldError, match="'done' is not one of pending, approved, rejected, voided"):
        parse_choice("done", Status)
    assert [parse_bool(v) for v in ("Yes", "1", "true", "N", "0", "FALSE")] == [True, True, True, False, False, False]
    with pytest.raises(FieldError, match="'maybe' is not one of yes, no, true, false, 1, 0"):
        parse_bool("maybe")
