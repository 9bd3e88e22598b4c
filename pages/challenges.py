"""Challenges: each challenge's rules, window, team target and progress, and what it has achieved so far."""

from datetime import date

import streamlit as st

from db.models import Challenge, Kind, Role
from engagement import challenges, charts, impact, organisation, results
from engagement.challenges import Phase
from engagement.impact import Factor, ImpactRow
from ui.auth import require_role
from ui.resources import VIEWER, read
from ui.widgets import md, org_today, table

actor = require_role(*Role)

HEADINGS = {Phase.RUNNING: "Running now", Phase.UPCOMING: "Coming up", Phase.ENDED: "Ended"}
# What each kind's impact is measured in: (ImpactRow field, label) pairs. Labels stay short enough
# for a half-width card at 1280 px (Streamlit cuts a metric label with "…"); the help says it in full.
MEASURES = {
    Kind.ENERGY: (("kwh_saved", "kWh saved"), ("kg_co2e_avoided", "kg CO2 avoided")),
    Kind.TREES: (("trees_planted", "Trees planted"), ("kg_co2e_per_year", "kg CO2 a year")),
    Kind.VOLUNTEERING: (("volunteer_hours", "Hours volunteered"), ("volunteer_value", "Value")),
}
EXPLAINED = {
    "kg_co2e_avoided": "Greenhouse gas not released thanks to the energy saved, in kg of carbon dioxide "
    "(other gases counted as the CO2 that would warm as much: CO2e).",
    "kg_co2e_per_year": "Greenhouse gas the planted trees take in each year, in kg of carbon dioxide "
    "(other gases counted as the CO2 that would warm as much: CO2e).",
    "volunteer_value": "What the hours volunteered are worth, at the value of an hour named below.",
}
CONVERTED = {"kg_co2e_avoided", "kg_co2e_per_year", "volunteer_value"}
HOURS = st.column_config.NumberColumn(format="%.2f")


def number(value: float) -> str:
    """One decimal, without a trailing ".0" (54 trees, 6,024.2 kWh)."""
    return f"{value:,.1f}".removesuffix(".0")


def days(n: int) -> str:
    return f"{n} day{'s' * (n != 1)}"


def window_words(c: Challenge, phase: Phase, today: date) -> str:
    start, end = c.starts_on.isoformat(), c.ends_on.isoformat()
    if phase is Phase.UPCOMING:
        return f"Starts {start} (in {days((c.starts_on - today).days)}) and runs until {end}."
    if phase is Phase.ENDED:
        return f"Ran from {start} to {end} (ended {days((today - c.ends_on).days)} ago)."
    return f"Running since {start}, until {end} ({days((c.ends_on - today).days + 1)} left, today included)."


def draw_target(c: Challenge, target: float) -> None:
    """A progress bar per active team towards the team target, the viewer's team first and named."""
    done = dict(read(impact.team_progress, VIEWER, c.id))
    teams = sorted(read(organisation.list_teams), key=lambda t: (t.id != actor.team_id, -done.get(t.name, 0.0)))
    st.markdown(f"**Team target: {target:,.0f} {c.unit} per team** (approved entries)")
    if not any(done.values()):
        st.caption("No team has approved entries yet.")
    columns = st.columns(2)
    for i, team in enumerate(teams):
        amount = done.get(team.name, 0.0)
        mine = " (your team)" if team.id == actor.team_id else ""
        reached = ", target reached" if amount >= target else ""
        columns[i % 2].progress(
            min(amount / target, 1.0),
            text=f"{md(team.name)}{mine}: {number(amount)} of {target:,.0f} {c.unit} ({amount / target:.0%}{reached})",
        )


def draw_impact(c: Challenge, row: ImpactRow, factor: Factor | None) -> None:
    st.markdown("**Impact so far, whole company**" if c.ends_on >= org_today() else "**Impact, whole company**")
    for cell, (field, label) in zip(st.columns(2), MEASURES[c.kind], strict=True):
        value = number(getattr(row, field))
        if field in CONVERTED and factor is None:
            value = "no factor yet"
        elif field == "volunteer_value" and factor is not None:
            label = f"{label} ({md(factor.unit.split()[0])})"
        cell.metric(label, value, help=EXPLAINED.get(field))
    if factor is not None:
        st.caption(
            f"Converted with {factor.value:g} {md(factor.unit)} ({md(factor.region)}, {factor.year}). "
            f"Source: {md(factor.source)}"
        )
    else:
        st.caption("No conversion factor is in use for this kind yet; an admin can add one on the Admin page.")


def draw_volunteering(c: Challenge) -> None:
    breakdown = read(results.volunteering_breakdown, c.id)
    if not breakdown:
        st.caption("No approved volunteering hours yet.")
        return
    by_activity, by_organisation = impact.volunteering_totals(breakdown)
    activity_tab, organisation_tab, both_tab = st.tabs(["Hours by activity", "Hours by organisation", "Both"])
    for tab, title, totals in (
        (activity_tab, "Activity", by_activity),
        (organisation_tab, "Organisation", by_organisation),
    ):
        chart, numbers = tab.columns([3, 2])
        chart.altair_chart(
            charts.hours_bars(totals, title),
            width="stretch",
            alt=f"Bar chart of volunteer hours by {title.lower()}; the table beside it gives the same figures.",
        )
        with numbers:
            table([{title: name, "Hours": hours} for name, hours in totals], Hours=HOURS)
    with both_tab:
        table([{"Activity": a, "Organisation": o, "Hours": round(h, 2)} for a, o, h in breakdown], Hours=HOURS)


def draw_challenge(c: Challenge, phase: Phase, today: date, factors: dict[Kind, Factor]) -> None:
    if phase is not Phase.ENDED:  # ended ones are titled by their expander
        st.subheader(md(c.name))
    st.caption(window_words(c, phase, today))
    rules, achieved = st.columns([3, 2], gap="large")
    with rules:
        if c.description:
            st.markdown(md(c.description))
        st.markdown("\n".join(f"- {rule}" for rule in challenges.rules_in_words(c)))
    if phase is Phase.UPCOMING:
        achieved.caption("Nothing can be logged until it starts.")
        return
    with achieved:
        draw_impact(c, read(impact.challenge_impact, VIEWER, c.id), factors.get(c.kind))
    if c.team_target:
        draw_target(c, c.team_target)
    if c.kind is Kind.VOLUNTEERING:
        draw_volunteering(c)


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

factors = {f.kind: f for f in read(impact.list_factors, VIEWER) if f.in_use}
by_phase = {phase: [c for c in every if challenges.phase_on(c, today) is phase] for phase in Phase}
if not by_phase[Phase.RUNNING]:
    st.info("No challenge is running right now. Upcoming and past challenges are listed below.")
for phase, chosen in by_phase.items():
    if not chosen:
        continue
    st.header(HEADINGS[phase])
    for challenge in sorted(chosen, key=lambda c: c.starts_on, reverse=phase is not Phase.UPCOMING):
        if phase is Phase.ENDED:
            with st.expander(f"{md(challenge.name)}, {challenge.starts_on} to {challenge.ends_on}"):
                draw_challenge(challenge, phase, today, factors)
        else:
            with st.container(border=True):
                draw_challenge(challenge, phase, today, factors)
