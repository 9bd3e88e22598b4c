"""The Leaderboards page's Teams and People tabs: a chart, a sentence, the table, a CSV (Streamlit only).

Boards are read as :data:`ui.resources.VIEWER`, so every session shares them;
the viewer's own team or row is added to the chart and the table when it is
outside the top, and named and tinted so it is quick to find.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from engagement import charts, exports, leaderboards, periods
from engagement.access import Actor
from engagement.amounts import in_words, ordinal
from engagement.leaderboards import RANKED_VALUE, PersonRow, Podium, RankBy, Scope, TeamRow
from engagement.periods import Period
from engagement.vocabulary import Challenge
from ui.resources import VIEWER, read
from ui.widgets import csv_download, md, required

CHALLENGE_KEY = "leaderboards.challenge"
PERIOD_KEY = "leaderboards.period"
CHALLENGE_PERIOD = "Challenge period"
PERSON_LIMIT = 50
# A light shade of the charts' highlight colour, with its own dark text: the theme's text is light in dark mode.
TINT = "background-color: #FBE3D6; color: #111111"
CHART_PEOPLE = 20
CHART_TEAMS = 20
TINTED_ROWS = 200
RANK_LABELS = {
    RankBy.PER_MEMBER: "Points per member",
    RankBy.TOTAL: "Total points",
    RankBy.PARTICIPATION: "Participation",
}
FORMULAS = {
    RankBy.PER_MEMBER: "points per member = team points ÷ active members on the roster during the period",
    RankBy.TOTAL: "total points = every point credited to the team (a result counts for the team "
    "the person was in on that day)",
    RankBy.PARTICIPATION: "participation = members with points ÷ active members on the roster during the period",
}
POINTS_RULE = (
    "Points = approved amount × the challenge's points per unit; amounts above a challenge's daily cap "
    "do not earn points. Equal values share a rank (1, 2, 2, 4)."
)


def points(value: float) -> str:
    """Points in words to the 2 decimals ranking uses, trailing zeros dropped: "10.25 points", "1 point"."""
    return in_words(value, "points")


def amount(value: float, rank_by: RankBy, *, gap: bool = False) -> str:
    """A ranked value in words with its unit, e.g. "14.2 points per member" or "45% taking part"."""
    if rank_by is RankBy.PARTICIPATION:
        # Whole percentages, as participation is ranked (a gap is between two such).
        share = round(100 * (value if gap else leaderboards.round2(value)))
        if gap:
            return f"{share} percentage {'point' if share == 1 else 'points'}"
        return f"{share}% of members taking part"
    if rank_by is RankBy.PER_MEMBER:  # two decimals, as in the table
        return f"{value:,.2f} points per member"
    return points(value)


def follow_challenge(by_id: dict[int, Challenge], today: date) -> None:
    """When another challenge is chosen, an ended one opens on its own period: its final results.

    A running challenge keeps the period the viewer had; "All challenges" has
    no challenge period, so a board left on one goes back to this week.
    """
    chosen = by_id.get(st.session_state[CHALLENGE_KEY])
    if chosen is not None and chosen.ends_on < today:
        st.session_state[PERIOD_KEY] = CHALLENGE_PERIOD
    elif chosen is None and st.session_state.get(PERIOD_KEY) == CHALLENGE_PERIOD:
        st.session_state[PERIOD_KEY] = "This week"


def winners_sentence(result: Podium) -> str:
    """Who won, e.g. "Winners: Cedar (team), with 12.50 points per member; Ana Lima (person), with 40.0 points."

    While late entries can still arrive, the same names are "Leading so far".
    """
    if not result.teams and not result.people:
        return "Nobody earned points in this challenge, so it has no winner."
    parts = []
    if result.winning_teams:
        names = " and ".join(md(t.team) for t in result.winning_teams)
        per_member = amount(result.winning_teams[0].points_per_member, RankBy.PER_MEMBER)
        parts.append(f"{names} (team), with {per_member}")
    if result.winning_people:
        names = " and ".join(md(p.name) for p in result.winning_people)
        parts.append(f"{names} (person), with {points(result.winning_people[0].points)}")
    tied = len(result.winning_teams) > 1 or len(result.winning_people) > 1
    lead = f"Winner{'s' * (len(parts) > 1 or tied)}" if result.final else "Leading so far"
    return f"{lead}: {'; '.join(parts)}."


def late_words(result: Podium) -> str:
    """Why results are not final yet, or nothing once they are."""
    if result.final:
        return ""
    return f"Late entries are taken until {periods.long_date(result.late_until)}; the results are final after that."


def result_badge(result: Podium, final: str = "Final", provisional: str = "Provisional") -> None:
    """A green "Final" once no entry can change the results, an orange "Provisional" before."""
    if result.final:
        st.badge(final, icon=":material/flag:", color="green")
    else:
        st.badge(provisional, icon=":material/hourglass_top:", color="orange")


def final_note(chosen: Challenge, period: Period, today: date) -> None:
    """Above the board of an ended challenge over its own period: final or provisional, with the winners named."""
    if chosen.ends_on >= today or (period.start, period.end) != (chosen.starts_on, chosen.ends_on):
        return
    result = read(leaderboards.podium, VIEWER, chosen.id, today)
    if result is None:
        return
    result_badge(result, "Final results", "Provisional results")
    ended = f"{md(chosen.name)} ended on {periods.long_date(result.ended_on)}."
    st.markdown(" ".join(filter(None, (ended, late_words(result), winners_sentence(result)))))


def team_summary(actor: Actor, rows: list[TeamRow], rank_by: RankBy) -> str:
    """One sentence beside the chart: where the viewer's team stands and how far behind the team above."""
    leader = rows[0]
    if leader.points == 0:
        return "No team has points in this period yet: approved entries appear here at once."
    lead = f"{md(leader.team)} leads with {amount(getattr(leader, RANKED_VALUE[rank_by]), rank_by)}."
    if actor.team_id is None:
        return lead
    position = leaderboards.team_position(rows, actor.team_id, rank_by)
    if position is None:
        return f"Your team is not on this board with these filters. {lead}"
    mine = position.row
    sentence = f"Your team, {md(mine.team)}, is {ordinal(mine.rank)} of {position.teams_ranked}"
    if position.above is None:
        shared = " (shared)" if sum(r.rank == 1 for r in rows) > 1 else ""
        return f"{sentence}{shared}, with {amount(getattr(mine, RANKED_VALUE[rank_by]), rank_by)}."
    gap = amount(position.gap or 0.0, rank_by, gap=True)
    return f"{sentence}, {gap} behind {md(position.above.team)}."


