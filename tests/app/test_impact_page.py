"""The Impact report: managers and admins only; figures, totals and downloads equal impact_report's."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Challenge, Role, Team
from engagement import amounts, demo, exports, impact, organisation, periods, results, settings
from engagement.access import SYSTEM, Actor, actor_for_email
from engagement.impact import ImpactBy, ImpactReport
from tests.app.conftest import DASHBOARD, signed_in
from tests.app.downloads import downloaded, record_downloads
from tests.factories import in_store, make_person
from ui.widgets import md

PAGE = "pages/impact_report.py"
FIELDS = {
    "kwh_saved": "Energy saved (kWh)",
    "kg_co2e_avoided": "CO2e avoided (kg)",
    "trees_planted": "Trees planted",
    "kg_co2e_per_year": "Trees' CO2e (kg a year)",
    "volunteer_hours": "Volunteer hours",
    "volunteer_value": "Hours' value (USD)",
}


def headline(field: str, value: float) -> str:
    """A headline metric as the house formatter writes it: whole trees, time in hours and minutes, money to the cent."""
    return amounts.figure(value, amounts.MEASURE_UNITS[field])


GROUP_TITLES = {ImpactBy.TEAM: "Team", ImpactBy.SITE: "Site", ImpactBy.COMPANY: "Whole company"}


def open_report(app_as: Callable[[Role], AppTest], role: Role = Role.MANAGER) -> AppTest:
    at = app_as(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def report_for(url: str, by: ImpactBy, start: date | None = None, end: date | None = None) -> ImpactReport:
    def read(session: Session) -> ImpactReport:
        manager = actor_for_email(session, demo.DEMO_ACCOUNTS[Role.MANAGER])
        assert isinstance(manager, Actor)
        return impact.impact_report(session, manager, by, start, end)

    return in_store(url, read)


def full_table(at: AppTest) -> list[dict[str, Any]]:
    """The report's table (the last dataframe: the factors are a static table)."""
    return at.dataframe[-1].value.to_dict("records")


