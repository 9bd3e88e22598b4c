"""Morale: the weekly pulse by team, site or company, in groups big enough to stay anonymous.

Every figure comes from ``engagement.morale``, which decides org-wide which
groups may be shown; this page only draws what it is given and never derives a
number from a hidden cell.
"""

from datetime import date, timedelta

import streamlit as st

from db.models import Role
from engagement import charts, morale, organisation, periods
from engagement.morale import Cell, GroupBy
from ui.auth import require_role
from ui.resources import read
from ui.widgets import md, org_settings, org_today

actor = require_role(Role.MANAGER, Role.ADMIN)

WEEK_CHOICES = (4, 8, 13, 26)
GROUPINGS = {"Team": GroupBy.TEAM, "Site": GroupBy.SITE, "Whole company": GroupBy.COMPANY}
HIDDEN = {morale.TOO_FEW: "Not enough responses", morale.BY_SUBTRACTION: "Withheld to protect others"}
ALL_SITES = "All sites"
EMPTY = "Nothing to show yet: results appear once teams have answered the pulse and the week has closed."
NUMBER = st.column_config.NumberColumn
TEXT = st.column_config.TextColumn
FIGURE_COLUMNS = {
    "Mean score (1-5)": NUMBER(format="%.2f"),
    "eNPS (-100 to 100)": NUMBER(format="%.1f"),
    "Response rate (%)": NUMBER(format="%d%%"),
    "Group": TEXT(width="small"),
    "Status": TEXT(width="medium"),
}


def figures(records: list[dict[str, object]], **column_config: object) -> None:
    """A read-only table; a missing figure shows as a dash, never as a number."""
    st.dataframe(records, hide_index=True, width="stretch", column_config=column_config or None, placeholder="–")


def status(cell: Cell) -> str:
    if cell.suppressed:
        return HIDDEN.get(cell.reason or morale.TOO_FEW, HIDDEN[morale.TOO_FEW])
    return "Shown" if cell.enps is not None else "Shown (eNPS: not enough answers)"


def cell_rows(cells: list[Cell]) -> list[dict[str, object]]:
    """The table beside the trend: hidden cells carry no score, eNPS or count at all."""
    return [
        {
            "Week of": c.week.isoformat(),
            "Group": c.group,
            "Mean score (1-5)": c.avg_score,
            "eNPS (-100 to 100)": c.enps,
            "Responses": c.responses,
            "Invited": c.invited,
            "Response rate (%)": None if c.response_rate is None else round(100 * c.response_rate),
            "Status": status(c),
        }
        for c in cells
    ]


def pivot(cells: list[Cell], value: str) -> list[dict[str, object]]:
    """Group × week, each cell the figure as text or why there is none (drawn with :func:`weeks_table`)."""
    rows: dict[str, dict[str, object]] = {}
    for c in cells:
        row = rows.setdefault(c.group, {"Group": c.group})
        if c.suppressed:
            row[c.week.isoformat()] = status(c)
        elif value == "score":
            row[c.week.isoformat()] = f"{c.avg_score:.2f}"
        else:
            row[c.week.isoformat()] = f"{c.responses} of {c.invited} ({c.response_rate:.0%})"
    return list(rows.values())


def weeks_table(rows: list[dict[str, object]]) -> None:
    weeks = {key for row in rows for key in row if key != "Group"}
    figures(rows, **{week: TEXT(width="medium") for week in weeks})


def subtraction_note(cells: list[Cell], k: int) -> None:
    """Say why a group with enough answers shows nothing, when the view has one."""
    if any(c.reason == morale.BY_SUBTRACTION for c in cells):
        st.caption(
            f"*{HIDDEN[morale.BY_SUBTRACTION]}*: the group had {k} or more answers, but the teams shown inside it "
            "leave a smaller group, so showing it would reveal that smaller group's answers by subtraction."
        )


def privacy_note(k: int) -> None:
    with st.expander("How answers stay anonymous", icon=":material/lock:"):
        st.markdown(
            f"- A team, site or week is shown only when **{k} or more** people answered; otherwise it reads "
            "*not enough responses*, with no score, eNPS or count.\n"
            f"- A site or the whole company can be hidden even with {k}+ answers: if subtracting its visible "
            "teams would leave a smaller group, showing it would reveal that group's answers.\n"
            "- Which groups are shown is decided for the whole organisation at once, so no filter here shows more.\n"
            "- The current week is still open and appears once it has closed on Sunday night, so nobody can "
            "watch answers arrive.\n"
            "- Nobody, admins included, can see who answered or what any one person said."
        )


def show_alerts() -> None:
    found = read(morale.alerts, actor)
    if not found:
        st.success("No team's mean score has dropped by 0.5 or more over the last 4 closed weeks.")
        return
    for a in found:
        st.warning(
            f"**{md(a.team)}**: the mean score over the last 4 closed weeks is {a.recent_mean:.2f}, down "
            f"{abs(a.change):.2f} from {a.previous_mean:.2f} in the 4 weeks before. A good next step is a "
            "conversation with the team lead about workload and support, and a team check-in. Please do not "
            "try to find out who answered what.",
            icon=":material/trending_down:",
        )


