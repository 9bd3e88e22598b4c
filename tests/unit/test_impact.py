"""Impact: approved quantities converted with the sourced factors in use."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import ImpactFactor, Kind, Person, Role, Status
from engagement import impact, organisation
from engagement.access import SYSTEM
from engagement.errors import PermissionDenied, ValidationError
from engagement.impact import FactorInput, ImpactBy, add_factor, impact_report, list_factors, use_factor
from tests.factories import log, make_challenge, make_person


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
    assert all(f.source.strip() and 1990 <= f.year <= 2026 and f.unit and f.region for f in factors)
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
