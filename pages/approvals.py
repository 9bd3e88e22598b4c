"""Approvals: entries agents logged that wait for their lead, approved or rejected in bulk.

Leads see those credited to their own team (and the other leads' of their
site), admins everyone's or one team's. The viewer's own waiting entries are
listed apart, with no way to decide them: another lead of the site or an
admin does. The list is kept as it was when drawn, and ticks are matched to
entries by id, so an entry that arrives or is decided elsewhere meanwhile
never shifts a tick onto another row.
"""

from typing import cast
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from engagement import amounts, organisation, results
from engagement.access import Actor
from engagement.results import Entry
from engagement.text import NOTE_MAX
from engagement.vocabulary import Role
from ui import form_state
from ui.auth import require_role
from ui.resources import read, read_fresh, write
from ui.widgets import attempt, md, org_settings, table

actor = require_role(Role.LEAD, Role.ADMIN)

ALL_TEAMS = 0  # team ids start at 1
ROW_PX = 35
ROWS_SHOWN = 15
TABLE = "approvals.table"  # the list as drawn, its ticks, the reason and "every entry": one decision each


def choose_team(actor: Actor) -> int | None:
    """Leads decide for their own team; admins for every team or the one they pick."""
    if actor.role is Role.LEAD:
        return actor.team_id
    teams = {ALL_TEAMS: "All teams"} | {t.id: t.name for t in read(organisation.list_teams)}
    picked = st.selectbox("Team", list(teams), format_func=teams.__getitem__, key="approvals.team")
    return None if picked in (None, ALL_TEAMS) else picked


def pending_frame(entries: list[Entry], zone: ZoneInfo, with_team: bool) -> pd.DataFrame:
    """One row per entry, indexed by entry id; the tick column starts empty."""
    rows = [
        {
            "Decide": False,
            "Person": e.person,
            **({"Team": e.team or ""} if with_team else {}),
            "Challenge": e.challenge,
            "Amount": amounts.in_words(e.quantity, e.unit),
            "Day": e.occurred_on.isoformat(),
            "Note": e.note,
            "Logged": e.logged_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "Check": "; ".join(results.flags(e)),
        }
        for e in entries
    ]
    return pd.DataFrame(rows, index=pd.Index([e.id for e in entries], name="entry_id"))


def describe(entry: Entry) -> str:
    amount = amounts.in_words(entry.quantity, entry.unit)
    return f"{md(entry.person)}, {md(entry.challenge)} {amount} on {entry.occurred_on}"


def decide(chosen: list[Entry], approve: bool, reason: str) -> None:
    outcome = attempt(lambda: write(results.decide, actor, [e.id for e in chosen], approve, reason))
    if outcome is None:
        return
    by_id = {e.id: e for e in chosen}
    verb = "Approved" if approve else "Rejected"
    message = f"{verb} {amounts.count(len(outcome.decided), 'entries')}."
    if outcome.skipped:
        skipped = "; ".join(f"{describe(by_id[i])}: {why}" for i, why in outcome.skipped.items())
        message += f" Left alone: {skipped}."
    form_state.renew(TABLE)  # a new list, and a reason and choice that were for this decision only
    form_state.tell(message)
    st.rerun()


def own_waiting(actor: Actor) -> None:
    """The viewer's own entries that wait: shown, never decidable here."""
    own = read_fresh(results.own_pending_entries, actor)
    if not own:
        return
    with st.expander(f"Your own entries waiting ({len(own)}): another lead of your site or an admin decides them"):
        st.caption("Until they are decided you can correct or withdraw them on My standing.")
        table(
            [
                {
                    "Challenge": e.challenge,
                    "Amount": amounts.in_words(e.quantity, e.unit),
                    "Day": e.occurred_on.isoformat(),
                }
                for e in own
            ]
        )


st.title("Approvals")
form_state.show_notices()
own_waiting(actor)
team_id = choose_team(actor)
waiting = read_fresh(results.pending_count, actor, team_id)
if not waiting:
    who = "your team and the other leads of your site log" if actor.role is Role.LEAD else "agents log"
    st.info(f"Nothing waiting for you. Entries {who} above a challenge's auto-approve limit appear here.")
    st.stop()
st.markdown(f"**{amounts.count(waiting, 'entries')} waiting** for a decision, oldest first.")

drawn = form_state.prefix(TABLE)
# Keep the list as first drawn in this generation, so the ticks stay on the entries they were put on.
entries: list[Entry] = form_state.snapshot(
    TABLE, f"entries.{team_id}", lambda: read_fresh(results.pending_entries, actor, team_id)
)
if st.button("Refresh the list", icon=":material/refresh:", key="approvals.refresh"):
    form_state.renew(TABLE)
    st.rerun()

st.caption(
    "Tick the entries to decide on, or choose “every entry listed”. “Check” names what to look at first: "
    "a possible duplicate (the same person logged the same amount for the same challenge and day before), "
    "or a day above the challenge's daily cap (only the cap earns points)."
)
if len(entries) != waiting:
    st.info(f"{waiting} entries wait now, {len(entries)} are listed: refresh the list to see the latest.")
frame = pending_frame(entries, org_settings().zone, with_team=team_id is None)
with st.form("approvals.form"):
    edited = st.data_editor(
        frame,
        key=f"{drawn}.{team_id}",
        num_rows="fixed",
        hide_index=True,
        disabled=[c for c in frame.columns if c != "Decide"],
        column_config={
            "Decide": st.column_config.CheckboxColumn("Decide", help="Tick to include this entry", pinned=True),
            "Check": st.column_config.TextColumn(
                "Check", help="A possible repeat of an earlier entry, or a day above the daily cap", width="large"
            ),
        },
        width="stretch",
        height=ROW_PX * (min(len(entries), ROWS_SHOWN) + 1) + 3,
    )
    every = st.checkbox(f"Decide on every entry listed ({len(entries)})", key=f"{drawn}.every")
    reason = st.text_input(
        "Reason (required to reject; the person sees it on My standing)", max_chars=NOTE_MAX, key=f"{drawn}.reason"
    )
    with st.container(horizontal=True):
        approve = st.form_submit_button("Approve", type="primary", icon=":material/check:")
        reject = st.form_submit_button("Reject", icon=":material/close:")

if approve or reject:
    ticked = set(edited.index) if every else {int(cast(int, i)) for i, row in edited.iterrows() if row["Decide"]}
    chosen = [e for e in entries if e.id in ticked]
    if not chosen:
        st.error("Nothing was decided: tick at least one entry, or choose every entry listed.")
    else:
        decide(chosen, approve, reason)
