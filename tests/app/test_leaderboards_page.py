"""The Leaderboards page: its figures are the engagement boards' figures, filters change them, the viewer is marked."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Challenge, Membership, Person, Result, Role, Status, Team, WorkMode
from engagement import demo, leaderboards, organisation, periods, results, settings
from engagement.access import SYSTEM
from engagement.leaderboards import RankBy, Scope
from tests.app.downloads import downloaded, record_downloads
from tests.factories import in_store, make_person
from ui.resources import VIEWER
from ui.widgets import md

PAGE = "pages/leaderboards.py"


def this_week(url: str) -> periods.Period:
    return periods.this_week(periods.today(in_store(url, settings.load).zone))


def open_board(app_as: Callable[[Role], AppTest], role: Role = Role.AGENT) -> AppTest:
    at = app_as(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def team_table(at: AppTest) -> list[dict[str, Any]]:
    return at.tabs[0].dataframe[0].value.to_dict("records")


def person_table(at: AppTest) -> list[dict[str, Any]]:
    return at.tabs[1].dataframe[0].value.to_dict("records")


def chart_labels(at: AppTest, tab: int) -> list[str]:
    """The bar labels of the tab's chart (Streamlit ships the chart's data as Arrow beside the spec)."""
    proto = at.tabs[tab].get("vega_lite_chart")[0].proto
    return list(pa.ipc.open_stream(proto.data.data).read_pandas()["label"])


def as_shown(rows: list[leaderboards.TeamRow]) -> list[tuple[object, ...]]:
    """The domain rows in the table's shape: participation as a whole percentage."""
    return [
        (r.rank, r.team, r.points, r.members, r.points_per_member, r.participants, round(r.participation * 100))
        for r in rows
    ]


