"""Turn what people type (in forms, grids and CSV cells) into values, or say why not.

Each parser raises :class:`FieldError` with a message meant for the person who
typed the value; callers add the row and field.
"""

from __future__ import annotations

import math
import re
from datetime import date
from enum import Enum
from typing import TypeVar

from engagement import amounts

E = TypeVar("E", bound=Enum)

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_HOURS_MINUTES = re.compile(r"^(\d+):([0-5]\d)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldError(ValueError):
    """The value cannot be used; the message says why."""


def parse_number(raw: object, *, decimal_comma: bool = False, unit: str | None = None) -> float:
    """A finite number from ``raw``; ``1,5`` only where the file uses decimal commas.

    ``h:mm`` is read as hours when ``unit`` is hours (``1:30`` = 1.5).
    """
    if isinstance(raw, bool):
        raise FieldError("must be a number")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            raise FieldError("is required")
        hm = _HOURS_MINUTES.match(text)
        if hm and unit == amounts.HOURS:
            return int(hm.group(1)) + amounts.hours_from_minutes(int(hm.group(2)))
        if decimal_comma and _DECIMAL_COMMA.match(text):
            text = text.replace(",", ".")
        if not _NUMBER.match(text):
            return _explain_not_a_number(text, unit)
        value = float(text)
    if not math.isfinite(value):
        raise FieldError("must be a finite number")
    return value


def _explain_not_a_number(text: str, unit: str | None) -> float:
    lowered = text.lower()
    if lowered in {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}:
        raise FieldError("must be a finite number")
    if unit and re.match(r"^[+-]?[\d.,]+\s*[a-zA-Z]+$", text):
        raise FieldError(f"must be a number on its own ({text!r}); the unit ({unit}) is set by the challenge")
    if "," in text:
        raise FieldError(f"{text!r} is not a number; use a point for decimals and no thousands separators")
    raise FieldError(f"{text!r} is not a number")


def parse_positive(raw: object, *, decimal_comma: bool = False, unit: str | None = None) -> float:
    value = parse_number(raw, decimal_comma=decimal_comma, unit=unit)
    if value <= 0:
        raise FieldError("must be greater than 0")
    return value


def parse_optional_positive(raw: object, *, decimal_comma: bool = False) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return parse_positive(raw, decimal_comma=decimal_comma)


def parse_int(raw: object, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``."""
    text = str(raw).strip()
    if not text:
        raise FieldError("is required")
    try:
        value = float(text)
    except ValueError:
        raise FieldError(f"{text!r} is not a whole number") from None
    if not math.isfinite(value) or value != int(value):
        raise FieldError(f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise FieldError(f"must be from {low} to {high}")
    return int(value)


def parse_date(raw: object) -> date:
    """An ISO date (YYYY-MM-DD); anything else is ambiguous and refused."""
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if not text:
        raise FieldError("is required")
    if not _ISO_DATE.match(text):
        raise FieldError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(f"{text!r} is not a real date") from None


def parse_bool(raw: object) -> bool:
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "y"}:
        return True
    if text in {"0", "false", "no", "n"}:
        return False
    raise FieldError(f"{raw!r} is not one of yes, no, true, false, 1, 0")


def parse_choice(raw: object, choices: type[E]) -> E:
    text = str(raw).strip().lower()
    for member in choices:
        if member.value == text:
            return member
    allowed = ", ".join(m.value for m in choices)
    raise FieldError(f"{str(raw).strip()!r} is not one of {allowed}" if text else f"is required (one of {allowed})")
