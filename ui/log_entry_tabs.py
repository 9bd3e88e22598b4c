"""The Log results page's typing tabs: one entry, and the whole team in a table (Streamlit only).

Leads log for their own team, admins for the team they choose; what they log is
approved at once. The table is matched to people by person id and is drawn from
the roster as it was when the lead opened it, so a roster that changes while
they type is caught instead of shifting numbers onto the wrong person.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pandas as pd
import streamlit as st

from engagement import amounts, grid, results
from engagement.access import Actor
from engagement.challenges import ACTIVITY_TYPES
from engagement.organisation import PersonRow, TeamRow
from engagement.text import NOTE_MAX
from engagement.vocabulary import Challenge, Kind
from ui import form_state
from ui.log_forms import amount_input
from ui.own_entries import hold_if_repeat, repeat_prompt, repeat_sentence
from ui.resources import write
from ui.widgets import attempt, md

ONE = "log.one.entry"  # the one-entry form's amount, organisation and note: emptied after each save
GRID = "log.grid.table"  # the team table: its cells, roster drawn and reference
TYPED = "typed"  # the part of GRID holding what was typed before a roster change
REPEAT = "log.one.repeat"  # an entry held until the logger confirms it is not a repeat
GRID_ROWS_SHOWN = 20  # taller teams scroll inside the table
# Minutes and trees are typed whole; kWh in halves (the engine refuses half a tree whatever is typed).
GRID_STEPS: dict[str, dict[str, int | str]] = {
    "minutes": {"step": 5, "format": "%d"},
    amounts.TREES: {"step": 1, "format": "%d"},
}
ROW_PX = 35


def one_entry(actor: Actor, roster: list[PersonRow], loggable: list[Challenge], today: date) -> None:
    """Log one person's amount for one challenge and day; what was typed stays until it is saved."""
    people = {p.id: p for p in roster}
    by_id = {c.id: c for c in loggable}
    challenge = by_id[st.selectbox("Challenge", list(by_id), format_func=lambda i: by_id[i].name, key="log.one.ch")]
    volunteering = challenge.kind is Kind.VOLUNTEERING
    # Not cleared on a refused submit: after a mistake the lead corrects what they typed instead of typing it
    # all again. A save renews ONE, which empties the amount, organisation and note and keeps person and day.
    typing = form_state.prefix(ONE)
    with st.form("log.one.form"):
        person_id = st.selectbox("Person", list(people), format_func=lambda i: people[i].name, key="log.one.person")
        key = f"{typing}.minutes" if volunteering else f"{typing}.quantity.{challenge.id}"
        quantity = amount_input(challenge.unit, key)
        if volunteering:
            organisation_name = st.text_input(
                "Organisation (for example Be My Eyes)", max_chars=100, key=f"{typing}.organisation"
            )
            activity = st.selectbox("Activity", ACTIVITY_TYPES, key="log.one.activity")
        else:
            organisation_name, activity = "", None
        last_day = min(today, challenge.ends_on)
        day = st.date_input(
            "Day",
            value=last_day,
            min_value=challenge.starts_on,
            max_value=last_day,
            format="YYYY-MM-DD",
            key=f"log.one.day.{challenge.id}",
        )
        note = st.text_input("Note (optional)", max_chars=NOTE_MAX, key=f"{typing}.note")
        submitted = st.form_submit_button("Save entry", type="primary")
    if submitted and quantity is None:
        st.error(
            "Nothing was saved: type how much " + ("time (in minutes)." if volunteering else f"({challenge.unit}).")
        )
    elif submitted and quantity is not None:
        entry = results.ResultInput(
            person_id, challenge.id, quantity, day, note, organisation_name or None, activity, ref=form_state.token(ONE)
        )
        who = None if person_id == actor.person_id else people[person_id].name
        hold_if_repeat(actor, entry, REPEAT, repeat_sentence(who, entry, challenge.name, challenge.unit))
        save_one(actor, entry, challenge, people[person_id])
    held = st.session_state.get(REPEAT)
    if held is not None and (held[0].challenge_id not in by_id or held[0].person_id not in people):
        del st.session_state[REPEAT]  # held for a team or challenge no longer shown: nothing to confirm here
    repeat_prompt(REPEAT, lambda e: save_one(actor, e, by_id[e.challenge_id], people[e.person_id]))


def save_one(actor: Actor, entry: results.ResultInput, challenge: Challenge, person: PersonRow) -> None:
    """Store one entry, empty the form and say what was saved."""
    stored = attempt(lambda: write(results.record_results, actor, [entry], source="dashboard"))
    if stored is not None:
        form_state.renew(ONE)
        again = " (it was already saved by your first click)" if stored.already_stored else ""
        form_state.tell(
            f"Saved {amounts.in_words(entry.quantity, challenge.unit)} of {md(challenge.name)} for "
            f"{md(person.name)} on {entry.occurred_on.isoformat()}{again}."
        )
        st.rerun()