def expected_table(report: ImpactReport, by: ImpactBy) -> list[dict[str, Any]]:
    return [
        {GROUP_TITLES[by]: r[by.value], **{FIELDS[f]: r[f] for f in FIELDS}}
        for r in exports.impact_records(report, by.value, with_total=True)
    ]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_open_the_report(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = open_report(app_as, role)
    assert at.title[0].value == "Impact report"
    assert full_table(at)[-1]["Team"] == "Total"


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_agents_and_leads_cannot_reach_the_report(app_as: Callable[[Role], AppTest], demo_url: str, role: Role) -> None:
    at = app_as(role)
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page(PAGE)
    # Run directly (as a deep link on a fresh server would), the page's own guard stops it.
    page = str(Path(DASHBOARD).parent / PAGE)
    direct = signed_in(AppTest.from_file(page, default_timeout=30), demo_url, demo.DEMO_ACCOUNTS[role]).run()
    assert [e.value for e in direct.error] == ["This page is for managers, admins."]
    assert not direct.dataframe and not direct.metric


def test_all_time_by_team_equals_impact_report(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_report(app_as)
    report = report_for(demo_url, ImpactBy.TEAM)
    assert full_table(at) == expected_table(report, ImpactBy.TEAM)
    assert {m.label: m.value for m in at.metric} == {FIELDS[f]: headline(f, getattr(report.total, f)) for f in FIELDS}
    assert "All time: every approved entry." in [c.value for c in at.caption]


def test_grouping_by_site_and_company(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_report(app_as)
    at.radio(key="impact.by").set_value(ImpactBy.SITE).run()
    sites = report_for(demo_url, ImpactBy.SITE)
    assert full_table(at) == expected_table(sites, ImpactBy.SITE)
    assert [r["Site"] for r in full_table(at)] == ["Cardiff", "Leeds", "Manila", "Total"]
    beside_chart = at.dataframe[0].value.to_dict("records")
    assert {r["Site"]: r["Energy saved (kWh)"] for r in beside_chart} == {r.group: r.kwh_saved for r in sites.rows}
    at.radio(key="impact.by").set_value(ImpactBy.COMPANY).run()
    company = report_for(demo_url, ImpactBy.COMPANY)
    assert full_table(at) == expected_table(company, ImpactBy.COMPANY)
    assert len(full_table(at)) == 1 and not at.get("vega_lite_chart")


def test_a_chosen_period_limits_the_report(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_report(app_as)
    at.radio(key="impact.span").set_value("Choose a period").run()
    at.selectbox(key="impact.period").set_value("This month").run()
    month = periods.this_month(periods.today(in_store(demo_url, settings.load).zone))
    report = report_for(demo_url, ImpactBy.TEAM, month.start, month.end)
    assert full_table(at) == expected_table(report, ImpactBy.TEAM)
    assert full_table(at)[-1] != expected_table(report_for(demo_url, ImpactBy.TEAM), ImpactBy.TEAM)[-1]
    assert f"{month.describe()}." in [c.value for c in at.caption]


def test_a_period_without_entries_says_so(app_as: Callable[[Role], AppTest]) -> None:
    at = open_report(app_as)
    at.radio(key="impact.span").set_value("Choose a period").run()
    at.selectbox(key="impact.period").set_value("Custom dates").run()
    at.date_input(key="impact.period.dates").set_value((date(2020, 1, 1), date(2020, 1, 31))).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["No approved entries in this period. Choose All time or a longer period."]
    assert not at.dataframe and not at.metric
    assert at.table, "the factors are still listed"


def test_downloads_equal_the_page(
    app_as: Callable[[Role], AppTest], demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = record_downloads(monkeypatch)
    at = open_report(app_as)
    rows = list(csv.DictReader(io.StringIO(downloaded(at, "impact.report_csv", files))))
    assert [{"Team": r["team"], **{FIELDS[f]: float(r[f]) for f in FIELDS}} for r in rows] == full_table(at)
    total = rows[-1]
    assert total["team"] == "Total" and total["currency"] == "USD"
    assert {FIELDS[f]: headline(f, float(total[f])) for f in FIELDS} == {m.label: m.value for m in at.metric}
    factors = list(csv.DictReader(io.StringIO(downloaded(at, "impact.factors_csv", files))))
    expected = exports.factor_records(report_for(demo_url, ImpactBy.TEAM))
    assert [(f["kind"], float(f["value"]), f["unit"], int(f["year"])) for f in factors] == [
        (f["kind"], f["value"], f["unit"], f["year"]) for f in expected
    ]


def test_factors_are_listed_with_value_unit_region_year_and_source(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_report(app_as)
    listed = at.table[0].value.to_dict("records")
    expected = exports.factor_records(report_for(demo_url, ImpactBy.TEAM))
    assert listed == [{k.capitalize(): md(v) for k, v in f.items()} for f in expected]
    assert {f["Kind"] for f in listed} == {"energy", "trees", "volunteering"}


def test_team_names_with_markup_are_shown_as_typed(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    name = "**bold** <b>x</b>"

    def rename(session: Session) -> None:
        team_id = session.scalar(select(Team.id).where(Team.name == "Cedar"))
        organisation.rename_team(session, SYSTEM, team_id or 0, name)

    in_store(demo_url, rename, write=True)
    at = open_report(app_as)
    assert name in [r["Team"] for r in full_table(at)]


def test_a_large_company_charts_the_20_largest_and_lists_every_team(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    def grow(session: Session) -> None:
        today = periods.today(settings.load(session).zone)
        running = next(c for c in session.scalars(select(Challenge)) if c.starts_on <= today <= c.ends_on)
        for i in range(25):
            extra = make_person(session, team=f"Extra {i:02d}")
            results.record_result(session, SYSTEM, results.ResultInput(extra.person_id or 0, running.id, 1.0, today))

    in_store(demo_url, grow, write=True)
    at = open_report(app_as)
    measure = at.selectbox(key="impact.measure").value
    beside_chart = at.dataframe[0].value.to_dict("records")
    bars = pa.ipc.open_stream(at.get("vega_lite_chart")[0].proto.data.data).read_pandas()
    assert len(beside_chart) == len(report_for(demo_url, ImpactBy.TEAM).rows) > 30
    assert list(bars["group"]) == [r["Team"] for r in beside_chart[:20]], measure
    assert f"The chart shows the 20 largest; the table beside it lists all {len(beside_chart)}." in [
        c.value for c in at.caption
    ]
