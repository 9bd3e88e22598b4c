"""The Challenges page's parts: the overview table and one challenge in full (Streamlit only).

The overview is one read of the viewer's team's totals for every targeted
challenge; a challenge in full reads its impact, and its team target for the
viewer's team and the leading teams only, so the work stays the same however
many challenges and teams the organisation has.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from engagement import amounts, challenges, charts, impact, leaderboards, periods, results
from engagement.access import Actor
from engagement.amounts import ordinal
from engagement.challenges import Phase
from engagement.impact import ImpactReport, ImpactRow, TargetStanding, TeamAmount
from engagement.leaderboards import Podium
from engagement.vocabulary import Challenge, Kind
from ui.leaderboard_tabs import late_words, result_badge, winners_sentence
from ui.resources import VIEWER, read
from ui.widgets import md, org_today, table

STATUS = {Phase.RUNNING: "Running", Phase.UPCOMING: "Coming up", Phase.ENDED: "Ended"}
LEADING_TEAMS = 10
# What each kind's impact is measured in: (ImpactRow field, label) pairs. Labels stay short enough
# for a half-width card at 1280 px (Streamlit cuts a metric label with "…"); the help says it in full.
MEASURES = {
    Kind.ENERGY: (("kwh_saved", "kWh saved"), ("kg_co2e_avoided", "kg CO2 avoided")),
    Kind.TREES: (("trees_planted", "Trees planted"), ("kg_co2e_per_year", "kg CO2 a year")),
    Kind.VOLUNTEERING: (("volunteer_hours", "Time volunteered"), ("volunteer_value", "Value")),
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
# Past 100 % the bar stays full and the figure beside it goes on.
YOUR_TEAM = st.column_config.ProgressColumn(
    width="small",
    format="%.0f%%",
    min_value=0,
    max_value=100,
    help="Your team's approved entries, as a share of the team target.",
)


def days(n: int) -> str:
    """A count of days in words: "1 day", "3 days"."""
    return amounts.count(n, "days")


def window_words(c: Challenge, phase: Phase, today: date) -> str:
    """When the challenge runs, said from today: how long until it starts, how long is left, or since it ended."""
    start, end = c.starts_on.isoformat(), c.ends_on.isoformat()
    if phase is Phase.UPCOMING:
        return f"Starts {start} (in {days((c.starts_on - today).days)}) and runs until {end}."
    if phase is Phase.ENDED:
        return f"Ran from {start} to {end} (ended {days((today - c.ends_on).days)} ago)."
    return f"Running since {start}, until {end} ({days((c.ends_on - today).days + 1)} left, today included)."


def team_bar(c: Challenge, team: TeamAmount, target: float, mine: str = "") -> None:
    """One team's progress; the bar stops at full, the words say how far past the target it went."""
    progress = amounts.target_progress(team.amount, target, c.unit)
    st.progress(min(team.amount / target, 1.0), text=f"{md(team.team)}{mine}: {progress}")


def draw_target(c: Challenge, standing: TargetStanding) -> None:
    """The viewer's team first, then the leading teams, and how many teams have reached the target."""
    target, reached = standing.target, standing.reached
    st.markdown(f"**Team target: {amounts.in_words(target, c.unit)} per team** (approved entries)")
    verb = "has" if reached == 1 else "have"
    st.caption(f"{reached:,} of {standing.teams:,} teams {verb} reached the target.")
    if standing.mine is not None:
        team_bar(c, standing.mine, target, f" (your team, rank {standing.mine.rank:,} of {standing.teams:,})")
    if not any(t.amount for t in standing.top):
        st.caption("No team has approved entries yet.")
        return
    listed = len(standing.top)
    st.markdown(f"**Top {listed} teams**" if standing.teams > listed else f"**All {listed} teams**")
    columns = st.columns(2)
    for i, team in enumerate(standing.top):
        with columns[i % 2]:
            team_bar(c, team, target, " (your team)" if standing.mine == team else "")


