"""Morale: the weekly pulse by team, site or company, in groups big enough to stay anonymous.

Every figure comes from ``engagement.morale``, which reads what each closed
week published (``engagement.publication`` closes ended weeks on the first
visit after they end); this page only draws what it is given (through
``ui.morale_tabs``) and never derives a number from a hidden cell. An
organisation with more teams than fit on one view opens on its sites and lists
teams (the team view, the heat map, the challenges tab) one site at a time, and
only the open tab runs, so a visit reads and draws a bounded amount whatever the
organisation's size.
"""

from datetime import date, timedelta

import streamlit as st

from engagement import morale, organisation, periods
from engagement.morale import GroupBy
from engagement.vocabulary import Role
from ui import morale_tabs
from ui.auth import require_role
from ui.resources import read
from ui.widgets import md, org_settings, org_today

actor = require_role(Role.MANAGER, Role.ADMIN)

WEEK_CHOICES = (4, 8, 13, 26)
GROUPINGS = {"Team": GroupBy.TEAM, "Site": GroupBy.SITE, "Whole company": GroupBy.COMPANY}
ALL_SITES = "All sites"
# Switching tabs reruns the page and only the open tab runs.
TABS = ["Trend", "Team × week", "Response rate", "Challenges and morale"]
# More teams than fit on one view: the page opens on sites and lists one site's teams at a time.
TEAMS_PER_VIEW = 60

morale_tabs.close_ended_weeks()
st.title("Morale")
settings = org_settings()
k = settings.anonymity_threshold
st.caption(f"From the weekly pulse. Groups with fewer than {k} answers are never shown.")

morale_tabs.show_alerts(actor)

team_view = read(morale.team_view, actor)
one_site = team_view.teams > TEAMS_PER_VIEW
by_label, site_label, weeks_col = st.columns(3)
by = GROUPINGS[by_label.radio("Show by", list(GROUPINGS), index=1 if one_site else 0, horizontal=True, key="morale.by")]
sites = read(organisation.list_sites)
if one_site:
    site = site_label.selectbox(
        "Teams of site",
        sites,
        index=sites.index(team_view.first_site) if team_view.first_site in sites else 0,
        key="morale.team_site",
        help=f"{team_view.teams:,} teams are too many to list at once, so the team view, the team × week heat map "
        "and the challenges tab show one site's teams. The site and company views cover every site.",
    )
    teams_site = read(organisation.site_id, site) if site else None
    site_id = teams_site if by is GroupBy.TEAM else None
else:
    site = site_label.selectbox(
        "Site",
        [ALL_SITES, *sites],
        key="morale.site",
        disabled=by is GroupBy.COMPANY,
        help="Narrows what is listed; it never shows a group that is hidden in the full view.",
    )
    site_id = None if site == ALL_SITES or by is GroupBy.COMPANY else read(organisation.site_id, site)
    teams_site = site_id
weeks = weeks_col.selectbox("Closed weeks", WEEK_CHOICES, index=1, key="morale.weeks", format_func="Last {}".format)
this_monday = periods.week_start(org_today())
start: date = this_monday - timedelta(weeks=weeks)
end: date = this_monday - timedelta(days=1)
st.caption(
    f"Weeks from {start.isoformat()} to {end.isoformat()} ({settings.timezone}). The current week, from "
    f"{this_monday.isoformat()}, appears once it has closed."
)
morale_tabs.privacy_note(k)

teams_of = f"Teams of {md(site)}: choose another site above." if one_site and site else None
trend, heat, rate, challenges_tab = st.tabs(TABS, key="morale.tab", on_change="rerun")

with trend:
    if trend.open:
        morale_tabs.show_trend(read(morale.weekly_morale, actor, by, start, end, site_id=site_id), k)

with heat:
    if heat.open:
        team_cells = read(morale.weekly_morale, actor, GroupBy.TEAM, start, end, site_id=teams_site)
        morale_tabs.show_heat_map(team_cells, k, teams_of)

with rate:
    if rate.open:
        morale_tabs.show_response_rate(read(morale.weekly_morale, actor, by, start, end, site_id=site_id), k)

with challenges_tab:
    if challenges_tab.open:
        site_only = teams_site if one_site else None
        comparison = read(morale.participation_vs_morale, actor, start, end, site_id=site_only)
        morale_tabs.show_comparison(comparison, teams_of)
