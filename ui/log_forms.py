"""Form helpers shared by the Log results page's tabs (Streamlit only).

Each form carries a reference (:func:`token`) so a double click stores an entry
once; :func:`renew` gives the next entry a fresh one after a save.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from engagement.errors import Conflict

T = TypeVar("T")


def token(name: str) -> str:
    """A per-form reference, so pressing Save twice stores each entry once."""
    return st.session_state.setdefault(f"log.{name}.token", uuid.uuid4().hex)  # type: ignore[no-any-return]


def renew(name: str) -> None:
    """After a save: a new reference for the next entry, and a new round so keyed widgets start empty."""
    st.session_state[f"log.{name}.token"] = uuid.uuid4().hex
    st.session_state[f"log.{name}.round"] = st.session_state.get(f"log.{name}.round", 0) + 1


def amount(quantity: float, unit: str) -> str:
    """An amount as people read it, e.g. "2.5 kWh", the same in messages and in the entries table."""
    return f"{quantity:g} {unit}"


def or_conflict(action: Callable[[], T]) -> T | Conflict:
    """Run a write, handing back a Conflict (someone else saved first) instead of raising it."""
    try:
        return action()
    except Conflict as e:
        return e
