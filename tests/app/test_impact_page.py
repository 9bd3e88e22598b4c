"""The Impact report: managers and admins only; figures, totals and downloads equal impact_report's."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
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


def headline(field: str, value: Fraction) -> str:
    """A headline metric as the house formatter writes it: whole trees, time as "529 h 20 min", money to the cent."""
    return amounts.headline(value, amounts.MEASURE_UNITS[field])


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
        {GROUP_TITLES[by]: r[by.value], **{FIELDS[f]: r[f] for f in FIELDS}, "Factors": r["factors"]}
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
    assert {r["Site"]: r["Energy saved (kWh)"] for r in beside_chart} == {
        r["site"]: r["kwh_saved"] for r in exports.impact_records(sites, "site")
    }
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
    assert [i.value for i in at.info] == [
        "No approved entries in this period. Choose All time or a longer period.",
        "No conversion factor applies to these entries, so only kWh, trees and hours are shown.",
    ]
    assert not at.dataframe and not at.metric and not at.table


def test_downloads_equal_the_page(
    app_as: Callable[[Role], AppTest], demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = record_downloads(monkeypatch)
    at = open_report(app_as)
    rows = list(csv.DictReader(io.StringIO(downloaded(at, "impact.report_csv", files))))
    assert [
        {"Team": r["team"], **{FIELDS[f]: float(r[f]) for f in FIELDS}, "Factors": r["factors"]} for r in rows
    ] == full_table(at)
    total = rows[-1]
    assert total["team"] == "Total" and total["currency"] == "USD"
    report = report_for(demo_url, ImpactBy.TEAM)
    assert {FIELDS[f]: headline(f, getattr(report.total, f)) for f in FIELDS} == {m.label: m.value for m in at.metric}
    # The value column is hours × the value of an hour, to the cent (hours are written to the millisecond).
    (rate,) = {u.factor.exact for u in report.uses.values() if u.kind.value == "volunteering"}
    valued = [r for r in rows if float(r["volunteer_hours"])]
    assert valued
    for r in valued:
        minutes = round(Decimal(r["volunteer_hours"]) * 60)
        assert abs(Decimal(r["volunteer_hours"]) - Decimal(minutes) / 60) < Decimal("0.000001")
        assert Decimal(r["volunteer_value"]) == amounts.rounded(Fraction(minutes, 60) * rate, 2), r
    factors = list(csv.DictReader(io.StringIO(downloaded(at, "impact.factors_csv", files))))
    expected = exports.factor_records(report)
    assert [(f["number"], f["name"], float(f["value"]), f["applies_to"], f["valid_from"]) for f in factors] == [
        (str(f["number"]), f["name"], f["value"], f["applies_to"], f["valid_from"]) for f in expected
    ]


def test_factors_are_listed_with_value_unit_region_year_and_source(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_report(app_as)
    listed = at.table[0].value.to_dict("records")
    report = report_for(demo_url, ImpactBy.TEAM)
    assert len(listed) == len(exports.factor_records(report)) == len(report.uses)
    assert {f["Factor"] for f in listed} >= {md("US EPA urban tree seedling (trees)")}
    year = periods.today(in_store(demo_url, settings.load).zone).year
    energy = [(f["Factor"], f["Applies to"], f["Period"]) for f in listed if md("(energy)") in f["Factor"]]
    assert energy == [
        tuple(
            md(x)
            for x in (
                "IEA world average grid 2024 (energy)",
                "Every site without a factor of its own region",
                "From the start to today",
            )
        ),
        tuple(md(x) for x in ("UK DESNZ grid 2025 (energy)", "Sites in United Kingdom", f"From {year}-01-01 to today")),
    ]
    # Each team names the factors it used: Leeds and Cardiff teams both energy factors, Manila's the default only.
    numbers = {r["Team"]: r["Factors"] for r in full_table(at)}
    uk, world = (str(n) for n in (2, 1))
    assert uk in numbers["Cedar"].split(", ") and uk not in numbers["Maple"].split(", ")
    assert world in numbers["Maple"].split(", ")


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
