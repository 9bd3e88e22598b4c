"""Impact: approved quantities converted with the sourced factors in use."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from db.engine import unit_of_work
from db.models import Base, Challenge, ImpactFactor, Kind, Person, Result, Role, Site, Status, Team
from engagement import impact, organisation, results
from engagement.access import SYSTEM
from engagement.errors import PermissionDenied, ValidationError
from engagement.impact import FactorInput, ImpactBy, add_factor, impact_report, list_factors, use_factor
from tests.factories import NOW, log, make_challenge, make_person
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


def test_defaults_are_seeded_with_source_year_and_one_in_use_per_kind(seeded: Session) -> None:
    factors = list_factors(seeded, make_person(seeded))
    assert len(factors) == len(impact.DEFAULT_FACTORS)
    assert all(f.source.strip() and 1990 <= f.year <= 2026 and f.unit and f.region for f in each(factors))
    in_use = {f.kind: (f.value, f.unit, f.region, f.year) for f in factors if f.in_use}
    assert in_use == {
        Kind.ENERGY: (0.445, "kg CO2e per kWh", "World", 2024),
        Kind.TREES: (6.0, "kg CO2e per tree per year", "United States", 2024),
        Kind.VOLUNTEERING: (31.8, "USD per hour", "United States", 2022),
    }


def test_quantities_are_converted_with_the_factors_in_use(seeded: Session) -> None:
    energy = make_challenge(seeded, kind=Kind.ENERGY)
    trees = make_challenge(seeded, kind=Kind.TREES)
    hours = make_challenge(seeded, kind=Kind.VOLUNTEERING)
    person = make_person(seeded, team="Cedar", site="Leeds")
    log(seeded, person, energy, 10)
    log(seeded, person, energy, 2.5, date(2026, 3, 11))
    log(seeded, person, trees, 3)
    log(seeded, person, hours, 2.5)
    # 12.5 kWh × 0.445 = 5.5625 → 5.56; 3 trees × 6 = 18; 2.5 h × 31.80 = 79.5
    assert _rows(seeded, ImpactBy.COMPANY) == [("Company", 12.5, 5.56, 3.0, 18.0, 2.5, 79.5)]
    assert impact_report(seeded, SYSTEM, ImpactBy.COMPANY).currency == "USD"


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
        ("Cedar", 10.0, 4.45, 0.0, 0.0, 0.0, 0.0),
        ("Maple", 24.0, 10.68, 0.0, 0.0, 0.0, 0.0),
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


def test_switching_a_factor_keeps_exactly_one_in_use_per_kind(seeded: Session) -> None:
    energy = make_challenge(seeded)
    log(seeded, make_person(seeded), energy, 10)
    uk = _factor_id(seeded, Kind.ENERGY, "United Kingdom")
    use_factor(seeded, SYSTEM, uk)
    in_use = seeded.scalars(select(ImpactFactor.region).where(ImpactFactor.kind == Kind.ENERGY, ImpactFactor.in_use))
    assert in_use.all() == ["United Kingdom"]
    assert _rows(seeded, ImpactBy.COMPANY)[0][2] == 1.77  # 10 kWh × 0.177
    use_factor(seeded, SYSTEM, uk)  # using the one in use again changes nothing
    assert seeded.scalar(select(ImpactFactor.region).where(ImpactFactor.kind == Kind.ENERGY, ImpactFactor.in_use)) == (
        "United Kingdom"
    )


def test_the_store_refuses_two_factors_in_use_for_one_kind(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        impact.seed_default_factors(session, SYSTEM)
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        session.execute(update(ImpactFactor).where(ImpactFactor.kind == Kind.ENERGY).values(in_use=True))


def test_a_new_factor_must_say_where_it_comes_from(seeded: Session) -> None:
    with pytest.raises(ValidationError) as error:
        add_factor(seeded, SYSTEM, FactorInput(Kind.ENERGY, 0, "kg CO2e per kWh", "France", 1850, " "))
    assert [str(p) for p in error.value.problems] == [
        "value: must be a number greater than 0",
        "year: must be a year such as 2024",
        "source: is required: every factor says where it comes from",
    ]
    added = add_factor(
        seeded, SYSTEM, FactorInput(Kind.ENERGY, 0.021, "kg CO2e per kWh", "France", 2024, "RTE eco2mix 2024"), use=True
    )
    assert (added.in_use, added.source, added.year) == (True, "RTE eco2mix 2024", 2024)


def test_only_admins_manage_factors_and_only_managers_and_admins_read_reports(seeded: Session) -> None:
    uk = _factor_id(seeded, Kind.ENERGY, "United Kingdom")
    for role, team in ((Role.AGENT, "Cedar"), (Role.LEAD, "Cedar"), (Role.MANAGER, None)):
        actor = make_person(seeded, role=role, team=team)
        with pytest.raises(PermissionDenied):
            use_factor(seeded, actor, uk)
        with pytest.raises(PermissionDenied):
            add_factor(seeded, actor, FactorInput(Kind.TREES, 1, "kg", "x", 2024, "y"))
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


def _expected(session: Session, by: ImpactBy, start: date | None, end: date | None) -> dict[str, tuple[float, ...]]:
    team = aliased(Team)
    rows = session.execute(
        select(Result.quantity, Result.occurred_on, Challenge.kind, team.name, Site.name)
        .join(Challenge, Challenge.id == Result.challenge_id)
        .outerjoin(team, team.id == Result.team_id)
        .outerjoin(Site, Site.id == team.site_id)
        .where(Result.status == Status.APPROVED)
    ).all()
    totals: dict[str, dict[Kind, float]] = {}
    for quantity, day, kind, team_name, site_name in rows:
        if (start is None or day >= start) and (end is None or day <= end):
            group = {ImpactBy.TEAM: team_name or "No team", ImpactBy.SITE: site_name or "No site"}.get(by, "Company")
            totals.setdefault(group, dict.fromkeys(KINDS, 0.0))[kind] += quantity
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
