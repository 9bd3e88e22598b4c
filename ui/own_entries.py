"""My own entries before a decision: correcting or withdrawing one that waits; a repeat caught before saving.

Streamlit only; the rules are in :mod:`engagement.results` (only one's own
entry, only while it is pending, the version opened guards against a decision
taken meanwhile; a repeat is the same person, challenge, day and amount).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from engagement import amounts, results
from engagement.access import Actor
from engagement.text import NOTE_MAX
from ui import form_state
from ui.log_forms import amount_input
from ui.resources import read_fresh, write
from ui.widgets import md

OPEN = "standing.waiting.open"  # the entry as it was when opened (its "entry" snapshot)
WHERE_NOW = "Your recent entries below show where each one stands now."


def describe(entry: results.Entry) -> str:
    """An entry as the person recognises it: "#12 · 2026-03-10 · Home energy · 2 kWh"."""
    return f"#{entry.id} · {entry.occurred_on} · {entry.challenge} · {amounts.in_words(entry.quantity, entry.unit)}"


def waiting_entries(actor: Actor, today: date) -> None:
    """My entries waiting for a decision, each of which I may correct or withdraw until it is decided."""
    waiting = read_fresh(results.own_pending_entries, actor)
    notice = None
    opened: results.Entry | None = form_state.peek(OPEN, "entry")
    if opened is not None and opened.id not in {e.id for e in waiting}:
        # Decided (or withdrawn in another tab) while open here: its forms are gone, so say why.
        form_state.renew(OPEN)
        notice = f"Entry #{opened.id} is no longer waiting, so it can no longer be changed here. {WHERE_NOW}"
    if not waiting:
        if notice:
            st.warning(notice)
        return
    st.subheader("My entries waiting for a decision")
    st.caption(
        "Until it is decided you can correct an entry or withdraw it; a withdrawn entry counts nowhere. "
        "Every change is kept in the audit log."
    )
    if notice:
        st.warning(notice)
    by_id = {e.id: e for e in waiting}
    picked = st.selectbox(
        "Entry to correct or withdraw",
        list(by_id),
        index=None,
        placeholder="Choose an entry",
        format_func=lambda i: describe(by_id[i]),
        key="standing.waiting.entry",
    )
    if picked is None:
        return
    # Kept as opened: saving then tells if the lead decided (or another tab changed it) meanwhile.
    if opened is None or opened.id != picked:
        form_state.renew(OPEN)
    opened = form_state.snapshot(OPEN, "entry", lambda: by_id[picked])
    _change_forms(actor, opened, today)


def _change_forms(actor: Actor, opened: results.Entry, today: date) -> None:
    """A correction form and a withdrawal form side by side, both for the version that was opened."""
    tag = f"{opened.id}.{opened.version}"
    correct, withdraw = st.columns(2)
    with correct.form(f"standing.waiting.correct.{tag}"):
        # Time is typed in minutes and trees whole, as when the entry was logged.
        kind = "minutes" if opened.unit == amounts.HOURS else "quantity"
        quantity = amount_input(opened.unit, f"standing.waiting.{kind}.{tag}", opened.quantity)
        day = st.date_input(
            "Day",
            value=opened.occurred_on,
            max_value=max(today, opened.occurred_on),
            format="YYYY-MM-DD",
            key=f"standing.waiting.day.{tag}",
        )
        note = st.text_input("Note", value=opened.note, max_chars=NOTE_MAX, key=f"standing.waiting.note.{tag}")
        save = st.form_submit_button("Save the correction", type="primary")
    with withdraw.form(f"standing.waiting.withdraw.{tag}"):
        st.markdown("**Withdraw this entry**: it leaves your lead's list and counts nowhere.")
        reason = st.text_input("Why (optional)", max_chars=NOTE_MAX, key=f"standing.waiting.why.{tag}")
        take_back = st.form_submit_button("Withdraw entry")
    if save:
        with correct:  # a problem shows under the form it is about
            _run(
                lambda: write(
                    results.edit_result,
                    actor,
                    opened.id,
                    opened.version,
                    quantity=quantity,  # left empty: the amount stays as it was
                    occurred_on=day,
                    note=note,
                ),
                "Entry corrected. It waits for a decision as before.",
            )
    if take_back:
        with withdraw:
            _run(
                lambda: write(results.withdraw_result, actor, opened.id, opened.version, reason),
                "Entry withdrawn. It counts nowhere.",
            )


def _run(action: Callable[[], object], done: str) -> None:
    """Save a correction or withdrawal; if the entry changed since it was opened, say so instead of saving."""
    form_state.save_opened(
        OPEN, action, done, reason="this entry was decided or changed since you opened it", then=WHERE_NOW
    )


# -- a repeat, caught before saving ------------------------------------------------


def hold_if_repeat(actor: Actor, entry: results.ResultInput, key: str, sentence: str) -> None:
    """Return if ``entry`` repeats nothing stored (save it then); else hold it under ``key`` and rerun.

    The rerun draws :func:`repeat_prompt`, which asks before saving. ``sentence``
    describes the entry for the warning (see :func:`repeat_sentence`).
    """
    twin = read_fresh(results.find_duplicate, actor, entry)
    if twin is not None:
        st.session_state[key] = (entry, twin, sentence)
        st.rerun()


def repeat_prompt(key: str, save: Callable[[results.ResultInput], None]) -> None:
    """An entry held as a repeat: a warning in words, then saving it anyway or dropping it."""
    held = st.session_state.get(key)
    if held is None:
        return
    entry, twin, sentence = held
    st.warning(
        f"{sentence} (entry #{twin}): the same amount for the same challenge and day. "
        "Nothing is saved yet. Is this a second, separate activity?"
    )
    with st.container(horizontal=True):
        again = st.button("Yes, save it as well", type="primary", key=f"{key}.yes")
        drop = st.button("No, it was the same one", key=f"{key}.no")
    if again:
        del st.session_state[key]
        save(entry)
    elif drop:
        del st.session_state[key]
        form_state.tell("Nothing was saved: the entry you logged before stands.")
        st.rerun()


def repeat_sentence(who: str | None, entry: results.ResultInput, challenge: str, unit: str) -> str:
    """The start of the warning: "You already logged …" for oneself, "Ana already has …" for someone else."""
    what = f"{amounts.in_words(entry.quantity, unit)} of {md(challenge)} for {entry.occurred_on.isoformat()}"
    return f"You already logged {what}" if who is None else f"{md(who)} already has {what}"
