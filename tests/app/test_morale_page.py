"""The Morale page: who may open it, that its figures are the domain's, and that small groups stay hidden."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import delete, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, unit_of_work
from db.models import MoraleCell, PulseWeek, Role, Team
from engagement import alert_rules, demo, morale, organisation, periods, publication, settings
from engagement.access import SYSTEM, actor_for_email
from engagement.morale import GroupBy
from tests.app.conftest import TIMEOUT, signed_in
from tests.loops import each

PAGE = "pages/morale.py"
PAGE_FILE = str(Path(__file__).resolve().parents[2] / PAGE)
HIDDEN = "Not enough responses"
SMALL_TEAM = "Rowan"  # the demo team of 4, always under the threshold of 5
TABS = ("Trend", "Team × week", "Response rate", "Challenges and morale")
LEEDS = {"Cedar", "Birch", "Yew", SMALL_TEAM}


def as_manager(url: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a morale function straight on the domain, as the demo manager."""
    engine = make_engine(url)
    try:
        with unit_of_work(engine, write=False) as session:
            actor = actor_for_email(session, demo.DEMO_ACCOUNTS[Role.MANAGER])
            assert actor is not None
            return fn(session, actor, *args, **kwargs)
    finally:
        engine.dispose()


def default_weeks(url: str) -> tuple[date, date]:
    """The page's default range: the last 8 closed weeks in the organisation's time zone."""
    engine = make_engine(url)
    with unit_of_work(engine, write=False) as session:
        zone = settings.load(session).zone
    engine.dispose()
    monday = periods.week_start(periods.today(zone))
    return monday - timedelta(weeks=8), monday - timedelta(days=1)


def open_morale(app_as: Callable[[Role], AppTest], role: Role = Role.MANAGER) -> AppTest:
    at = app_as(role).switch_page(PAGE).run()
    assert not at.exception
    return at


def open_tab(at: AppTest, tab: str) -> pd.DataFrame:
    """Open ``tab`` (only the open tab runs) and return its table, the only one on the page."""
    at.session_state["morale.tab"] = tab
    at.run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1, f"{tab}: {len(at.dataframe)} tables"
    return at.dataframe[0].value


def chart_data(at: AppTest) -> pd.DataFrame:
    """The rows the open tab's chart sends to the browser."""
    (chart,) = at.get("vega_lite_chart")
    return pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas()


