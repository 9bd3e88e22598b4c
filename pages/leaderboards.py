"""Leaderboards: team and individual boards for one challenge or all, any period, by site and work mode.

This page reads the filters and lays out the tabs; each tab's drawing lives
in ``ui.leaderboard_tabs``.
"""

import streamlit as st

from engagement import challenges, organisation
from engagement.leaderboards import Scope
from engagement.vocabulary import Role, WorkMode
from ui import leaderboard_tabs
from ui.auth import require_role
from ui.resources import read
from ui.widgets import md, org_today, period_choice, reset_note

actor = require_role(*Role)

# Filter options use "" / 0 for "all": a None option makes Streamlit offer to clear the box.
WORK_MODES: dict[str, str] = {
    "": "Everyone",
    WorkMode.HOME: "Working from home",
    WorkMode.CENTRE: "Working at a centre",
}

st.title("Leaderboards")
today = org_today()
by_id = {c.id: c for c in read(challenges.list_challenges)}
sites = read(organisation.list_sites)

pick_challenge, pick_period, pick_site, pick_mode = st.columns(4)
chosen = by_id.get(
    pick_challenge.selectbox(
        "Challenge",
        [0, *by_id],
        format_func=lambda i: by_id[i].name if i else "All challenges",
        key=leaderboard_tabs.CHALLENGE_KEY,
        on_change=leaderboard_tabs.follow_challenge,
        args=(by_id, today),
    )
)
with pick_period:
    period = period_choice(
        leaderboard_tabs.PERIOD_KEY, today, challenge_window=(chosen.starts_on, chosen.ends_on) if chosen else None
    )
site = pick_site.selectbox("Site", ["", *sites], format_func=lambda s: s or "All sites", key="leaderboards.site")
mode = pick_mode.selectbox(
    "Work mode", list(WORK_MODES), format_func=WORK_MODES.__getitem__, key="leaderboards.work_mode"
)
site_id = read(organisation.site_id, site) if site else None
scope = Scope(chosen.id if chosen else None, period.start, period.end, site_id, WorkMode(mode) if mode else None)

counting = md(chosen.name) if chosen else "all challenges"
st.caption(f"{reset_note(period)} Counting {counting}; {md(site or 'all sites')}; {WORK_MODES[mode].lower()}.")

if chosen is not None:
    leaderboard_tabs.final_note(chosen, period, today)

teams_tab, people_tab = st.tabs(["Teams", "People"])
with teams_tab:
    leaderboard_tabs.teams_tab(actor, scope, period)
with people_tab:
    leaderboard_tabs.people_tab(actor, scope, period)