def person_summary(actor: Actor, top: list[PersonRow], mine: PersonRow | None) -> str:
    """One sentence beside the chart: who leads, and where the viewer stands and how far behind the top."""
    leader = top[0]
    lead = f"{md(leader.name)} leads with {points(leader.points)}."
    if actor.person_id is None:
        return lead
    if mine is None:
        return f"You have no points on this board yet: log an activity on My standing. {lead}"
    if mine.rank == 1:
        return f"You are 1st with {points(mine.points)}."
    behind = leader.points - mine.points
    return f"You are {ordinal(mine.rank)} with {points(mine.points)}, {points(behind)} behind the top. {lead}"


def points_column(points: list[float]) -> Any:
    """Points with as many decimals as tell every rank apart (1 or 2), as the chart prints them."""
    return st.column_config.NumberColumn(format=f"%.{leaderboards.places_apart(points)}f")


def board_table(column: str, marker: str, records: list[dict[str, object]], **config: Any) -> None:
    """A board as a table; the viewer's row, already named by ``marker``, is also tinted for a quick find.

    Styling sends a style for every cell, which costs more than the rest of the
    page at a few thousand teams; past :data:`TINTED_ROWS` the marker alone names the row.
    """

    def tint(row: pd.Series) -> list[str]:
        return [TINT if str(row[column]).endswith(marker) else ""] * len(row)

    frame = pd.DataFrame(records)
    shown = frame.style.apply(tint, axis=1) if len(frame) <= TINTED_ROWS else frame
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)


