"""Log results: one entry, the whole team in a table, a CSV file, and fixing an entry.

Leads log for their own team, admins for the team they choose; what they log is
approved at once. Each tab's drawing lives in ``ui.log_entry_tabs`` (one entry,
the whole-team table) and ``ui.log_upload_fix_tabs`` (the CSV upload, fixing
or voiding an entry); this page picks the team and lays out the tabs.
"""

import streamlit as st

from engagement import challenges, organisation
from engagement.access import Actor
from engagement.organisation import TeamRow
from engagement.vocabulary import Role
from ui import form_state, log_entry_tabs, log_upload_fix_tabs
from ui.auth import require_role
from ui.resources import read, read_fresh
from ui.widgets import day_for, md, org_today

actor = require_role(Role.LEAD, Role.ADMIN)

TABS = ["One entry", "Whole team", "Upload a file", "Fix or void an entry"]


def choose_team(actor: Actor) -> TeamRow | None:
    """A lead's own team; an admin picks one, since admins log for any team."""
    teams = read(organisation.list_teams)
    if actor.role is Role.LEAD:
        return next((t for t in teams if t.id == actor.team_id), None)
    by_id = {t.id: t for t in teams}
    picked = st.selectbox("Team", list(by_id), format_func=lambda i: by_id[i].name, key="log.team")
    return by_id.get(picked) if picked is not None else None


st.title("Log results")
form_state.show_notices()
today = org_today()
team = choose_team(actor)
if team is None:
    st.info("You are not leading a team yet. An admin can put you in one on the Admin page.")
    st.stop()
roster = read_fresh(organisation.list_people, actor, team_id=team.id)
# The entry form and the table offer the team's day: today for every member in their own zone, as the engine checks.
day = day_for([p.id for p in roster])
loggable = [c for c in read(challenges.list_challenges) if challenges.takes_entries_on(c, day)]
st.caption(f"Logging for **{md(team.name)}** ({len(roster)} active members). What you log here is approved at once.")

# A keyed tab remembers where the lead was, so saving in the table does not jump back to the first tab.
# Every tab is drawn on every run: what the lead typed in one survives a look at another.
one, whole, file, fix = st.tabs(TABS, key="log.tab", on_change="rerun")
with one:
    if roster and loggable:
        log_entry_tabs.one_entry(actor, roster, loggable, day)
    else:
        st.info("There is nothing to log: no challenge is running." if roster else "This team has no active members.")
with whole:
    if roster and loggable:
        log_entry_tabs.team_table(actor, team, roster, loggable, day)
    else:
        st.info("There is nothing to log: no challenge is running." if roster else "This team has no active members.")
with file:
    log_upload_fix_tabs.upload(actor, team, today)
with fix:
    log_upload_fix_tabs.fix_entry(actor, team, today)
