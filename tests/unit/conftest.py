"""Helpers shared by the unit tests: a statement log and a session per test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
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
