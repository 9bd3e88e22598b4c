"""The Log results page's file and fixing tabs: a CSV upload, and correcting or voiding an entry (Streamlit only).

An upload is checked by a dry run first and imports all of its rows or none.
A fix carries the version of the entry as it was opened, so a save after
someone else's change is refused and the form shows their version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta

import streamlit as st

from engagement import amounts, import_guide, imports, results
from engagement.access import Actor
from engagement.csvio import read_table
from engagement.errors import Problem, ValidationError
from engagement.imports import ImportKind
from engagement.organisation import TeamRow
from engagement.text import NOTE_MAX
from engagement.vocabulary import Status
from ui import form_state
from ui.log_forms import amount_input
from ui.resources import get_engine, read, read_fresh, write
from ui.widgets import attempt, csv_download, day_for, md, table

CSV = "log.csv"  # the uploaded file and its dry run
FIX = "log.fix.opened"  # the entry as it was when opened
RECENT_DAYS = 35
MAX_UPLOAD_MB = 5
PREVIEW_ROWS = 200


def upload(actor: Actor, team: TeamRow, today: date) -> None:
    """Import a CSV file of entries, after a dry run shows every problem; nothing is saved until all rows are valid."""
    required, optional = imports.COLUMNS[ImportKind.RESULTS]
    st.caption(
        f"Columns: {', '.join(required)} (required); {', '.join(optional)} (optional). "
        "Dates as YYYY-MM-DD; challenge by its short name (slug). Nothing is saved until every row is valid. "
        "Past results of people who have left are stored up to their last day (their history)."
    )
    names_to_use(actor, team)
    csv_download(
        "Download a CSV template",
        read(imports.team_template, actor, team.id),
        "results-template.csv",
        key="log.csv.template",
    )
    st.caption(
        f"The template's sample rows are {md(team.name)}'s members on running challenges, 1 unit each on their "
        "own today: they import as they are. Replace them with your results."
    )
    upload_key = f"{form_state.prefix(CSV)}.file"
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
    problems, check = checked(actor, data)
    if problems:
        bad = len({p.row for p in problems})
        st.error(
            f"Rows with problems: {bad}. Fix them in the file and upload it again; "
            "nothing is saved until every row is valid."
        )
        table([{"Row": p.row or "", "Column": p.field, "Problem": p.message} for p in problems])
    elif check is not None and (notes := what_the_check_found(check)):
        st.info(notes)
    rows = preview(data, problems)
    fresh = rows if check is None else check.created
    label = f"Import {fresh} rows" if fresh == rows else f"Import {fresh} new rows"
    if st.button(label, disabled=bool(problems) or not fresh, type="primary", key="log.csv.import"):
        with st.status(f"Importing {fresh} rows…", expanded=True) as status:
            report = attempt(lambda: imports.run_import(get_engine(), actor, ImportKind.RESULTS, data))
            if report is None:
                status.update(label="Nothing was imported", state="error")
                return
            status.update(label="Imported", state="complete")
        st.cache_data.clear()
        form_state.renew(CSV)  # a new upload, and the same file checked again finds its rows stored
        form_state.tell(
            f"Imported {report.created} entries"
            + (f"; {report.unchanged} were already stored" if report.unchanged else "")
            + (f"; {report.former} of them for people who have left (history)" if report.former else "")
            + "."
        )
        st.rerun()


def names_to_use(actor: Actor, team: TeamRow) -> None:
    """The challenges' short names and the team's emails, which the file must use (leads see only their team)."""
    with st.expander(f"Names to use: challenges' short names and {md(team.name)}'s emails"):
        names = read(import_guide.reference, actor, team.id)
        st.caption("The challenge column takes the short name.")
        table(
            [
                {"Short name": c.slug, "Challenge": c.name, "Unit": c.unit, "From": c.starts_on, "To": c.ends_on}
                for c in names.challenges
            ]
        )
        st.caption(f"The email column takes one of {md(team.name)}'s people.")
        table(
            [
                {"Email": p.email, "Name": p.name, "Status": "Active" if p.active else _left(p.left_on)}
                for p in names.people
            ]
        )


def _left(day: date | None) -> str:
    return f"Left (last day {day.isoformat()})" if day else "Left"


def what_the_check_found(report: imports.ImportReport) -> str:
    """The check's news beyond "valid": rows already stored (which), rows of people who have left."""
    notes = []
    if report.unchanged:
        shown = ", ".join(str(n) for n in report.already_stored_rows[:20])
        more = f" and {report.unchanged - 20} more" if report.unchanged > 20 else ""
        notes.append(
            f"{report.unchanged} rows are already stored (rows {shown}{more}); "
            "importing again does not store them twice."
        )
    if report.former:
        notes.append(
            f"{report.former} rows belong to people who have left: stored as their history "
            "(counted in impact, not on boards)."
        )
    return " ".join(notes)


def checked(actor: Actor, data: bytes) -> tuple[list[Problem], imports.ImportReport | None]:
    """Every problem with the file and what the dry run found (remembered per file, so reruns do not repeat it)."""

    def dry_run() -> tuple[list[Problem], imports.ImportReport | None]:
        try:
            return [], imports.run_import(get_engine(), actor, ImportKind.RESULTS, data, dry_run=True)
        except ValidationError as e:
            return e.problems, None

    return form_state.snapshot(CSV, f"checked.{hashlib.sha256(data).hexdigest()}", dry_run)


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


def fix_entry(actor: Actor, team: TeamRow, today: date) -> None:
    """Correct or void one of the team's recent entries; the version opened guards against overwriting a newer one."""
    # Up to tomorrow: a member in a zone ahead of the organisation's may already have logged their today.
    start, end = today - timedelta(days=RECENT_DAYS), today + timedelta(days=1)
    recent = read_fresh(results.team_entries, actor, team.id, start, end, limit=300)
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
                "Amount": amounts.in_words(e.quantity, e.unit),
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
            f"{by_id[i].challenge} · {amounts.in_words(by_id[i].quantity, by_id[i].unit)}"
        ),
    )
    if picked is None:
        return
    # Keep the entry as it was when opened: saving then tells if someone else changed it meanwhile.
    opened = form_state.snapshot(FIX, str(picked), lambda: by_id[picked])
    if opened.status is Status.VOIDED:
        st.info(f"This entry was voided ({md(opened.decision_reason or 'no reason given')}); it no longer counts.")
        return
    tag = f"{opened.id}.{opened.version}"
    edit, void = st.columns(2)
    with edit.form(f"log.fix.edit.{tag}"):
        quantity = amount_input(opened.unit, f"log.fix.quantity.{tag}", opened.quantity)
        latest = max(opened.occurred_on, day_for([opened.person_id]))  # the person's own today, as the engine checks
        day = st.date_input(
            "Day", value=opened.occurred_on, max_value=latest, format="YYYY-MM-DD", key=f"log.fix.day.{tag}"
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


def changed(action: Callable[[], object], done: str) -> None:
    """Run an edit or void; on a conflict reopen the latest version with a notice instead of saving over it."""
    form_state.save_opened(FIX, action, done, reason="someone else changed this entry since you opened it")
