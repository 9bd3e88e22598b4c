"""Log results: one entry, the whole team in a table, a CSV file, and fixing an entry.

Leads log for their own team, admins for the team they choose; what they log is
approved at once. The table is matched to people by person id and is drawn from
the roster as it was when the lead opened it, so a roster that changes while
they type is caught instead of shifting numbers onto the wrong person.
"""

import hashlib
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import pandas as pd
import streamlit as st

from db.models import Challenge, Kind, Role, Status
from engagement import challenges, grid, imports, organisation, results
from engagement.access import Actor
from engagement.challenges import ACTIVITY_TYPES
from engagement.csvio import read_table
from engagement.errors import Conflict, Problem, ValidationError
from engagement.imports import ImportKind
from engagement.organisation import PersonRow, TeamRow
from engagement.text import NOTE_MAX
from ui.auth import require_role
from ui.resources import get_engine, read, read_fresh, write
from ui.widgets import attempt, csv_download, flash, md, org_today, show_flash, table

actor = require_role(Role.LEAD, Role.ADMIN)

LATE_DAYS = 14  # a challenge that ended this recently still takes late entries
RECENT_DAYS = 35
MAX_UPLOAD_MB = 5
PREVIEW_ROWS = 200
TABS = ["One entry", "Whole team", "Upload a file", "Fix or void an entry"]
GRID_ROWS_SHOWN = 20  # taller teams scroll inside the table
ROW_PX = 35
T = TypeVar("T")


def choose_team(actor: Actor) -> TeamRow | None:
    teams = read(organisation.list_teams)
    if actor.role is Role.LEAD:
        return next((t for t in teams if t.id == actor.team_id), None)
    by_id = {t.id: t for t in teams}
    picked = st.selectbox("Team", list(by_id), format_func=lambda i: by_id[i].name, key="log.team")
    return by_id.get(picked) if picked is not None else None


def token(name: str) -> str:
    """A per-form reference, so pressing Save twice stores each entry once."""
    return st.session_state.setdefault(f"log.{name}.token", uuid.uuid4().hex)  # type: ignore[no-any-return]


def renew(name: str) -> None:
    st.session_state[f"log.{name}.token"] = uuid.uuid4().hex
    st.session_state[f"log.{name}.round"] = st.session_state.get(f"log.{name}.round", 0) + 1


def amount(quantity: float, unit: str) -> str:
    return f"{quantity:g} {unit}"


def one_entry(roster: list[PersonRow], loggable: list[Challenge], today: date) -> None:
    people = {p.id: p for p in roster}
    by_id = {c.id: c for c in loggable}
    challenge = by_id[st.selectbox("Challenge", list(by_id), format_func=lambda i: by_id[i].name, key="log.one.ch")]
    volunteering = challenge.kind is Kind.VOLUNTEERING
    if st.session_state.pop("log.one.empty", False):
        # Emptied by setting values before the widgets are drawn: that also empties them in the browser.
        typed = {f"log.one.quantity.{challenge.id}": None, "log.one.minutes": None}
        st.session_state.update(typed | {"log.one.organisation": "", "log.one.note": ""})
    # Not cleared on submit: after a mistake the lead corrects what they typed instead of typing it all again.
    with st.form("log.one.form"):
        person_id = st.selectbox("Person", list(people), format_func=lambda i: people[i].name, key="log.one.person")
        if volunteering:
            typed = st.number_input(
                "Minutes volunteered", min_value=0, max_value=1440, value=None, step=5, key="log.one.minutes"
            )
            organisation_name = st.text_input(
                "Organisation (for example Be My Eyes)", max_chars=100, key="log.one.organisation"
            )
            activity = st.selectbox("Activity", ACTIVITY_TYPES, key="log.one.activity")
        else:
            typed = st.number_input(
                f"How much ({challenge.unit})",
                min_value=0.0,
                value=None,
                step=0.5,
                key=f"log.one.quantity.{challenge.id}",
            )
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
        note = st.text_input("Note (optional)", max_chars=NOTE_MAX, key="log.one.note")
        submitted = st.form_submit_button("Save entry", type="primary")
    if not submitted:
        return
    if typed is None:
        st.error(
            "Nothing was saved: type how much " + ("time (in minutes)." if volunteering else f"({challenge.unit}).")
        )
        return
    quantity = typed / 60 if volunteering else float(typed)
    entry = results.ResultInput(
        person_id, challenge.id, quantity, day, note, organisation_name or None, activity, ref=token("one")
    )
    stored = attempt(lambda: write(results.record_results, actor, [entry], source="dashboard"))
    if stored is not None:
        renew("one")
        st.session_state["log.one.empty"] = True
        again = " (it was already saved by your first click)" if stored.already_stored else ""
        flash(
            f"Saved {amount(quantity, challenge.unit)} of {md(challenge.name)} for "
            f"{md(people[person_id].name)} on {day.isoformat()}{again}."
        )
        st.rerun()


