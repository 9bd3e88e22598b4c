"""Impact: approved quantities converted with the sourced factors in use."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from db.engine import unit_of_work
from db.models import Base, Challenge, ImpactFactor, ImpactFactorPeriod, Kind, Person, Result, Role, Site, Status, Team
from engagement import amounts, exports, impact, organisation, results
from engagement.access import SYSTEM
from engagement.errors import Conflict, PermissionDenied, ValidationError
from engagement.impact import FactorInput, ImpactBy, add_factor, impact_report, list_factors, use_factor
from tests.factories import NOW, TODAY, log, make_challenge, make_person
from tests.loops import each


@pytest.fixture
def seeded(session: Session) -> Session:
    impact.seed_default_factors(session, SYSTEM)
    return session


def _rows(session: Session, by: ImpactBy, start: date | None = None, end: date | None = None) -> list[tuple]:
    report = impact_report(session, SYSTEM, by, start, end)
    return [
        (
            r.group,
            r.kwh_saved,
            r.kg_co2e_avoided,
            r.trees_planted,
            r.kg_co2e_per_year,
            r.volunteer_hours,
            r.volunteer_value,
        )
        for r in report.rows
    ]


def _factor_id(session: Session, kind: Kind, region: str) -> int:
    query = select(ImpactFactor.id).where(ImpactFactor.kind == kind, ImpactFactor.region == region)
    return session.scalars(query).one()


F = Fraction


def test_defaults_are_seeded_with_name_source_year_and_one_default_per_kind_from_the_start(seeded: Session) -> None:
    factors = list_factors(seeded, make_person(seeded))
    assert len(factors) == len(impact.DEFAULT_FACTORS)
    assert all(f.name and f.source.strip() and 1990 <= f.year <= 2026 and f.unit and f.region for f in each(factors))
    uses = impact.factor_uses(seeded, SYSTEM)
    assert [(u.kind, u.region, u.valid_from, u.valid_to) for u in uses] == [
        (kind, "", impact.BEGINNING, None) for kind in (Kind.ENERGY, Kind.TREES, Kind.VOLUNTEERING)
    ]
    in_use = {k: (f.value, f.unit, f.region, f.year) for k, f in impact.factors_in_use(seeded, TODAY).items()}
    assert in_use == {
        Kind.ENERGY: (0.445, "kg CO2e per kWh", "World", 2024),
        Kind.TREES: (6.0, "kg CO2e per tree per year", "United States", 2024),
        Kind.VOLUNTEERING: (31.8, "USD per hour", "United States", 2022),
    }


def test_quantities_are_converted_exactly_with_the_factors_in_use(seeded: Session) -> None:
    energy = make_challenge(seeded, kind=Kind.ENERGY)
    trees = make_challenge(seeded, kind=Kind.TREES)
    hours = make_challenge(seeded, kind=Kind.VOLUNTEERING)
    person = make_person(seeded, team="Cedar", site="Leeds")
    log(seeded, person, energy, 10)
    log(seeded, person, energy, 2.5, date(2026, 3, 11))
    log(seeded, person, trees, 3)
    log(seeded, person, hours, 2.5)
    log(seeded, person, hours, 1 / 3, date(2026, 3, 11))  # 20 minutes
    # 12.5 kWh × 0.445 = 5.5625 (rounded only when shown); 3 trees × 6 = 18; 2 h 50 min × 31.80 = 90.10
    assert _rows(seeded, ImpactBy.COMPANY) == [("Company", 12.5, F("5.5625"), 3, 18, F(17, 6), F("90.1"))]
    assert impact_report(seeded, SYSTEM, ImpactBy.COMPANY).currency == "USD"
    assert amounts.rounded(F("5.5625"), 2) == Decimal("5.56") and amounts.rounded(F("0.125"), 2) == Decimal("0.13")


def test_impact_by_team_and_site_follows_the_credited_team(seeded: Session) -> None:
    energy = make_challenge(seeded)
    leeds = make_person(seeded, team="Cedar", site="Leeds")
    manila = make_person(seeded, team="Maple", site="Manila")
    log(seeded, leeds, energy, 10)
    log(seeded, manila, energy, 20)
    assert leeds.person_id is not None
    organisation.move_person(seeded, SYSTEM, leeds.person_id, "Maple", date(2026, 3, 12))
    log(seeded, leeds, energy, 4, date(2026, 3, 12))
    assert _rows(seeded, ImpactBy.TEAM) == [
        ("Cedar", 10, F("4.45"), 0, 0, 0, 0),
        ("Maple", 24, F("10.68"), 0, 0, 0, 0),
    ]
    assert [(r[0], r[1]) for r in _rows(seeded, ImpactBy.SITE)] == [("Leeds", 10.0), ("Manila", 24.0)]
    assert [(r[0], r[1]) for r in _rows(seeded, ImpactBy.COMPANY)] == [("Company", 34.0)]


def test_impact_counts_approved_quantities_uncapped_of_former_colleagues_too(seeded: Session) -> None:
    energy = make_challenge(seeded, daily_cap=5)
    person = make_person(seeded)
    log(seeded, person, energy, 8)
    log(seeded, person, energy, 8)
    log(seeded, person, energy, 100, status=Status.PENDING)
    log(seeded, person, energy, 100, status=Status.REJECTED)
    stored = seeded.get(Person, person.person_id)
    assert stored is not None
    organisation.deactivate_person(seeded, SYSTEM, stored.id, stored.version)
    assert [(r[0], r[1]) for r in _rows(seeded, ImpactBy.COMPANY)] == [("Company", 16.0)]


def test_impact_over_a_period_includes_both_ends(seeded: Session) -> None:
    energy = make_challenge(seeded)
    person = make_person(seeded)
    for day, quantity in ((8, 1), (9, 2), (12, 4), (13, 8)):
        log(seeded, person, energy, quantity, date(2026, 3, day))
    assert [r[1] for r in _rows(seeded, ImpactBy.COMPANY, date(2026, 3, 9), date(2026, 3, 12))] == [6.0]
    assert [r[1] for r in _rows(seeded, ImpactBy.COMPANY, date(2026, 3, 13))] == [8.0]
    assert _rows(seeded, ImpactBy.COMPANY, date(2026, 4, 1)) == []


def _uk_and_manila(session: Session) -> tuple[int, int, int]:
    """An energy challenge over February and March, with 10 kWh logged in each month at Leeds and at Manila."""
    energy = make_challenge(session, starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 29))
    leeds = make_person(session, team="Cedar", site="Leeds")
    manila = make_person(session, team="Maple", site="Manila")
    for person in (leeds, manila):
        log(session, person, energy, 10, date(2026, 2, 10))
        log(session, person, energy, 10, date(2026, 3, 10))
    sites = {s.name: s.id for s in impact.site_regions(session, SYSTEM)}
    impact.set_site_region(session, SYSTEM, sites["Leeds"], "United Kingdom")
    impact.set_site_region(session, SYSTEM, sites["Manila"], " Philippines ")
    return energy, sites["Leeds"], sites["Manila"]


def test_a_regional_factor_applies_from_its_month_to_its_regions_sites_only(seeded: Session) -> None:
    _uk_and_manila(seeded)
    february = (date(2026, 2, 1), date(2026, 2, 28))
    before = impact_report(seeded, SYSTEM, ImpactBy.SITE, *february).rows
    uk = _factor_id(seeded, Kind.ENERGY, "United Kingdom")
    use = use_factor(seeded, SYSTEM, uk, date(2026, 3, 1), today=TODAY, regional=True)
    assert (use.region, use.since, use.until, use.applies_to) == (
        "United Kingdom",
        "2026-03-01",
        "",
        "Sites in United Kingdom",
    )
    # February (and Manila, always) keep the world average; Leeds's March is 10 kWh × 0.177.
    assert impact_report(seeded, SYSTEM, ImpactBy.SITE, *february).rows == before
    assert [(r[0], r[2]) for r in _rows(seeded, ImpactBy.SITE)] == [
        ("Leeds", F("4.45") + F("1.77")),
        ("Manila", F("8.9")),
    ]
    report = impact_report(seeded, SYSTEM, ImpactBy.SITE)
    leeds, manila = report.rows
    assert [(u.factor.name, u.region, u.since) for u in report.used(leeds) if u.kind is Kind.ENERGY] == [
        ("IEA world average grid 2024", "", "the start"),
        ("UK DESNZ grid 2025", "United Kingdom", "2026-03-01"),
    ]
    assert [u.factor.name for u in report.used(manila)] == ["IEA world average grid 2024"]
    assert impact.factors_in_use(seeded, TODAY)[Kind.ENERGY].region == "World"


def test_a_new_default_from_next_month_leaves_every_past_report_as_it_was(seeded: Session) -> None:
    _uk_and_manila(seeded)
    reports = {by: impact_report(seeded, SYSTEM, by).rows for by in ImpactBy}
    us = _factor_id(seeded, Kind.ENERGY, "United States")
    use_factor(seeded, SYSTEM, us, date(2026, 4, 1), today=TODAY)
    assert {by: impact_report(seeded, SYSTEM, by).rows for by in ImpactBy} == reports
    uses = [u for u in impact.factor_uses(seeded, SYSTEM) if u.kind is Kind.ENERGY]
    assert [(u.factor.region, u.since, u.until) for u in uses] == [
        ("World", "the start", "2026-03-31"),
        ("United States", "2026-04-01", ""),
    ]
    assert impact.factors_in_use(seeded, date(2026, 4, 1))[Kind.ENERGY].region == "United States"


def test_a_factor_starts_on_a_months_first_day_and_restates_past_months_only_on_purpose(seeded: Session) -> None:
    _uk_and_manila(seeded)
    uk = _factor_id(seeded, Kind.ENERGY, "United Kingdom")
    with pytest.raises(ValidationError, match="first day of a month"):
        use_factor(seeded, SYSTEM, uk, date(2026, 3, 15), today=TODAY)
    with pytest.raises(ValidationError, match="before this month: it would change figures already reported"):
        use_factor(seeded, SYSTEM, uk, date(2026, 2, 1), today=TODAY)
    use_factor(seeded, SYSTEM, uk, date(2026, 2, 1), today=TODAY, restate=True)
    assert [(r[0], r[2]) for r in _rows(seeded, ImpactBy.COMPANY)] == [("Company", F("40") * F("0.177"))]
    use_factor(seeded, SYSTEM, uk, date(2026, 2, 1), today=TODAY, restate=True)  # again: nothing changes
    assert len([u for u in impact.factor_uses(seeded, SYSTEM) if u.kind is Kind.ENERGY]) == 2


def test_choosing_a_factor_someone_else_has_just_changed_is_refused(seeded: Session) -> None:
    world, us, uk = (_factor_id(seeded, Kind.ENERGY, r) for r in ("World", "United States", "United Kingdom"))
    use_factor(seeded, SYSTEM, us, date(2026, 4, 1), today=TODAY, expected_in_use=world)
    with pytest.raises(Conflict, match="changed by someone else"):
        use_factor(seeded, SYSTEM, uk, date(2026, 4, 1), today=TODAY, expected_in_use=world)
    replaced = use_factor(seeded, SYSTEM, uk, date(2026, 4, 1), today=TODAY, expected_in_use=us)
    assert replaced.factor.id == uk and len(impact.factor_uses(seeded, SYSTEM)) == 4


def test_volunteering_factors_in_use_share_one_currency(seeded: Session) -> None:
    gbp = _factor_id(seeded, Kind.VOLUNTEERING, "United Kingdom")
    with pytest.raises(ValidationError, match="volunteering factors in use are in USD"):
        use_factor(seeded, SYSTEM, gbp, date(2026, 4, 1), today=TODAY, regional=True)


def test_the_store_refuses_two_periods_of_one_kind_and_region_from_the_same_day(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        impact.seed_default_factors(session, SYSTEM)
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        factor = session.scalars(select(ImpactFactor.id).where(ImpactFactor.kind == Kind.ENERGY)).first()
        session.add(ImpactFactorPeriod(kind=Kind.ENERGY, region="", valid_from=impact.BEGINNING, factor_id=factor))
        session.flush()


def test_a_new_factor_must_say_what_it_is_and_where_it_comes_from(seeded: Session) -> None:
    with pytest.raises(ValidationError) as error:
        add_factor(seeded, SYSTEM, FactorInput(Kind.ENERGY, "", 0, "kg CO2 per kWh", "France", 1850, " "))
    assert [str(p) for p in error.value.problems] == [
        "value: must be a number greater than 0",
        "year: must be a year such as 2024",
        "name: is required: every factor says where it comes from",
        "source: is required: every factor says where it comes from",
        "unit: must be 'kg CO2e per kWh': the report adds them up",
    ]
    with pytest.raises(ValidationError, match="currency code and 'per hour'"):
        add_factor(seeded, SYSTEM, FactorInput(Kind.VOLUNTEERING, "x", 20, "dollars", "US", 2024, "y"))
    added = add_factor(
        seeded, SYSTEM, FactorInput(Kind.ENERGY, "RTE France 2024", 0.021, "kg CO2e per kWh", "France", 2024, "RTE")
    )
    assert (added.name, added.source, added.year) == ("RTE France 2024", "RTE", 2024)


def test_only_admins_manage_factors_and_regions_and_only_managers_and_admins_read_reports(seeded: Session) -> None:
    uk = _factor_id(seeded, Kind.ENERGY, "United Kingdom")
    make_person(seeded, site="Leeds")
    site = impact.site_regions(seeded, SYSTEM)[0].id
    for role, team in ((Role.AGENT, "Cedar"), (Role.LEAD, "Cedar"), (Role.MANAGER, None)):
        actor = make_person(seeded, role=role, team=team)
        with pytest.raises(PermissionDenied):
            use_factor(seeded, actor, uk, date(2026, 4, 1), today=TODAY)
        with pytest.raises(PermissionDenied):
            add_factor(seeded, actor, FactorInput(Kind.TREES, "t", 1, "kg", "x", 2024, "y"))
        with pytest.raises(PermissionDenied):
            impact.set_site_region(seeded, actor, site, "United Kingdom")
        if role is not Role.MANAGER:
            with pytest.raises(PermissionDenied):
                impact_report(seeded, actor, ImpactBy.COMPANY)
    manager = make_person(seeded, role=Role.MANAGER, team=None)
    assert impact_report(seeded, manager, ImpactBy.COMPANY).rows == []


# -- property: the report equals the approved results, whatever happened to them --

DAY0 = date(2026, 1, 5)
KINDS = (Kind.ENERGY, Kind.TREES, Kind.VOLUNTEERING)
Op = tuple[object, ...]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[int | None], list[int], list[Op], date | None, date | None]:
    sites = draw(st.lists(st.none() | st.integers(0, 1), min_size=1, max_size=3))
    sizes = [draw(st.integers(1, 3)) for _ in sites]
    people = sum(sizes)
    # 5 January to 15 April 2026 (four calendar months), often right at a month's edge.
    month_edges = [(date(2026, m, d) - DAY0).days for m, d in ((1, 31), (2, 1), (2, 28), (3, 1), (3, 31), (4, 1))]
    day = st.integers(0, 100) | st.sampled_from(month_edges)
    log = st.tuples(
        st.just("log"),
        st.integers(0, people - 1),
        st.integers(0, 2),
        st.integers(1, 40),
        day,
        st.sampled_from((Status.APPROVED, Status.APPROVED, Status.PENDING, Status.REJECTED)),
    )
    ops = draw(
        st.lists(
            st.one_of(
                log,
                log,
                log,
                st.tuples(st.just("decide"), st.integers(0, 99), st.booleans()),
                st.tuples(st.just("void"), st.integers(0, 99)),
                st.tuples(st.just("edit"), st.integers(0, 99), st.integers(1, 40), day),
                st.tuples(st.just("move"), st.integers(0, people - 1), st.integers(0, len(sites) - 1), day),
                st.tuples(st.just("deactivate"), st.integers(0, people - 1)),
            ),
            max_size=25,
        )
    )
    # Windows that start or end on a day with results, or on a month's first or last day.
    days = [op[4] for op in ops if op[0] == "log"] + [op[3] for op in ops if op[0] == "edit"]
    edges = [date(2026, m, 1) for m in (2, 3, 4)] + [date(2026, m, 1) - timedelta(days=1) for m in (2, 3, 4)]
    window = st.sampled_from([DAY0 + timedelta(days=d) for d in days] + edges) | day.map(
        lambda d: DAY0 + timedelta(days=d)
    )
    return sites, sizes, ops, draw(st.none() | window), draw(st.none() | window)


def _apply(session: Session, sites: list[int | None], sizes: list[int], ops: list[Op]) -> None:
    people = [
        make_person(session, team=f"T{t}", site=None if site is None else f"S{site}")
        for t, (site, size) in enumerate(zip(sites, sizes, strict=True))
        for _ in range(size)
    ]
    kinds = [make_challenge(session, kind=k, starts_on=DAY0, ends_on=date(2026, 4, 26)) for k in KINDS]
    logged: list[int] = []
    for op in ops:
        try:
            if op[0] == "log":
                _, p, k, quarters, d, status = op
                entry = results.ResultInput(
                    people[p].person_id, kinds[k], quarters / 4, DAY0 + timedelta(days=d), status=status
                )  # type: ignore[arg-type]
                logged += results.record_results(session, SYSTEM, [entry], now=NOW).ids
            elif op[0] == "move":
                _, p, t, d = op
                organisation.move_person(session, SYSTEM, people[p].person_id, f"T{t}", DAY0 + timedelta(days=d))  # type: ignore[arg-type]
            elif op[0] == "deactivate":
                person = session.get(Person, people[op[1]].person_id)  # type: ignore[index]
                organisation.deactivate_person(session, SYSTEM, person.id, person.version)  # type: ignore[union-attr]
            elif logged:
                result = session.get(Result, logged[op[1] % len(logged)])  # type: ignore[operator]
                assert result is not None
                if op[0] == "decide":
                    results.decide(session, SYSTEM, [result.id], approve=bool(op[2]), reason="checked")
                elif op[0] == "void":
                    results.void_result(session, SYSTEM, result.id, result.version, "mistake")
                else:
                    day = DAY0 + timedelta(days=op[3])  # type: ignore[operator]
                    results.edit_result(
                        session, SYSTEM, result.id, result.version, quantity=op[2] / 4, occurred_on=day, now=NOW
                    )  # type: ignore[operator]
            session.flush()
        except ValidationError:
            pass  # e.g. logging for someone deactivated, or editing a voided entry
        session.expire_all()


def _expected(session: Session, by: ImpactBy, start: date | None, end: date | None) -> dict[str, tuple[Fraction, ...]]:
    team = aliased(Team)
    rows = session.execute(
        select(Result.quantity, Result.occurred_on, Challenge.kind, team.name, Site.name)
        .join(Challenge, Challenge.id == Result.challenge_id)
        .outerjoin(team, team.id == Result.team_id)
        .outerjoin(Site, Site.id == team.site_id)
        .where(Result.status == Status.APPROVED)
    ).all()
    totals: dict[str, dict[Kind, Fraction]] = {}
    for quantity, day, kind, team_name, site_name in rows:
        if (start is None or day >= start) and (end is None or day <= end):
            group = {ImpactBy.TEAM: team_name or "No team", ImpactBy.SITE: site_name or "No site"}.get(by, "Company")
            totals.setdefault(group, dict.fromkeys(KINDS, Fraction(0)))[kind] += Fraction(quantity)
    return {g: tuple(q[k] for k in KINDS) for g, q in totals.items()}


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_the_report_equals_the_approved_results_after_any_history(engine: Engine, history: tuple) -> None:
    sites, sizes, ops, start, end = history
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    with unit_of_work(engine) as session:
        _apply(session, sites, sizes, ops)
    windows = {(start, end), (start, None), (None, end), (start, start), (end, end)}
    with unit_of_work(engine, write=False) as session:
        for (first, last), by in each(itertools.product(windows, ImpactBy)):
            report = impact_report(session, SYSTEM, by, first, last)
            shown = {r.group: (r.kwh_saved, r.trees_planted, r.volunteer_hours) for r in report.rows}
            assert shown == _expected(session, by, first, last), (by, first, last)


# -- property: every grouping of a period adds up to the same exact total ----------

REGIONS = (None, "United Kingdom", "Philippines")
MONTHS = [date(2026, m, 1) for m in (1, 2, 3, 4)]
AFTER = datetime(2026, 5, 1, 12, tzinfo=UTC)  # every generated day has passed


@st.composite
def organisations(draw: st.DrawFn) -> dict[str, Any]:
    sites = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3))
    teams = draw(st.lists(st.integers(0, len(sites)), min_size=1, max_size=5))  # len(sites): no site
    quantity = {
        Kind.ENERGY: st.integers(1, 99_999).map(lambda n: n / 1000),  # kWh to the Wh
        Kind.TREES: st.integers(1, 40).map(float),
        Kind.VOLUNTEERING: st.integers(1, 600).map(lambda m: m / 60),  # whole minutes
    }
    entries = draw(
        st.lists(
            st.tuples(st.integers(0, len(teams) - 1), st.sampled_from(KINDS), st.integers(0, 110)).flatmap(
                lambda t: st.tuples(st.just(t), quantity[t[1]])
            ),
            min_size=1,
            max_size=30,
        )
    )
    periods = draw(
        st.lists(
            st.tuples(
                st.sampled_from(KINDS),
                st.booleans(),
                st.sampled_from(MONTHS),
                st.integers(1, 99_999).map(lambda n: n / 1000),  # 0.001 to 99.999
            ),
            max_size=6,
        )
    )
    day = st.integers(0, 110).map(lambda d: DAY0 + timedelta(days=d))
    return {"sites": sites, "teams": teams, "entries": entries, "periods": periods, "window": draw(st.tuples(day, day))}


def _build(session: Session, case: dict[str, Any]) -> None:
    sites = case["sites"]
    people = [
        make_person(session, team=f"T{i}", site=None if s == len(sites) else f"S{s}")
        for i, s in enumerate(case["teams"])
    ]
    regions = {f"S{i}": region for i, region in enumerate(sites)}
    for site in impact.site_regions(session, SYSTEM):
        impact.set_site_region(session, SYSTEM, site.id, regions.get(site.name))
    challenges = {k: make_challenge(session, kind=k, starts_on=DAY0, ends_on=date(2026, 4, 30)) for k in KINDS}
    for (team, kind, day), quantity in case["entries"]:
        entry = results.ResultInput(people[team].person_id or 0, challenges[kind], quantity, DAY0 + timedelta(days=day))
        results.record_results(session, SYSTEM, [entry], now=AFTER)
    for n, (kind, regional, month, value) in enumerate(case["periods"]):
        region = "United Kingdom" if n % 2 else "Philippines"
        unit = impact.FACTOR_UNITS[kind] if kind is not Kind.VOLUNTEERING else "USD per hour"
        value = round(value, 2) + 0.01 if kind is Kind.VOLUNTEERING else value  # money has cents
        factor = add_factor(session, SYSTEM, FactorInput(kind, f"F{n}", value, unit, region, 2025, "test"))
        regional = regional and kind is not Kind.VOLUNTEERING  # the value of an hour: one rate a month
        use_factor(session, SYSTEM, factor.id, month, today=TODAY, regional=regional, restate=True)


@pytest.mark.slow
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=organisations())
def test_team_site_and_company_totals_of_a_period_add_up_exactly_and_the_csv_value_is_hours_times_rate(
    engine: Engine, case: dict[str, Any]
) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    with unit_of_work(engine) as session:
        impact.seed_default_factors(session, SYSTEM)
        _build(session, case)
    first, last = sorted(case["window"])
    checked = 0
    with unit_of_work(engine, write=False) as session:
        for start, end in ((None, None), (first, last), (first, None), (None, last)):
            reports = {by: impact_report(session, SYSTEM, by, start, end) for by in ImpactBy}
            totals = {by: r.total for by, r in reports.items()}
            for name in impact.FIGURES:
                sums = {by: sum((getattr(row, name) for row in r.rows), Fraction(0)) for by, r in reports.items()}
                assert len(set(sums.values())) == 1, (name, start, end, sums)
                assert {getattr(t, name) for t in totals.values()} == set(sums.values())
            csv_totals = {
                by: exports.impact_records(r, by.value, with_total=True)[-1] for by, r in reports.items() if r.rows
            }
            assert len({tuple(t[c] for c in impact.FIGURES) for t in csv_totals.values()}) <= 1
        for month in MONTHS:
            end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            report = impact_report(session, SYSTEM, ImpactBy.COMPANY, month, end)
            if not report.rows or not report.rows[0].volunteer_hours:
                continue
            (rate,) = [
                Fraction(repr(u.factor.value)) for u in report.used(report.rows[0]) if u.kind is Kind.VOLUNTEERING
            ]
            row = next(
                csv.DictReader(
                    io.StringIO(
                        exports.to_csv(exports.impact_records(report, "company"), exports.impact_columns("company"))
                    )
                )
            )
            minutes = round(Decimal(row["volunteer_hours"]) * 60)
            assert Fraction(minutes, 60) == report.rows[0].volunteer_hours
            assert Decimal(row["volunteer_value"]) == amounts.rounded(Fraction(minutes, 60) * rate, 2)
            checked += 1
    if any(
        kind is Kind.VOLUNTEERING and DAY0 + timedelta(days=day) >= MONTHS[0] for (_, kind, day), _ in case["entries"]
    ):
        assert checked, "a month with volunteering was checked against hours × rate"
