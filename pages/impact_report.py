"""Impact report: energy saved, CO2e avoided, trees, volunteer hours and their value, by team, site or company."""

from datetime import date
from fractions import Fraction

import streamlit as st

from engagement import amounts, charts, exports, impact
from engagement.impact import ImpactBy, ImpactReport
from engagement.vocabulary import Role
from ui.auth import require_role
from ui.resources import read
from ui.widgets import csv_download, md, org_today, period_choice, table

actor = require_role(Role.MANAGER, Role.ADMIN)

GROUPINGS = {ImpactBy.TEAM: "Team", ImpactBy.SITE: "Site", ImpactBy.COMPANY: "Whole company"}
CHART_GROUPS = 20  # bars that stay readable; the table beside the chart lists every group
FIGURE = st.column_config.NumberColumn(format="%.2f")
WHOLE = st.column_config.NumberColumn(format="%d")  # trees are planted whole
WHOLE_FIELDS = {"trees_planted"}
PROGRAMMES = (
    ("Home energy", ("kwh_saved", "kg_co2e_avoided")),
    ("Trees", ("trees_planted", "kg_co2e_per_year")),
    ("Volunteering", ("volunteer_hours", "volunteer_value")),
)


def headers(currency: str) -> dict[str, str]:
    """Each figure's column title, with its unit; short enough that the by-team table fits 1280 px."""
    return {
        "kwh_saved": "Energy saved (kWh)",
        "kg_co2e_avoided": "CO2e avoided (kg)",
        "trees_planted": "Trees planted",
        "kg_co2e_per_year": "Trees' CO2e (kg a year)",
        "volunteer_hours": "Volunteer hours",
        "volunteer_value": f"Hours' value ({currency or 'no factor'})",
    }


def shown(field: str, value: Fraction) -> str:
    """A headline figure in the house style (``engagement.amounts``); its label names the unit."""
    return amounts.headline(value, amounts.MEASURE_UNITS[field])


def formats(names: dict[str, str]) -> dict[str, object]:
    return {name: WHOLE if field in WHOLE_FIELDS else FIGURE for field, name in names.items()}


def pick_period(today: date) -> tuple[date | None, date | None, str]:
    """All time, or a period from the shared picker; returns (start, end, words for the caption)."""
    span = st.radio("Period", ["All time", "Choose a period"], horizontal=True, key="impact.span")
    if span == "All time":
        return None, None, "All time: every approved entry"
    period = period_choice("impact.period", today)
    return period.start, period.end, period.describe()


def draw_headline(report: ImpactReport, names: dict[str, str]) -> None:
    """The totals, one column per programme, so no label is cut short."""
    total = report.total
    for column, (title, fields) in zip(st.columns(3), PROGRAMMES, strict=True):
        with column.container(border=True):
            st.markdown(f"**{title}**")
            for field in fields:
                st.metric(names[field], shown(field, getattr(total, field)))


def draw_chart(report: ImpactReport, by: ImpactBy, names: dict[str, str]) -> None:
    measure = st.selectbox("Chart", list(names), format_func=names.__getitem__, key="impact.measure")
    largest = sorted(report.rows, key=lambda r: -getattr(r, measure))
    chart, numbers = st.columns([3, 2])
    chart.altair_chart(
        charts.impact_bars(largest[:CHART_GROUPS], measure, names[measure]),
        width="stretch",
        alt=f"Bar chart of {names[measure]} by {GROUPINGS[by].lower()}; the table beside it gives the same figures.",
    )
    if len(largest) > CHART_GROUPS:
        chart.caption(f"The chart shows the {CHART_GROUPS} largest; the table beside it lists all {len(largest):,}.")
    total = report.total
    figures = {r["group"]: r for r in exports.impact_records(report, "group")}  # as the CSV writes them
    with numbers:
        table(
            [
                {
                    GROUPINGS[by]: row.group,
                    names[measure]: figures[row.group][measure],
                    "Share of total (%)": float(
                        amounts.rounded(100 * getattr(row, measure) / getattr(total, measure), 1)
                    )
                    if getattr(total, measure)
                    else 0.0,
                }
                for row in largest
            ],
            **{
                names[measure]: formats(names)[names[measure]],
                "Share of total (%)": st.column_config.NumberColumn(format="%.1f%%"),
            },
        )


def draw_table(report: ImpactReport, by: ImpactBy, names: dict[str, str], file_stem: str) -> None:
    records = exports.impact_records(report, by.value, with_total=True)
    table(
        [{GROUPINGS[by]: r[by.value], **{names[f]: r[f] for f in names}, "Factors": r["factors"]} for r in records],
        **formats(names),
    )
    st.caption(
        (
            "The last row, Total, adds up the exact figures of the rows above, rounded once. "
            if len(report.rows) > 1
            else ""
        )
        + "Factors: the numbers of the conversion factors below that each row used."
    )
    csv = exports.to_csv(records, exports.impact_columns(by.value))
    csv_download("Download this report (CSV)", csv, f"{file_stem}.csv", "impact.report_csv")


def factor_row(record: dict[str, object]) -> dict[str, str]:
    """One factor as the page lists it: six columns, so the table fits the page without scrolling sideways."""
    start = "the start" if record["valid_from"] == impact.BEGINNING.isoformat() else str(record["valid_from"])
    until = f"to {record['valid_to']}" if record["valid_to"] else "to today"
    return {
        "#": str(record["number"]),
        "Factor": f"{record['name']} ({record['kind']})",
        "Value": f"{record['value']:g} {record['unit']} ({record['region']}, {record['year']})",
        "Applies to": str(record["applies_to"]),
        "Period": f"From {start} {until}",
        "Source": str(record["source"]),
    }


def draw_factors(report: ImpactReport) -> None:
    st.subheader("Conversion factors used")
    st.caption(
        "kg CO2e avoided = kWh saved × the energy factor; kg CO2e a year = trees planted × the tree factor; "
        "value = volunteer hours × the value of an hour. Each factor applies from its month on, to the sites of "
        "its region or to every other site; admins choose them on the Admin page."
    )
    records = exports.factor_records(report)
    if not records:
        st.info("No conversion factor applies to these entries, so only kWh, trees and hours are shown.")
        return
    # st.table wraps the long sources; it renders Markdown, so admin-entered text is escaped.
    st.table([{k: md(v) for k, v in factor_row(r).items()} for r in records])
    csv_download(
        "Download the factors (CSV)",
        exports.to_csv(records, exports.FACTOR_COLUMNS),
        "impact-factors.csv",
        "impact.factors_csv",
    )


st.title("Impact report")
st.caption(
    "Counts every approved entry, including amounts above a challenge's daily cap (the cap limits points, "
    "not impact) and entries by people who have since left."
)
today = org_today()
choose_period, choose_group = st.columns(2)
with choose_period:
    start, end, described = pick_period(today)
by = choose_group.radio(
    "Group by", list(GROUPINGS), format_func=GROUPINGS.__getitem__, horizontal=True, key="impact.by"
)
report = read(impact.impact_report, actor, by, start, end)
names = headers(report.currency)
st.caption(f"{described}.")
if not report.rows:
    st.info("No approved entries in this period. Choose All time or a longer period.")
else:
    draw_headline(report, names)
    if by is not ImpactBy.COMPANY:
        draw_chart(report, by, names)
    stem = f"impact-by-{by.value}-{start or 'start'}-{end or today}"
    draw_table(report, by, names, stem)
draw_factors(report)
