"""The Morale page's parts: alerts, the privacy note and each tab's drawing (Streamlit only).

Every figure comes from ``engagement.morale``; these functions only draw what
they are given and never derive a number from a hidden cell: a hidden cell
shows why it is hidden, never a score, eNPS, count or roster size.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from engagement import alert_rules, charts, morale, publication
from engagement.access import Actor
from engagement.morale import Cell, TeamComparison
from ui.resources import read, read_fresh, write
from ui.widgets import md

# More alerts than this and the rest go into a table, so a large organisation's page stays short.
ALERTS_SHOWN = 5
HIDDEN = {morale.TOO_FEW: "Not enough responses", morale.BY_SUBTRACTION: "Withheld to protect others"}
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


def figures(records: list[dict[str, object]], **column_config: Any) -> None:
    """A read-only table; a missing figure shows as a dash, never as a number."""
    st.dataframe(records, hide_index=True, width="stretch", column_config=column_config or None, placeholder="–")


def status(cell: Cell) -> str:
    if cell.suppressed:
        return HIDDEN.get(cell.reason or morale.TOO_FEW, HIDDEN[morale.TOO_FEW])
    return "Shown" if cell.enps is not None else "Shown (eNPS: not enough answers)"


def cell_rows(cells: list[Cell]) -> list[dict[str, object]]:
    """The table beside the trend, latest week first: hidden cells carry no score, eNPS or count at all."""
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
        for c in sorted(cells, key=lambda c: c.week, reverse=True)
    ]


def pivot(cells: list[Cell], value: str) -> list[dict[str, object]]:
    """Group × week, latest week first; each cell the figure as text or why there is none (see :func:`weeks_table`)."""
    weeks = sorted({c.week for c in cells}, reverse=True)
    rows: dict[str, dict[date, str]] = {}
    for c in cells:
        row = rows.setdefault(c.group, {})
        if c.suppressed:
            row[c.week] = status(c)
        elif value == "score":
            row[c.week] = f"{c.avg_score:.2f}"
        else:
            row[c.week] = f"{c.responses} of {c.invited} ({c.response_rate:.0%})"
    return [{"Group": group, **{week.isoformat(): row.get(week) for week in weeks}} for group, row in rows.items()]


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


def close_ended_weeks() -> None:
    """Publish every week that ended since anyone last looked, before drawing a figure.

    A cheap read decides; only a visit after a week's end writes (and clears the read cache).
    """
    if read_fresh(publication.due):
        write(publication.close_weeks)


def show_alerts(actor: Actor) -> None:
    """The sharpest falls as warnings, each in the words of its rule; in a large organisation the rest in a table."""
    found = read(morale.alerts, actor)
    if not found:
        st.success(f"No morale alerts. {alert_rules.checked()}", icon=":material/check_circle:")
        return
    for a in found[:ALERTS_SHOWN]:
        fell = "\n".join(f"- {finding.sentence()}" for finding in a.findings)
        st.warning(
            f"**{md(a.team)}**:\n{fell}\n\nA good next step is a conversation with the team lead about "
            "workload and support, and a team check-in. Please do not try to find out who answered what.",
            icon=":material/trending_down:",
        )
    if len(found) > ALERTS_SHOWN:
        with st.expander(f"{len(found) - ALERTS_SHOWN:,} more teams with a morale alert"):
            figures([{"Team": a.team, "Site": a.site, "What fell": a.sentence()} for a in found[ALERTS_SHOWN:]])
    st.caption(alert_rules.checked())


def show_trend(cells: list[Cell], k: int) -> None:
    if not cells:
        st.info(EMPTY)
        return
    metric = st.radio("Measure", ["Mean score", "eNPS"], horizontal=True, key="morale.metric")
    field = "avg_score" if metric == "Mean score" else "enps"
    if any(not c.suppressed for c in cells):
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


def show_heat_map(team_cells: list[Cell], k: int, note: str | None = None) -> None:
    if note:
        st.caption(note)
    if not team_cells:
        st.info(EMPTY)
        return
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


def show_response_rate(cells: list[Cell], k: int) -> None:
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


def show_comparison(comparison: list[TeamComparison], note: str | None = None) -> None:
    if note:
        st.caption(note)
    if not comparison:
        st.info("No teams have taken part in challenges in these weeks yet.")
        return
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
