"""Challenges: every challenge at a glance, and one in full: rules, window, team target, impact so far.

The overview is two reads (the challenges, the viewer's team's totals); the
details are read for the one challenge shown, and a team target shows the
viewer's team and the leading teams only. So the page's work stays the same
however many challenges and teams the organisation has. The drawing lives in
``ui.challenge_sections``; this page picks the challenge and lays it out.
"""

import streamlit as st

from engagement import challenges
from engagement.challenges import Phase
from engagement.vocabulary import Role
from ui import challenge_sections
from ui.auth import require_role
from ui.resources import read
from ui.widgets import org_today

actor = require_role(*Role)

st.title("Challenges")
today = org_today()
every = read(challenges.list_challenges)
if not every:
    where = (
        "Create the first one on the Admin page."
        if actor.role is Role.ADMIN
        else ("When an admin starts one, its rules, team targets and progress appear here.")
    )
    st.info(f"There are no challenges yet. {where}")
    st.stop()

ordered = challenges.by_phase(every, today)
if ordered[0][1] is not Phase.RUNNING:
    st.info("No challenge is running right now. Upcoming and past challenges are listed below.")
challenge_sections.overview(actor, ordered)
by_id = {c.id: (c, phase) for c, phase in ordered}
# Bound to the address bar (?challenges.shown=<name>), so a link can open a given challenge.
shown = st.selectbox(
    "Show a challenge in full",
    list(by_id),
    format_func=lambda challenge_id: by_id[challenge_id][0].name,
    key="challenges.shown",
    bind="query-params",
)
with st.container(border=True):
    challenge_sections.in_full(actor, *by_id[shown], today)
