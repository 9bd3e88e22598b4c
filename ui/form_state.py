"""Form state across reruns, kept one way by every page (Streamlit only).

A Streamlit script runs again on every click, and ``st.rerun`` wipes what the run
drew, so a form needs a few things kept in session state. Each lives here, named
after the form (``"admin.add"``, ``"log.grid"``):

- **generations**: a form's widgets are keyed under :func:`prefix`, which
  :func:`renew` moves on after a save, a conflict or a changed roster. The browser
  then draws new widgets instead of showing values the server has forgotten.
- **references**: :func:`token` belongs to one generation, so pressing Save twice
  stores one entry and the next entry gets a new reference.
- **versions seen**: :func:`seen_version` keeps the version a form first showed
  (optimistic locking) until it renews.
- **snapshots**: :func:`snapshot` keeps what a table was drawn from for its
  generation, so positions never shift under a person and a save reads the rows
  they saw.
- **notices**: :func:`tell` keeps a message for the next run, and
  :func:`show_notices` draws it once.
- **conflicts**: :func:`on_conflict` renews the form and says nothing was saved
  when someone else changed the entity first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import streamlit as st

from engagement.errors import Conflict
from ui.widgets import attempt

T = TypeVar("T")
Tone = Literal["success", "warning", "info"]
NOTICES = "ib.notices"
RELOADED = "The form now shows the latest version; check it and try again."


def _generation(form: str) -> int:
    return int(st.session_state.get(f"{form}#generation", 0))


def prefix(form: str) -> str:
    """The key prefix for ``form``'s widgets now, e.g. ``admin.add.0``; :func:`renew` moves it on."""
    return f"{form}.{_generation(form)}"


def renew(form: str) -> None:
    """Forget what ``form`` holds (widget values, reference, version seen, snapshot): it redraws new."""
    for key in [k for k in st.session_state if str(k).startswith(form + ".")]:
        del st.session_state[key]
    st.session_state[f"{form}#generation"] = _generation(form) + 1


def token(form: str) -> str:
    """This generation's reference, so a second press of Save stores the same entry once."""
    return str(st.session_state.setdefault(f"{prefix(form)}#token", uuid.uuid4().hex))


def seen_version(form: str, current: int) -> int:
    """The version this form first showed, kept until it is saved or reloaded."""
    return int(st.session_state.setdefault(f"{prefix(form)}#seen", current))


def snapshot(form: str, part: str, make: Callable[[], T]) -> T:
    """What ``part`` of this generation was first drawn from (``make()`` the first time)."""
    key = f"{prefix(form)}#{part}"
    if key not in st.session_state:
        st.session_state[key] = make()
    value: T = st.session_state[key]
    return value


def peek(form: str, part: str) -> Any:
    """What :func:`snapshot` holds for ``part`` of this generation, or None."""
    return st.session_state.get(f"{prefix(form)}#{part}")


def tell(message: str, tone: Tone = "success") -> None:
    """Keep ``message`` for the next run (``st.rerun`` would wipe one shown now)."""
    st.session_state.setdefault(NOTICES, []).append((tone, message))


def show_notices() -> None:
    """Draw the messages kept for this run, once."""
    for tone, message in st.session_state.pop(NOTICES, []):
        if tone == "warning":
            st.warning(message, icon=":material/sync_problem:")
        elif tone == "info":
            st.info(message)
        else:
            st.success(message)


def save_opened(form: str, action: Callable[[], object], done: str, *, reason: str, then: str = RELOADED) -> None:
    """Save against what ``form`` opened: on success renew it, say ``done`` and rerun; a conflict says ``reason``."""
    if attempt(lambda: on_conflict(form, action, reason=reason, then=then)) is None:
        return
    renew(form)
    tell(done)
    st.rerun()


def on_conflict(
    form: str,
    action: Callable[[], T],
    *,
    reason: str | None = None,
    then: str = RELOADED,
    carry: Mapping[str, object] | None = None,
) -> T:
    """Run ``action``; if someone else saved first, renew ``form``, say nothing was saved and rerun.

    ``reason`` says what changed (default: the conflict's own words), ``then`` what the
    form shows now; ``carry`` holds parts of the new generation (what was typed, to keep).
    """
    try:
        return action()
    except Conflict as e:
        renew(form)
        for part, value in (carry or {}).items():
            st.session_state[f"{prefix(form)}#{part}"] = value
        tell(f"Nothing was saved: {reason or str(e).rstrip('.')}. {then}", "warning")
        st.rerun()