def grow(url: str, teams: int = 60) -> None:
    """Add ``teams`` teams of one member each at Leeds and Cardiff: more teams than fit on one view.

    The demo's weeks closed before these teams existed; they are settled again as if the
    teams had been there all along, so the closed weeks list them (too few answers).
    """
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        session.execute(delete(MoraleCell))
        session.execute(delete(PulseWeek))
        for i in range(teams):
            person = organisation.PersonInput(
                f"grown{i}@example.com",
                f"Grown {i}",
                Role.AGENT,
                team=f"Grown {i:02d}",
                site=("Leeds", "Cardiff")[i % 2],
            )
            organisation.add_person(session, SYSTEM, person, since=date(2000, 1, 3))
        publication.close_weeks(session)
    engine.dispose()


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_open_morale(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = open_morale(app_as, role)
    assert at.title[0].value == "Morale"
    assert len(at.dataframe) == 1, "only the open tab runs"
    for tab in TABS:
        open_tab(at, tab)


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_agents_and_leads_have_no_morale_page(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = app_as(role)
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page(PAGE)


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_the_page_refuses_agents_and_leads_even_when_reached_directly(demo_url: str, role: Role) -> None:
    at = signed_in(AppTest.from_file(PAGE_FILE, default_timeout=TIMEOUT), demo_url, demo.DEMO_ACCOUNTS[role]).run()
    assert [e.value for e in at.error] == ["This page is for managers, admins."]
    assert not at.dataframe and not at.get("vega_lite_chart")


def test_the_small_team_shows_not_enough_responses_and_never_a_number(
    app_as: Callable[[Role], AppTest],
) -> None:
    at = open_morale(app_as)
    trend = open_tab(at, "Trend")
    small = trend[trend["Group"] == SMALL_TEAM]
    assert len(small) == 8 and set(small["Status"]) == {HIDDEN}
    for column in ("Mean score (1-5)", "eNPS (-100 to 100)", "Responses", "Invited", "Response rate (%)"):
        assert small[column].map(missing).all(), column
    for tab in ("Response rate", "Team × week"):
        pivot = open_tab(at, tab)
        row = pivot[pivot["Group"] == SMALL_TEAM].drop(columns="Group")
        assert set(row.iloc[0]) == {HIDDEN}
    in_heat_map = chart_data(at)
    assert set(in_heat_map[in_heat_map["team"] == SMALL_TEAM]["label"]) == {"n/a"}
    assert in_heat_map[in_heat_map["team"] == SMALL_TEAM]["score"].map(missing).all()
    assert any("fewer than 5 people answered" in c.value for c in at.caption)
    comparison = open_tab(at, "Challenges and morale")
    small_comparison = comparison[comparison["Team"] == SMALL_TEAM].iloc[0]
    assert missing(small_comparison["Mean score (1-5)"]) and missing(small_comparison["Answers counted"])


def test_trend_table_equals_weekly_morale(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_morale(app_as)
    start, end = default_weeks(demo_url)
    cells = as_manager(demo_url, morale.weekly_morale, GroupBy.TEAM, start, end)
    trend = open_tab(at, "Trend")
    assert len(trend) == len(cells)
    latest_first = sorted(cells, key=lambda c: c.week, reverse=True)
    for (_, row), cell in zip(trend.iterrows(), latest_first, strict=True):
        assert (row["Week of"], row["Group"]) == (cell.week.isoformat(), cell.group)
        for column, value in (
            ("Mean score (1-5)", cell.avg_score),
            ("eNPS (-100 to 100)", cell.enps),
            ("Responses", cell.responses),
            ("Invited", cell.invited),
        ):
            assert missing(row[column]) if value is None else row[column] == value, (cell, column)


def test_tables_list_the_latest_week_first(app_as: Callable[[Role], AppTest]) -> None:
    at = open_morale(app_as)
    weeks = list(open_tab(at, "Trend")["Week of"])
    assert len(set(weeks)) == 8 and weeks == sorted(weeks, reverse=True)
    for tab in ("Team × week", "Response rate"):
        columns = [c for c in open_tab(at, tab).columns if c != "Group"]
        assert len(columns) == 8 and columns == sorted(columns, reverse=True), tab


def test_site_view_withholds_a_site_by_subtraction_without_any_count(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_morale(app_as)
    at.radio(key="morale.by").set_value("Site").run()
    start, end = default_weeks(demo_url)
    cells = as_manager(demo_url, morale.weekly_morale, GroupBy.SITE, start, end)
    trend = open_tab(at, "Trend")
    withheld = trend[trend["Status"] == "Withheld to protect others"]
    assert len(withheld) == sum(c.reason == morale.BY_SUBTRACTION for c in cells) > 0
    assert any("by subtraction" in c.value for c in at.caption), "the page says why"
    hidden = trend[trend["Status"] != "Shown"]
    assert hidden[["Mean score (1-5)", "Responses", "Invited", "Response rate (%)"]].map(missing).all().all()
    shown = {(c.week.isoformat(), c.group): c.responses for c in cells if not c.suppressed}
    assert {(r["Week of"], r["Group"]): r["Responses"] for _, r in trend.iterrows() if r["Status"] == "Shown"} == shown


def test_a_site_filter_never_shows_a_group_hidden_in_the_full_view(app_as: Callable[[Role], AppTest]) -> None:
    at = open_morale(app_as)
    everything = open_tab(at, "Trend")
    at.selectbox(key="morale.site").set_value("Leeds").run()
    leeds = open_tab(at, "Trend")
    assert set(leeds["Group"]) == LEEDS
    full = everything.set_index(["Week of", "Group"])
    for _, row in leeds.iterrows():
        assert row["Status"] == full.loc[(row["Week of"], row["Group"]), "Status"]


def test_alerts_name_the_teams_the_domain_finds(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    """One warning per team, in the words of each rule that fired, then what was checked."""
    at = open_morale(app_as)
    found = as_manager(demo_url, morale.alerts)
    assert [a.team for a in found] == [demo.FALLING]
    assert len(at.warning) == len(found)
    for alert, box in zip(found, at.warning, strict=True):
        listed = "\n".join(f"- {finding.sentence()}" for finding in alert.findings)
        assert box.value.startswith(f"**{alert.team}**:\n{listed}\n\nA good next step")
    assert alert_rules.checked() in [c.value for c in at.caption]


def test_with_no_alert_the_banner_says_what_was_checked(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    engine = make_engine(demo_url)
    with unit_of_work(engine) as session:
        falling = session.scalar(select(Team.id).where(Team.name == demo.FALLING))
        session.execute(delete(MoraleCell).where(MoraleCell.grouping == "team", MoraleCell.group_id == falling))
    engine.dispose()
    at = open_morale(app_as)
    assert not at.warning
    assert [s.value for s in at.success] == [f"No morale alerts. {alert_rules.checked()}"]


def test_participation_table_equals_the_domain(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_morale(app_as)
    start, end = default_weeks(demo_url)
    rows = as_manager(demo_url, morale.participation_vs_morale, start, end)
    table = open_tab(at, "Challenges and morale")
    assert list(table["Team"]) == [r.team for r in rows]
    assert list(table["Taking part (%)"]) == [round(100 * r.participation) for r in rows]
    for value, r in zip(table["Mean score (1-5)"], rows, strict=True):
        assert missing(value) if r.morale is None else value == r.morale


def test_the_current_week_is_never_listed(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_morale(app_as)
    _, end = default_weeks(demo_url)
    assert max(open_tab(at, "Trend")["Week of"]) == (end - timedelta(days=6)).isoformat()
    assert any("appears once it has closed" in c.value for c in at.caption)


def test_a_large_organisation_opens_on_its_sites_and_lists_one_sites_teams(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    grow(demo_url)
    at = open_morale(app_as)
    assert at.radio(key="morale.by").value == "Site"
    assert at.selectbox(key="morale.team_site").value == "Leeds", "the manager's own site comes first"
    start, end = default_weeks(demo_url)
    sites = as_manager(demo_url, morale.weekly_morale, GroupBy.SITE, start, end)
    assert set(open_tab(at, "Trend")["Group"]) == {c.group for c in sites}
    every_team = {
        (c.week.isoformat(), c.group): c for c in as_manager(demo_url, morale.weekly_morale, GroupBy.TEAM, start, end)
    }
    leeds = LEEDS | {f"Grown {i:02d}" for i in range(0, 60, 2)}
    heat = open_tab(at, "Team × week")
    assert set(heat["Group"]) == leeds
    assert any("Teams of Leeds" in c.value for c in at.caption)
    for _, row in heat.iterrows():
        for week, shown in each(row.drop("Group").items()):
            cell = every_team[(week, row["Group"])]
            assert shown == (f"{cell.avg_score:.2f}" if not cell.suppressed else HIDDEN), (week, row["Group"])
    assert set(open_tab(at, "Challenges and morale")["Team"]) == leeds
    at.selectbox(key="morale.team_site").set_value("Cardiff")
    at.radio(key="morale.by").set_value("Team").run()
    cardiff = open_tab(at, "Trend")
    assert set(cardiff["Group"]) == {"Willow", "Alder"} | {f"Grown {i:02d}" for i in range(1, 60, 2)}
    for _, row in cardiff.iterrows():
        hidden = every_team[(row["Week of"], row["Group"])].suppressed
        assert row["Status"] == HIDDEN if hidden else row["Status"].startswith("Shown"), (row["Week of"], row["Group"])
