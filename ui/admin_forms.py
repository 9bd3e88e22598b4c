"""Form helpers shared by the Admin page's tabs (Streamlit only).

Every change goes through one engagement call in one transaction, so bad input
shows what is wrong and writes nothing. Edits carry the version the form first
showed; if someone else saved in between, the save is refused and the form
reloads with their version.

A form's widgets are keyed under ``form_state.prefix``, which changes after a save
or a reload: the browser then draws new, empty widgets rather than keeping the old
values on screen while the server has forgotten them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from engagement.errors import Problem, ValidationError
from ui import form_state
from ui.widgets import attempt


def save(
    action: Callable[[], object], done: str, *, labels: Mapping[str, str] | None = None, clear: str | None = None
) -> None:
    """Run one write; on success keep ``done`` for the next run, forget form keys under ``clear``, rerun.

    ``labels`` turns field names in error messages into the words on the form.
    """

    def run() -> bool:
        try:
            action()
        except ValidationError as e:
            names = labels or {}
            raise ValidationError(
                [Problem(names.get(p.field, p.field.replace("_", " ")), p.message, p.row) for p in e.problems]
            ) from None
        return True

    if attempt(run):
        if clear:
            form_state.renew(clear)
        form_state.tell(done)
        st.rerun()


def save_edit(action: Callable[[], object], done: str, form: str, **kwargs: Any) -> None:
    """Like :func:`save` for an edit made against a version; a conflict reloads the form with fresh values."""
    save(lambda: form_state.on_conflict(form, action), done, clear=form, **kwargs)


def grid(records: list[dict[str, Any]], **column_config: Any) -> None:
    """A read-only table; user text shows as typed and a missing value as a dash."""
    st.dataframe(records, hide_index=True, width="stretch", column_config=column_config or None, placeholder="–")


def yes(value: bool) -> str:
    """Yes/No as words: a ticked box is hard to read at a glance, and colour alone says nothing."""
    return "Yes" if value else "No"