st.title("Morale")
settings = org_settings()
k = settings.anonymity_threshold
st.caption(f"From the weekly pulse. Groups with fewer than {k} answers are never shown.")

show_alerts()

by_label, site_label, weeks_col = st.columns(3)
by = GROUPINGS[by_label.radio("Show by", list(GROUPINGS), horizontal=True, key="morale.by")]
sites = read(organisation.list_sites)
site = site_label.selectbox(
    "Site",
    [ALL_SITES, *sites],
    key="morale.site",
    disabled=by is GroupBy.COMPANY,
    help="Narrows what is listed; it never shows a group that is hidden in the full view.",
)
weeks = weeks_col.selectbox("Closed weeks", WEEK_CHOICES, index=1, key="morale.weeks", format_func="Last {}".format)
this_monday = periods.week_start(org_today())
start: date = this_monday - timedelta(weeks=weeks)
end: date = this_monday - timedelta(days=1)
site_id = None if site == ALL_SITES or by is GroupBy.COMPANY else read(organisation.site_id, site)
st.caption(
    f"Weeks from {start.isoformat()} to {end.isoformat()} ({settings.timezone}). The current week, from "
    f"{this_monday.isoformat()}, appears once it has closed."
)
privacy_note(k)

cells = read(morale.weekly_morale, actor, by, start, end, site_id=site_id)
team_cells = (
    cells
    if by is GroupBy.TEAM
    else read(morale.weekly_morale, actor, GroupBy.TEAM, start, end, site_id=site_id if by is GroupBy.SITE else None)
)
trend, heat, rate, challenges_tab = st.tabs(["Trend", "Team × week", "Response rate", "Challenges and morale"])

with trend:
    if not cells:
        st.info(EMPTY)
    else:
        metric = st.radio("Measure", ["Mean score", "eNPS"], horizontal=True, key="morale.metric")
        field = "avg_score" if metric == "Mean score" else "enps"
        shown = [c for c in cells if not c.suppressed]
        if shown:
            st.altair_chart(
                charts.morale_trend(cells, field),
                width="stretch",
                alt=f"Line chart of weekly {metric.lower()} per group; the same figures are in the table below.",
            )
        else:
            st.info("Every week in this range is hidden to protect anonymity. Try the team view or more weeks.")
        mean, n = morale.pooled_mean(cells)
        if mean is not None:
            st.markdown(f"Across the shown groups and weeks: mean score **{mean:.2f}** out of 5 ({n:,} answers).")
        figures(cell_rows(cells), **FIGURE_COLUMNS)
        subtraction_note(cells, k)

with heat:
    if not team_cells:
        st.info(EMPTY)
    else:
        st.altair_chart(
            charts.morale_heatmap(team_cells),
            width="stretch",
            alt="Heat map of each team's weekly mean score; the same figures are in the table below.",
        )
        st.caption(
            f"Each square is a team's mean score (1 to 5) for one week. **n/a** means not enough responses: "
            f"fewer than {k} people answered, so nothing is shown for that team and week."
        )
        weeks_table(pivot(team_cells, "score"))

with rate:
    st.caption(
        "How many of the people on each group's roster answered, for shown groups only. Who answered, "
        "and who did not, is never shown to anyone."
    )
    share, answered, invited = morale.pooled_response_rate(cells)
    if share is not None:
        st.markdown(f"Over the shown groups and weeks, **{share:.0%}** answered ({answered:,} of {invited:,}).")
    if cells:
        weeks_table(pivot(cells, "rate"))
        subtraction_note(cells, k)
    else:
        st.info(EMPTY)

with challenges_tab:
    comparison = read(morale.participation_vs_morale, actor, start, end)
    if not comparison:
        st.info("No teams have taken part in challenges in these weeks yet.")
    else:
        st.altair_chart(
            charts.participation_vs_morale(comparison),
            width="stretch",
            alt="Scatter of each team's challenge participation against its mean score; see the table below.",
        )
        st.caption("Each point is a team. Teams whose morale is hidden in every week are listed but not plotted.")
        figures(
            [
                {
                    "Team": r.team,
                    "Taking part (%)": round(100 * r.participation),
                    "Points per member": r.points_per_member,
                    "Mean score (1-5)": r.morale,
                    "Answers counted": r.responses if r.morale is not None else None,
                    "Morale": "Shown" if r.morale is not None else "Not enough responses",
                }
                for r in comparison
            ],
            **FIGURE_COLUMNS,
            **{"Taking part (%)": NUMBER(format="%d%%"), "Points per member": NUMBER(format="%.1f")},
        )