def team_table(actor: Actor, team: TeamRow, roster: list[PersonRow], loggable: list[Challenge], today: date) -> None:
    """Log the whole team for one day in a table, matched to people by id so a roster change cannot shift numbers."""
    by_id = {c.id: c for c in loggable}
    chosen = st.multiselect(
        "Challenges to fill in",
        list(by_id),
        default=[c.id for c in loggable if c.ends_on >= today],
        format_func=lambda i: by_id[i].name,
        key="log.grid.challenges",
    )
    if not chosen:
        st.caption("Choose at least one challenge to get a column for it.")
        return
    # Volunteering last, so its organisation and activity columns sit next to it.
    columns = sorted(grid.grid_columns([by_id[i] for i in chosen]), key=lambda c: c.volunteering)
    shown = f"{team.id}.{'-'.join(map(str, chosen))}"
    editor_key = f"{form_state.prefix(GRID)}.{shown}"
    # The table is drawn from the roster as first shown in this generation, so positions never shift under the lead.
    people = form_state.snapshot(GRID, f"roster.{shown}", lambda: [(p.id, p.name) for p in roster])
    carried: dict[int, dict[str, object]] = form_state.snapshot(GRID, TYPED, dict)
    volunteering = any(c.volunteering for c in columns)
    frame = roster_frame(people, columns, volunteering, carried)
    config = {
        c.label: st.column_config.NumberColumn(c.label, min_value=0.0, **GRID_STEPS.get(c.unit, {"step": 0.5}))
        for c in columns
    }
    config["Person"] = st.column_config.TextColumn("Person", disabled=True, pinned=True)
    config["Note"] = st.column_config.TextColumn("Note", max_chars=NOTE_MAX, width="medium")
    if volunteering:
        config["Organisation"] = st.column_config.TextColumn("Organisation", max_chars=100, width="medium")
        config["Activity"] = st.column_config.SelectboxColumn("Activity", options=list(ACTIVITY_TYPES), width="small")
    st.caption(
        "Type what each person did on the day; leave a cell blank to log nothing for them. "
        "Volunteering is in minutes. Press Enter after the last cell, then Save."
    )
    with st.form("log.grid.form"):
        day = st.date_input("Day", value=today, max_value=today, format="YYYY-MM-DD", key="log.grid.day")
        edited = st.data_editor(
            frame,
            key=editor_key,
            num_rows="fixed",
            hide_index=True,
            column_config=config,
            width="stretch",
            height=ROW_PX * (min(len(people), GRID_ROWS_SHOWN) + 1) + 3,
            placeholder="",
        )
        submitted = st.form_submit_button("Save the table", type="primary")
    if not submitted:
        return
    rows = [
        grid.GridRow(
            int(cast(int, person_id)),
            {c.challenge_id: as_number(rec[c.label]) for c in columns},
            as_text(rec["Note"]),
            as_text(rec.get("Organisation")) or None,
            as_text(rec.get("Activity")) or None,
        )
        for person_id, rec in edited.iterrows()
    ]
    ids = [pid for pid, _ in people]
    stored = attempt(
        lambda: form_state.on_conflict(
            GRID,
            lambda: write(grid.record_grid, actor, team.id, ids, day, columns, rows, ref=form_state.token(GRID)),
            then="The table now shows the current team, with what you typed kept.",
            carry={TYPED: typed_cells(edited)},
        )
    )
    if stored is not None:
        form_state.renew(GRID)
        saved = len(stored.ids) + len(stored.already_stored)
        names = dict(people)
        who = [names[r.person_id] for r in rows if any(not grid.is_blank(v) for v in r.cells.values())]
        form_state.tell(f"Saved {amounts.count(saved, 'entries')} for {day.isoformat()}: {md(', '.join(who))}.")
        st.rerun()


def roster_frame(
    people: list[tuple[int, str]],
    columns: list[grid.GridColumn],
    volunteering: bool,
    carried: dict[int, dict[str, object]],
) -> pd.DataFrame:
    """One row per person (indexed by person id), prefilled with what the lead typed before a roster change."""
    ids = [pid for pid, _ in people]
    data: dict[str, pd.Series] = {"Person": pd.Series([name for _, name in people], index=ids, dtype="string")}
    for c in columns:
        data[c.label] = pd.Series([carried.get(pid, {}).get(c.label) for pid in ids], index=ids, dtype="float64")
    texts = (["Organisation", "Activity"] if volunteering else []) + ["Note"]
    for name in texts:
        data[name] = pd.Series([carried.get(pid, {}).get(name) for pid in ids], index=ids, dtype="string")
    return pd.DataFrame(data, index=pd.Index(ids, name="person_id"))


def typed_cells(edited: pd.DataFrame) -> dict[int, dict[str, object]]:
    """What the lead typed, by person, to keep in the table redrawn with today's roster."""
    return {
        int(cast(int, pid)): {str(k): v for k, v in rec.items() if k != "Person" and not pd.isna(v)}
        for pid, rec in edited.iterrows()
    }


def as_number(value: Any) -> float | None:
    """A table cell as a number; a blank cell (None or NaN) logs nothing."""
    return None if value is None or pd.isna(value) else float(value)


def as_text(value: Any) -> str:
    """A table cell as text; a blank cell (None or NaN) is empty, never "nan"."""
    return "" if value is None or pd.isna(value) else str(value)
