"""My standing: my points and rank, my team's place, my entries, quick logging, this week's pulse.

This week's ranks are shown at once; the month's and a challenge's when asked
for, so the page's reads stay small however large the organisation. Each
section's drawing lives in ``ui.standing_sections``; this page lays them out.
"""

import streamlit as st

from engagement import challenges, periods
from engagement.vocabulary import Role
from ui import form_state, own_entries, standing_sections
from ui.auth import require_role
from ui.resources import read
from ui.widgets import day_for, org_today

actor = require_role(*Role)

st.title("My standing")
form_state.show_notices()
today = org_today()
open_challenges = read(challenges.list_challenges, open_on=today)

standing_sections.this_week(actor, periods.this_week(today))
standing_sections.this_month(actor, periods.this_month(today))

if open_challenges:
    st.subheader("Challenges running now")
    standing_sections.running_challenges(actor, open_challenges)
else:
    st.info("No challenges are running right now. Your admin can start one on the Admin page.")

if actor.role is not Role.MANAGER:  # managers read; they do not log
    # The form offers the person's own today (their zone), the day the engine checks: one clock for a person;
    # it takes challenges in their late-entry window too, after the running ones.
    my_day = day_for([actor.person_id or 0])
    loggable = sorted(
        (c for c in read(challenges.list_challenges) if challenges.takes_entries_on(c, my_day)),
        key=lambda c: c.ends_on < my_day,
    )
    standing_sections.quick_log(actor, loggable, my_day)
    own_entries.waiting_entries(actor, my_day)
standing_sections.recent_entries(actor)
standing_sections.weekly_pulse(actor)
standing_sections.pulse_history(actor)