def teams_tab(actor: Actor, scope: Scope, period: Period) -> None:
    """The team board ranked as the viewer chooses: a chart of the leading teams, a sentence, the table, a CSV."""
    rank_by: RankBy = required(
        st.radio(
            "Rank teams by",
            list(RankBy),
            format_func=RANK_LABELS.__getitem__,
            horizontal=True,
            key="leaderboards.rank_by",
        )
    )
    rows = read(leaderboards.team_leaderboard, VIEWER, scope, rank_by)
    if not rows:
        st.info(
            "No team had active members who match these filters in this period. "
            "Try Everyone, All sites or a later period."
        )
        return
    # A bar per team reads well up to a few dozen; a large company's table below still lists every team.
    charted = rows[:CHART_TEAMS] + [r for r in rows[CHART_TEAMS:] if r.team_id == actor.team_id]
    chart, words = st.columns([3, 2])
    chart.altair_chart(
        charts.team_bars(charted, rank_by, actor.team_id),
        width="stretch",
        alt=f"Bar chart of {len(charted)} teams ranked by {RANK_LABELS[rank_by].lower()}; "
        "the summary beside it and the table below give the same figures.",
    )
    words.markdown(team_summary(actor, rows, rank_by))
    note = ""
    if len(rows) > CHART_TEAMS:
        yours = " and yours" if len(charted) > CHART_TEAMS else ""
        note = f" The chart shows the top {CHART_TEAMS}{yours}; the table lists all {len(rows):,}."
    words.caption(f"Ranked by {FORMULAS[rank_by]}. {POINTS_RULE}{note}")
    board_table(
        "Team",
        " (your team)",
        [
            {
                "Rank": r.rank,
                "Team": r.team + (" (your team)" if r.team_id == actor.team_id else ""),
                "Site": r.site or "",
                "Points": r.points,
                "Members": r.members,
                "Points per member": r.points_per_member,
                "Members taking part": r.participants,
                "Participation (%)": round(100 * leaderboards.ranked_value(r, RankBy.PARTICIPATION)),
            }
            for r in rows
        ],
        Points=points_column([r.points for r in rows]),
        **{
            "Points per member": st.column_config.NumberColumn(format="%.2f"),
            "Participation (%)": st.column_config.NumberColumn(format="%d%%"),
            "Team": st.column_config.TextColumn(width="medium"),
        },
    )
    csv = exports.to_csv(exports.team_records(rows), exports.TEAM_COLUMNS)
    csv_download("Download team board (CSV)", csv, f"teams-{period.start}-{period.end}.csv", "leaderboards.teams_csv")


def people_tab(actor: Actor, scope: Scope, period: Period) -> None:
    """The top people and the viewer's own row: a chart, a sentence, the table, a CSV."""
    top = read(leaderboards.person_leaderboard, VIEWER, scope, PERSON_LIMIT)
    if not top:
        st.info("Nobody has points with these filters yet. Approved entries appear here at once.")
        return
    mine = read(leaderboards.person_row, VIEWER, scope, actor.person_id)
    shown = top + ([mine] if mine is not None and all(r.person_id != mine.person_id for r in top) else [])
    charted = shown[:CHART_PEOPLE] + ([mine] if mine is not None and mine not in shown[:CHART_PEOPLE] else [])
    chart, words = st.columns([3, 2])
    chart.altair_chart(
        charts.person_bars(charted, actor.person_id),
        width="stretch",
        alt=f"Bar chart of {len(charted)} people ranked by points; the table below gives the same figures.",
    )
    words.markdown(person_summary(actor, top, mine))
    note = f"The chart shows the top {CHART_PEOPLE}" + (" and you" if len(charted) > CHART_PEOPLE else "") + "."
    words.caption(f"People are ranked by points. {POINTS_RULE} {note if len(shown) > CHART_PEOPLE else ''}")
    if len(top) == PERSON_LIMIT:
        st.caption(f"The table lists the top {PERSON_LIMIT}" + (" and your own row." if len(shown) > len(top) else "."))
    board_table(
        "Name",
        " (you)",
        [
            {
                "Rank": r.rank,
                "Name": r.name + (" (you)" if r.person_id == actor.person_id else ""),
                "Team": r.team or "",
                "Points": r.points,
            }
            for r in shown
        ],
        Points=points_column([r.points for r in shown]),
    )
    csv = exports.to_csv(exports.person_records(shown), exports.PERSON_COLUMNS)
    name = f"people-{period.start}-{period.end}.csv"
    csv_download("Download people board (CSV)", csv, name, "leaderboards.people_csv")
