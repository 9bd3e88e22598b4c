"""Helpers shared by the unit tests: a statement log and a session per test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from db.engine import unit_of_work

WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statement_log(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs, in order."""
    seen: list[str] = []

    def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _record)


def writes(statements: list[str]) -> list[str]:
    """The statements that change rows."""
    return [s for s in statements if s.lstrip().upper().startswith(WRITES)]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """One write unit of work on the test's fresh database, committed at the end."""
    with unit_of_work(engine) as s:
        yield s


# After the factories' March 2026 challenge ends (2026-03-29), inside its late-entry window:
# tests that log for it as agents and leads do so on a day it still takes entries, whatever the date.
MARCH_CHALLENGE_CLOCK = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def march_challenge_clock() -> Iterator[None]:
    """Stand the clock at :data:`MARCH_CHALLENGE_CLOCK` for the test (``pytestmark`` uses it per module)."""
    with time_machine.travel(MARCH_CHALLENGE_CLOCK, tick=False):
        yield