def shown(table: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    return [
        (
            r["Rank"],
            r["Team"].removesuffix(" (your team)"),
            r["Points"],
            r["Members"],
            r["Points per member"],
            r["Members taking part"],
            r["Participation (%)"],
        )
        for r in table
    ]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_both_boards(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = open_board(app_as, role)
    assert at.title[0].value == "Leaderboards"
    assert [t.label for t in at.tabs] == ["Teams", "People"]
    assert team_table(at) and person_table(at)
    assert "Resets " in at.caption[0].value and "Monday" in at.caption[0].value and "at 00:00" in at.caption[0].value


def test_team_table_equals_the_team_board(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_board(app_as)
    week = this_week(demo_url)
    expected = in_store(demo_url, lambda s: leaderboards.team_leaderboard(s, VIEWER, Scope(None, week.start, week.end)))
    assert shown(team_table(at)) == as_shown(expected)
    assert (
        "points per member = team points ÷ active members on the roster during the period"
        in at.tabs[0].caption[0].value
    )


def test_ranking_by_total_reorders_the_board(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_board(app_as)
    at.radio(key="leaderboards.rank_by").set_value(RankBy.TOTAL).run()
    week = this_week(demo_url)
    expected = in_store(
        demo_url,
        lambda s: leaderboards.team_leaderboard(s, VIEWER, Scope(None, week.start, week.end), RankBy.TOTAL),
    )
    assert shown(team_table(at)) == as_shown(expected)
    points = [r["Points"] for r in team_table(at)]
    assert points == sorted(points, reverse=True)


def test_site_filter_shows_only_that_sites_teams(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_board(app_as)
    at.selectbox(key="leaderboards.site").set_value("Cardiff").run()
    table = team_table(at)
    assert {r["Team"] for r in table} == {"Willow", "Alder"}
    assert {r["Site"] for r in table} == {"Cardiff"}
    week = this_week(demo_url)
    site_id = in_store(demo_url, lambda s: organisation.site_id(s, "Cardiff"))
    expected = in_store(
        demo_url, lambda s: leaderboards.team_leaderboard(s, VIEWER, Scope(None, week.start, week.end, site_id))
    )
    assert shown(table) == as_shown(expected)
    assert "Your team is not on this board" in at.tabs[0].markdown[0].value


def test_work_mode_filter_counts_only_those_members(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_board(app_as)
    everyone = {r["Team"]: r["Members"] for r in team_table(at)}
    at.selectbox(key="leaderboards.work_mode").set_value(WorkMode.CENTRE).run()
    week = this_week(demo_url)
    expected = in_store(
        demo_url,
        lambda s: leaderboards.team_leaderboard(s, VIEWER, Scope(None, week.start, week.end, None, WorkMode.CENTRE)),
    )
    assert shown(team_table(at)) == as_shown(expected)
    centre = {r["Team"]: r["Members"] for r in team_table(at)}
    assert sum(centre.values()) < sum(everyone.values())


def test_a_challenges_own_period_gives_that_challenges_board(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    challenge = in_store(demo_url, lambda s: s.scalar(select(Challenge).where(Challenge.slug == "winter-switch-off")))
    assert challenge is not None
    at = open_board(app_as)
    at.selectbox(key="leaderboards.challenge").set_value(challenge.id).run()
    at.selectbox(key="leaderboards.period").set_value("Challenge period").run()
    expected = in_store(demo_url, lambda s: leaderboards.team_leaderboard(s, VIEWER, Scope(challenge.id)))
    assert shown(team_table(at)) == as_shown(expected)
    window = periods.span_words(challenge.starts_on, challenge.ends_on)
    ended = periods.long_date(challenge.ends_on)
    assert f"Challenge period: {window}. Ended on {ended}; does not reset." in at.caption[0].value
    assert "Counting Winter switch" in at.caption[0].value


def test_the_viewers_team_is_named_in_table_chart_and_sentence(app_as: Callable[[Role], AppTest]) -> None:
    at = open_board(app_as)
    marked = [r for r in team_table(at) if r["Team"].endswith("(your team)")]
    assert [r["Team"] for r in marked] == ["Cedar (your team)"]
    assert f"{marked[0]['Rank']}. Cedar (your team)" in chart_labels(at, 0)
    sentence = at.tabs[0].markdown[0].value
    assert sentence.startswith(f"Your team, Cedar, is {marked[0]['Rank']}")


def test_someone_without_a_team_sees_no_team_marked(app_as: Callable[[Role], AppTest]) -> None:
    at = open_board(app_as, Role.MANAGER)
    assert not [r for r in team_table(at) if "(your team)" in r["Team"]]
    assert " leads with " in at.tabs[0].markdown[0].value
    assert not [r for r in person_table(at) if "(you)" in r["Name"]]


def test_the_person_board_is_the_top_50_plus_the_viewer(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    """Push the agent far down one challenge's board, then check the page still shows their own row."""
    agent_id, challenge_id = in_store(demo_url, _push_agent_down, write=True)
    at = open_board(app_as)
    at.selectbox(key="leaderboards.challenge").set_value(challenge_id).run()
    at.selectbox(key="leaderboards.period").set_value("Challenge period").run()
    scope = Scope(challenge_id)
    top = in_store(demo_url, lambda s: leaderboards.person_leaderboard(s, VIEWER, scope, 50))
    mine = in_store(demo_url, lambda s: leaderboards.person_row(s, VIEWER, scope, agent_id))
    assert mine is not None and mine.rank > 50
    table = person_table(at)
    assert [(r["Rank"], r["Name"], r["Points"]) for r in table] == [
        (r.rank, r.name + (" (you)" if r.person_id == agent_id else ""), r.points) for r in [*top, mine]
    ]
    assert table[-1]["Name"].endswith("(you)")
    assert chart_labels(at, 1)[-1] == f"{mine.rank}. {mine.name} (you)"
    assert f"You are {mine.rank}" in at.tabs[1].markdown[0].value


def _push_agent_down(session: Session) -> tuple[int, int]:
    """Leave the demo agent with 0.25 h of volunteering and give 55 colleagues a full hour each."""
    agent_id = session.scalar(select(Person.id).where(Person.email == demo.DEMO_ACCOUNTS[Role.AGENT]))
    challenge_id = session.scalar(select(Challenge.id).where(Challenge.slug == "virtual-volunteering"))
    assert agent_id is not None and challenge_id is not None
    session.execute(
        update(Result)
        .where(Result.person_id == agent_id, Result.challenge_id == challenge_id)
        .values(status=Status.VOIDED)
    )
    day = periods.today(settings.load(session).zone) - timedelta(days=1)
    others = session.scalars(
        select(Person.id).where(Person.active, Person.team_id.is_not(None), Person.id != agent_id).limit(55)
    ).all()
    entries = [results.ResultInput(agent_id, challenge_id, 0.25, day)]
    entries += [results.ResultInput(pid, challenge_id, 1.0, day) for pid in others]
    results.record_results(session, SYSTEM, entries)
    return agent_id, challenge_id


def test_csv_downloads_hold_the_boards_shown(
    app_as: Callable[[Role], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = record_downloads(monkeypatch)
    at = open_board(app_as)
    teams = list(csv.DictReader(io.StringIO(downloaded(at, "leaderboards.teams_csv", files))))
    assert [(int(r["rank"]), r["team"], float(r["points"]), float(r["points_per_member"])) for r in teams] == [
        (r["Rank"], r["Team"].removesuffix(" (your team)"), r["Points"], r["Points per member"]) for r in team_table(at)
    ]
    people = list(csv.DictReader(io.StringIO(downloaded(at, "leaderboards.people_csv", files))))
    assert [(int(r["rank"]), r["name"], float(r["points"])) for r in people] == [
        (r["Rank"], r["Name"].removesuffix(" (you)"), r["Points"]) for r in person_table(at)
    ]


def test_team_names_with_markup_are_shown_as_typed(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    name = "**bold** <b>x</b>"

    def rename(session: Session) -> None:
        team_id = session.scalar(select(Team.id).where(Team.name == "Cedar"))
        organisation.rename_team(session, SYSTEM, team_id or 0, name)

    in_store(demo_url, rename, write=True)
    at = open_board(app_as)
    assert f"{name} (your team)" in [r["Team"] for r in team_table(at)]
    assert at.tabs[0].markdown[0].value.startswith(f"Your team, {md(name)}, is")
    assert any(label.endswith(f"{name} (your team)") for label in chart_labels(at, 0))


def first_joined(url: str) -> date:
    """The day the demo's people joined their teams: the start of its membership history."""
    first = in_store(url, lambda s: s.scalar(select(func.min(Membership.valid_from))))
    assert isinstance(first, date)
    return first


def test_a_period_without_points_says_so(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    """A month after everyone joined and before any challenge: every team listed, no points."""
    start = first_joined(demo_url) + timedelta(days=7)
    end = start + timedelta(days=30)
    at = open_board(app_as)
    at.selectbox(key="leaderboards.period").set_value("Custom dates").run()
    at.date_input(key="leaderboards.period.dates").set_value((start, end)).run()
    assert not at.exception
    assert f"Custom range {periods.span_words(start, end)}, fixed: it does not reset." in at.caption[0].value
    assert at.tabs[0].markdown[0].value.startswith("No team has points in this period yet")
    assert {r["Points"] for r in team_table(at)} == {0.0}, "every team is still listed, with nothing yet"
    assert [i.value for i in at.tabs[1].info] == [
        "Nobody has points with these filters yet. Approved entries appear here at once."
    ]


def test_a_period_before_the_teams_existed_lists_no_team(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    end = first_joined(demo_url) - timedelta(days=1)
    at = open_board(app_as)
    at.selectbox(key="leaderboards.period").set_value("Custom dates").run()
    at.date_input(key="leaderboards.period.dates").set_value((end - timedelta(days=30), end)).run()
    assert not at.exception
    assert [i.value for i in at.tabs[0].info] == [
        "No team had active members who match these filters in this period. Try Everyone, All sites or a later period."
    ]


def test_a_large_company_charts_the_top_20_and_the_viewers_team(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    """Thirty more teams with points and none for Cedar: the chart stays readable, the table lists every team."""

    def grow(session: Session) -> None:
        today = periods.today(settings.load(session).zone)
        running = next(c for c in session.scalars(select(Challenge)) if c.starts_on <= today <= c.ends_on)
        cedar = session.scalar(select(Team.id).where(Team.name == "Cedar"))
        session.execute(update(Result).where(Result.team_id == cedar).values(status=Status.REJECTED))
        for i in range(30):
            extra = make_person(session, team=f"Extra {i:02d}")
            results.record_result(session, SYSTEM, results.ResultInput(extra.person_id or 0, running.id, 1.0, today))

    in_store(demo_url, grow, write=True)
    at = open_board(app_as)
    table = team_table(at)
    mine = next(r for r in table if r["Team"] == "Cedar (your team)")
    assert len(table) > 30 and mine["Rank"] > 20
    assert chart_labels(at, 0) == [f"{r['Rank']}. {r['Team']}" for r in [*table[:20], mine]]
    assert f"The chart shows the top 20 and yours; the table lists all {len(table)}." in at.tabs[0].caption[0].value


def test_choosing_an_ended_challenge_opens_its_own_period_with_the_final_results(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    ended = in_store(
        demo_url, lambda s: s.scalars(select(Challenge).where(Challenge.slug == "winter-switch-off")).one()
    )
    at = open_board(app_as)
    assert at.selectbox(key="leaderboards.period").value == "This week"
    at.selectbox(key="leaderboards.challenge").set_value(ended.id).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="leaderboards.period").value == "Challenge period"
    expected = in_store(demo_url, lambda s: leaderboards.team_leaderboard(s, VIEWER, Scope(ended.id)))
    assert shown(team_table(at)) == as_shown(expected)
    notes = [m.value for m in at.markdown]
    assert ":green-badge[:material/flag: Final results]" in notes
    ended_on = periods.long_date(ended.ends_on)
    final = next(n for n in notes if n.startswith(f"{md(ended.name)} ended on {ended_on}. Winner"))
    assert md(expected[0].team) in final
    # A running challenge keeps the period chosen; all challenges have no challenge period.
    running = in_store(demo_url, lambda s: s.scalars(select(Challenge).where(Challenge.slug == "home-energy")).one())
    at.selectbox(key="leaderboards.period").set_value("Last week").run()
    at.selectbox(key="leaderboards.challenge").set_value(running.id).run()
    assert at.selectbox(key="leaderboards.period").value == "Last week"
    assert not any("Final results" in m.value for m in at.markdown)
    at.selectbox(key="leaderboards.challenge").set_value(ended.id).run()
    at.selectbox(key="leaderboards.challenge").set_value(0).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="leaderboards.period").value == "This week"