def team_table(team: TeamRow, roster: list[PersonRow], loggable: list[Challenge], today: date) -> None:
    by_id = {c.id: c for c in loggable}
    notice = st.session_state.pop("log.grid.notice", None)
    if notice:
        st.warning(notice)
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
    editor_key = f"log.grid.{team.id}.{'-'.join(map(str, chosen))}.{st.session_state.get('log.grid.round', 0)}"
    # The table is drawn from the roster as first shown under this key, so positions never shift under the lead.
    drawn = st.session_state.get("log.grid.drawn")
    if editor_key not in st.session_state or drawn is None or drawn[0] != editor_key:
        drawn = st.session_state["log.grid.drawn"] = (editor_key, [(p.id, p.name) for p in roster])
    people: list[tuple[int, str]] = drawn[1]
    carried = st.session_state.get("log.grid.carried", {})
    volunteering = any(c.volunteering for c in columns)
    frame = roster_frame(people, columns, volunteering, carried)
    config = {
        c.label: st.column_config.NumberColumn(
            c.label, min_value=0.0, step=0.5 if c.unit != "minutes" else 5, format="%g"
        )
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
            int(person_id),
            {c.challenge_id: as_number(rec[c.label]) for c in columns},
            as_text(rec["Note"]),
            as_text(rec.get("Organisation")) or None,
            as_text(rec.get("Activity")) or None,
        )
        for person_id, rec in edited.iterrows()
    ]
    stored = attempt(
        lambda: or_conflict(
            lambda: write(
                grid.record_grid, actor, team.id, [pid for pid, _ in people], day, columns, rows, ref=token("grid")
            )
        )
    )
    if isinstance(stored, Conflict):
        roster_changed(edited)
    elif stored is not None:
        renew("grid")
        st.session_state.pop("log.grid.carried", None)
        saved = len(stored.ids) + len(stored.already_stored)
        names = dict(people)
        who = [names[r.person_id] for r in rows if any(not grid.is_blank(v) for v in r.cells.values())]
        flash(f"Saved {saved} entr{'y' if saved == 1 else 'ies'} for {day.isoformat()}: {md(', '.join(who))}.")
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


def roster_changed(edited: pd.DataFrame) -> None:
    """Redraw the table with today's roster, keeping what was typed for people still in it."""
    st.session_state["log.grid.carried"] = {
        int(pid): {k: v for k, v in rec.items() if k != "Person" and not pd.isna(v)} for pid, rec in edited.iterrows()
    }
    st.session_state["log.grid.round"] = st.session_state.get("log.grid.round", 0) + 1
    st.session_state["log.grid.notice"] = (
        "Nothing was saved: the roster changed; re-check your entries. "
        "The table now shows the current team, with what you typed kept."
    )
    st.rerun()


def as_number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def as_text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)  # type: ignore[arg-type]


