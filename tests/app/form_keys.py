"""Widget keys of a form in its current generation, as ``ui.form_state.prefix`` makes them."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def generation(at: AppTest, form: str) -> int:
    key = f"{form}#generation"
    return int(at.session_state[key]) if key in at.session_state else 0


def key(at: AppTest, form: str, name: str) -> str:
    """E.g. ``key(at, "log.one.entry", "note")`` is ``"log.one.entry.0.note"`` before the first save."""
    return f"{form}.{generation(at, form)}.{name}"


def token(at: AppTest, form: str) -> str:
    """The session-state key of the form's reference (its double-submit guard)."""
    return f"{form}.{generation(at, form)}#token"