def draw_impact(c: Challenge, report: ImpactReport) -> None:
    """The company's impact in the kind's two measures, and the factors behind the converted one."""
    st.markdown("**Impact so far, whole company**" if c.ends_on >= org_today() else "**Impact, whole company**")
    row = report.rows[0] if report.rows else ImpactRow("Company")
    used = [u for u in report.used(row) if u.kind is c.kind]
    for cell, (field, label) in zip(st.columns(2), MEASURES[c.kind], strict=True):
        value = amounts.figure(getattr(row, field), amounts.MEASURE_UNITS[field])
        if field in CONVERTED and not used and getattr(row, MEASURES[c.kind][0][0]):
            value = "no factor yet"
        elif field == "volunteer_value" and report.currency:
            label = f"{label} ({md(report.currency)})"
        cell.metric(label, value, help=EXPLAINED.get(field))
    for use in used:
        st.caption(
            f"Converted with {md(use.factor.name)}: {use.factor.value:g} {md(use.factor.unit)} "
            f"({md(use.factor.region)}, {use.factor.year}), for {md(use.applies_to.lower())} from {use.since}. "
            f"Source: {md(use.factor.source)}"
        )
    if not used:
        st.caption(
            "No conversion factor applies to this challenge's entries yet; an admin can add one on the Admin page."
        )


def draw_volunteering(c: Challenge) -> None:
    """Hours volunteered by activity, by organisation, and both, each as a chart beside its table."""
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


def draw_final(actor: Actor, c: Challenge, final: Podium) -> None:
    """An ended challenge's podium, final or still provisional: the winners named, then the top teams and people."""
    title, badge = st.columns([3, 1], vertical_alignment="center")
    title.markdown("**Final results**" if final.final else "**Results so far**")
    with badge:
        result_badge(final)
    st.markdown(winners_sentence(final))
    first, last = periods.long_date(c.starts_on), periods.long_date(c.ends_on)
    st.caption(
        f"Counted over the challenge's own days, {first} to {last}, with the members each team had then: "
        f"teams by points per member, people by points. {final.teams_ranked:,} teams and "
        f"{final.people_ranked:,} people were ranked; the full boards are on Leaderboards. {late_words(final)}".rstrip()
    )
    teams, people = st.columns(2)
    with teams:
        table(
            [
                {
                    "Place": ordinal(t.rank),
                    "Team": t.team + (" (your team)" if t.team_id == actor.team_id else ""),
                    "Points per member": t.points_per_member,
                    "Members": t.members,
                }
                for t in final.teams
            ],
            **{"Points per member": st.column_config.NumberColumn(format="%.2f")},
        )
    with people:
        table(
            [
                {
                    "Place": ordinal(p.rank),
                    "Name": p.name + (" (you)" if p.person_id == actor.person_id else ""),
                    "Team": p.team or "",
                    "Points": p.points,
                }
                for p in final.people
            ],
            Points=st.column_config.NumberColumn(format="%.1f"),
        )


def in_full(actor: Actor, c: Challenge, phase: Phase, today: date) -> None:
    """One challenge: its window and rules, then (once it has started) its impact, team target and hours."""
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
        draw_impact(c, read(impact.challenge_impact, VIEWER, c.id))
    final = read(leaderboards.podium, VIEWER, c.id, today) if phase is Phase.ENDED else None
    if final is not None:
        with st.container(border=True):
            draw_final(actor, c, final)
    standing = read(impact.target_standing, VIEWER, c.id, actor.team_id, top=LEADING_TEAMS) if c.team_target else None
    if standing is not None:
        draw_target(c, standing)
    if c.kind is Kind.VOLUNTEERING:
        draw_volunteering(c)


def overview(actor: Actor, ordered: list[tuple[Challenge, Phase]]) -> None:
    """One row per challenge, with the viewer's team's progress from a single read of its totals."""
    targeted = [c for c, phase in ordered if c.team_target and phase is not Phase.UPCOMING]
    done = None
    if actor.team_id is not None:
        done = read(impact.team_totals, VIEWER, actor.team_id, tuple(c.id for c in targeted))
    rows = []
    for c, phase in ordered:
        row: dict[str, object] = {
            "Challenge": c.name,
            "Status": STATUS[phase],
            "Kind": c.kind.value.title(),
            "Window": f"{c.starts_on.isoformat()} to {c.ends_on.isoformat()}",
            "Points": f"{amounts.number(c.points_per_unit)} {amounts.per(c.unit)}",
            "Daily cap": amounts.in_words(c.daily_cap, c.unit) if c.daily_cap else "none",
            "Team target": amounts.in_words(c.team_target, c.unit) if c.team_target else "",
        }
        if done is not None:
            # The share as the target bars below write it (89%, never rounded up to 90% of a target not met).
            share = (
                amounts.whole_percent(done.get(c.id, 0.0) / c.team_target) if c in targeted and c.team_target else None
            )
            row["Your team"] = share
        rows.append(row)
    table(rows, **{"Your team": YOUR_TEAM})