def upload(today: date) -> None:
    required, optional = imports.COLUMNS[ImportKind.RESULTS]
    st.caption(
        f"Columns: {', '.join(required)} (required); {', '.join(optional)} (optional). "
        "Dates as YYYY-MM-DD; challenge by its short name (slug). Nothing is saved until every row is valid."
    )
    csv_download(
        "Download a CSV template", imports.template(ImportKind.RESULTS), "results-template.csv", key="log.csv.template"
    )
    upload_key = f"log.csv.file.{st.session_state.get('log.csv.round', 0)}"
    file = st.file_uploader("CSV file", type="csv", key=upload_key, max_upload_size=MAX_UPLOAD_MB)
    if file is None:
        return
    data = file.getvalue()
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        # The browser enforces the limit; a client that skips it is refused here, before any parsing.
        st.error(
            f"Nothing was imported: the file is {len(data) / 1024 / 1024:.1f} MB and the limit here is "
            f"{MAX_UPLOAD_MB} MB. Split it into smaller files, or ask an admin to import it with the command line."
        )
        return
    problems = checked(data)
    if problems:
        bad = len({p.row for p in problems})
        st.error(
            f"Rows with problems: {bad}. Fix them in the file and upload it again; "
            "nothing is saved until every row is valid."
        )
        table([{"Row": p.row or "", "Column": p.field, "Problem": p.message} for p in problems])
    rows = preview(data, problems)
    if st.button(f"Import {rows} rows", disabled=bool(problems), type="primary", key="log.csv.import"):
        with st.status(f"Importing {rows} rows…", expanded=True) as status:
            report = attempt(lambda: imports.run_import(get_engine(), actor, ImportKind.RESULTS, data))
            if report is None:
                status.update(label="Nothing was imported", state="error")
                return
            status.update(label="Imported", state="complete")
        st.cache_data.clear()
        renew("csv")
        flash(
            f"Imported {report.created} entries"
            + (f"; {report.unchanged} were already stored" if report.unchanged else "")
            + "."
        )
        st.rerun()


def checked(data: bytes) -> list[Problem]:
    """Every problem with the file, from a dry run (remembered per file, so reruns do not repeat it)."""
    digest = hashlib.sha256(data).hexdigest()
    cached = st.session_state.get("log.csv.checked")
    if cached and cached[0] == digest:
        return cached[1]  # type: ignore[no-any-return]
    try:
        imports.run_import(get_engine(), actor, ImportKind.RESULTS, data, dry_run=True)
        problems: list[Problem] = []
    except ValidationError as e:
        problems = e.problems
    st.session_state["log.csv.checked"] = (digest, problems)
    return problems


def preview(data: bytes, problems: list[Problem]) -> int:
    """Show the file's rows with their problems beside them; return how many rows it has."""
    required, optional = imports.COLUMNS[ImportKind.RESULTS]
    try:
        parsed = read_table(data, required, optional)
    except ValidationError:
        return 0  # the file itself cannot be read; the problems say why
    by_row: dict[int, list[str]] = {}
    for p in problems:
        by_row.setdefault(p.row or 0, []).append(f"{p.field}: {p.message}")
    st.caption(f"Preview ({min(len(parsed.rows), PREVIEW_ROWS)} of {len(parsed.rows)} rows)")
    table([{"Row": n, **row, "Problems": "; ".join(by_row.get(n, []))} for n, row in parsed.rows[:PREVIEW_ROWS]])
    return len(parsed.rows)


def fix_entry(team: TeamRow, today: date) -> None:
    recent = read_fresh(results.team_entries, actor, team.id, today - timedelta(days=RECENT_DAYS), today, limit=300)
    if not recent:
        st.caption(f"No entries for {md(team.name)} in the last {RECENT_DAYS} days.")
        return
    st.caption(
        f"Entries of the last {RECENT_DAYS} days, newest first. Choose one to correct its amount, day or note, "
        "or to void it; every change is kept in the audit log."
    )
    table(
        [
            {
                "Entry": e.id,
                "Day": e.occurred_on.isoformat(),
                "Person": e.person,
                "Challenge": e.challenge,
                "Amount": amount(e.quantity, e.unit),
                "Status": e.status.value.capitalize(),
                "Note": e.note,
            }
            for e in recent
        ]
    )
    by_id = {e.id: e for e in recent}
    picked = st.selectbox(
        "Entry to fix",
        list(by_id),
        index=None,
        placeholder="Choose an entry",
        key="log.fix.entry",
        format_func=lambda i: (
            f"#{i} · {by_id[i].occurred_on} · {by_id[i].person} · "
            f"{by_id[i].challenge} · {amount(by_id[i].quantity, by_id[i].unit)}"
        ),
    )
    if picked is None:
        return
    # Keep the entry as it was when opened: saving then tells if someone else changed it meanwhile.
    opened = st.session_state.get("log.fix.opened")
    if opened is None or opened.id != picked:
        opened = st.session_state["log.fix.opened"] = by_id[picked]
    notice = st.session_state.pop("log.fix.notice", None)
    if notice:
        st.warning(notice)
    if opened.status is Status.VOIDED:
        st.info(f"This entry was voided ({md(opened.decision_reason or 'no reason given')}); it no longer counts.")
        return
    tag = f"{opened.id}.{opened.version}"
    edit, void = st.columns(2)
    with edit.form(f"log.fix.edit.{tag}"):
        quantity = st.number_input(
            f"Amount ({opened.unit})", min_value=0.0, value=opened.quantity, step=0.5, key=f"log.fix.quantity.{tag}"
        )
        day = st.date_input(
            "Day", value=opened.occurred_on, max_value=today, format="YYYY-MM-DD", key=f"log.fix.day.{tag}"
        )
        note = st.text_input("Note", value=opened.note, max_chars=NOTE_MAX, key=f"log.fix.note.{tag}")
        why = st.text_input("Why the change (kept in the audit log)", max_chars=NOTE_MAX, key=f"log.fix.why.{tag}")
        save = st.form_submit_button("Save changes", type="primary")
    with void.form(f"log.fix.void.{tag}"):
        st.markdown("**Void this entry**: it stops counting but stays in the audit log.")
        reason = st.text_input("Reason (required)", max_chars=NOTE_MAX, key=f"log.fix.reason.{tag}")
        withdraw = st.form_submit_button("Void entry")
    if save:
        with edit:  # any problem shows under the form it is about
            changed(
                lambda: write(
                    results.edit_result,
                    actor,
                    opened.id,
                    opened.version,
                    quantity=quantity,
                    occurred_on=day,
                    note=note,
                    reason=why,
                ),
                "Entry updated.",
            )
    if withdraw:
        with void:
            changed(lambda: write(results.void_result, actor, opened.id, opened.version, reason), "Entry voided.")


def or_conflict(action: Callable[[], T]) -> T | Conflict:
    """Run a write, handing back a Conflict (someone else saved first) instead of raising it."""
    try:
        return action()
    except Conflict as e:
        return e


def changed(action: Callable[[], object], done: str) -> None:
    outcome = attempt(lambda: or_conflict(action))
    if outcome is None:
        return
    st.session_state.pop("log.fix.opened", None)
    if isinstance(outcome, Conflict):
        st.session_state["log.fix.notice"] = (
            "Nothing was saved: someone else changed this entry since you opened it. "
            "The form now shows the latest version; check it and try again."
        )
    else:
        flash(done)
    st.rerun()


st.title("Log results")
show_flash()
today = org_today()
team = choose_team(actor)
if team is None:
    st.info("You are not leading a team yet. An admin can put you in one on the Admin page.")
    st.stop()
roster = read_fresh(organisation.list_people, actor, team_id=team.id)
loggable = [
    c for c in read(challenges.list_challenges) if c.starts_on <= today and c.ends_on >= today - timedelta(LATE_DAYS)
]
st.caption(f"Logging for **{md(team.name)}** ({len(roster)} active members). What you log here is approved at once.")

# A keyed tab remembers where the lead was, so saving in the table does not jump back to the first tab.
# Every tab is drawn on every run: what the lead typed in one survives a look at another.
one, whole, file, fix = st.tabs(TABS, key="log.tab", on_change="rerun")
with one:
    if roster and loggable:
        one_entry(roster, loggable, today)
    else:
        st.info("There is nothing to log: no challenge is running." if roster else "This team has no active members.")
with whole:
    if roster and loggable:
        team_table(team, roster, loggable, today)
    else:
        st.info("There is nothing to log: no challenge is running." if roster else "This team has no active members.")
with file:
    upload(today)
with fix:
    fix_entry(team, today)
