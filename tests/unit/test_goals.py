"""Company goals: progress as the Impact report counts it, pace in words at fixed days, admin-only writes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, CompanyGoal, ImpactFactor, Kind, Person, Role, Status
from engagement import goals, impact, organisation, results
from engagement.access import SYSTEM
from engagement.errors import Conflict, NotFound, PermissionDenied, ValidationError
from engagement.goals import GoalInput, GoalMeasure, Pace
from engagement.impact import ImpactBy
from tests.factories import log, make_challenge, make_person

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _goal(session: Session, measure: GoalMeasure, target: float, start: date, end: date, name: str = "Goal") -> int:
    return goals.create_goal(session, SYSTEM, GoalInput(name, measure, target, start, end)).id


def _shown(session: Session, today: date) -> dict[str, goals.GoalProgress]:
    return {g.name: g for g in goals.list_goals(session, SYSTEM, today)}


@pytest.fixture
def seeded(session: Session) -> Session:
    impact.seed_default_factors(session, SYSTEM)
    return session


def test_progress_is_the_impact_reports_company_total_for_the_goals_period(seeded: Session) -> None:
    session = seeded
    energy = make_challenge(session, kind=Kind.ENERGY, starts_on=date(2026, 1, 5), ends_on=date(2026, 3, 29))
    trees = make_challenge(session, kind=Kind.TREES, starts_on=date(2026, 1, 5), ends_on=date(2026, 3, 29))
    hours = make_challenge(session, kind=Kind.VOLUNTEERING, starts_on=date(2026, 1, 5), ends_on=date(2026, 3, 29))
    leeds = make_person(session, team="Cedar", site="Leeds")
    manila = make_person(session, team="Maple", site="Manila")
    leaver = make_person(session, team="Maple", site="Manila")
    sites = {s.name: s.id for s in impact.site_regions(session, SYSTEM)}
    impact.set_site_region(session, SYSTEM, sites["Leeds"], "United Kingdom")
    uk = session.scalar(
        select(ImpactFactor.id).where(ImpactFactor.kind == Kind.ENERGY, ImpactFactor.region == "United Kingdom")
    )
    assert uk is not None
    impact.use_factor(session, SYSTEM, uk, date(2026, 2, 1), today=date(2026, 1, 1), regional=True)
    for person, day in ((leeds, date(2026, 1, 20)), (manila, date(2026, 2, 10)), (leaver, date(2026, 3, 3))):
        log(session, person, energy, 12.345, day)
        log(session, person, trees, 3, day)
        log(session, person, hours, 1.25, day)
    log(session, leeds, energy, 7, date(2026, 2, 17))  # Leeds in February: the UK factor
    log(session, manila, energy, 500, date(2026, 2, 11), status=Status.PENDING)
    rejected = log(session, manila, trees, 40, date(2026, 2, 12), status=Status.PENDING)
    results.decide(session, SYSTEM, [rejected], approve=False, reason="no photo")
    voided = log(session, leeds, hours, 9, date(2026, 2, 13))
    results.void_result(session, SYSTEM, voided, 1, "duplicate")
    person = session.get(Person, leaver.person_id)
    assert person is not None
    organisation.deactivate_person(session, SYSTEM, person.id, person.version)
    # A goal over the whole quarter, and one from mid-January to mid-February (partial months both ends).
    for name, start, end in (
        ("Quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("Span", date(2026, 1, 15), date(2026, 2, 14)),
    ):
        for measure in GoalMeasure:
            _goal(session, measure, 100, start, end, f"{name} {measure.value}")
    shown = _shown(session, date(2026, 3, 1))
    for name, start, end in (
        ("Quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("Span", date(2026, 1, 15), date(2026, 2, 14)),
    ):
        total = impact.impact_report(session, SYSTEM, ImpactBy.TEAM, start, end).total
        for measure in GoalMeasure:
            assert shown[f"{name} {measure.value}"].done == getattr(total, measure.value)
    quarter = {m: shown[f"Quarter {m.value}"].done for m in GoalMeasure}
    # By hand: pending, rejected and voided entries do not count; the leaver's do.
    assert quarter[GoalMeasure.TREES] == 9
    assert quarter[GoalMeasure.VOLUNTEER_HOURS] == Fraction(15, 4)
    assert quarter[GoalMeasure.KWH] == Fraction(12345 * 3, 1000) + 7
    world, uk_value = Fraction("0.445"), Fraction("0.177")
    assert quarter[GoalMeasure.KG_CO2E] == Fraction(12345 * 3, 1000) * world + 7 * uk_value


def test_pace_at_the_start_in_the_middle_and_after_the_end(session: Session) -> None:
    trees = make_challenge(session, kind=Kind.TREES, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    person = make_person(session)
    _goal(session, GoalMeasure.TREES, 10_000, *YEAR, name="Trees")
    _goal(session, GoalMeasure.TREES, 365, *YEAR, name="Small")
    _goal(session, GoalMeasure.TREES, 100, date(2027, 1, 1), date(2027, 12, 31), name="Next year")
    log(session, person, trees, 120, date(2026, 1, 1))

    start = _shown(session, date(2026, 1, 1))
    assert start["Trees"].expected == 0
    assert (start["Trees"].pace, start["Trees"].line) == (
        Pace.ON_PACE,
        "on pace (120 of 10,000 trees; 0 expected by today)",
    )
    assert start["Next year"].pace is Pace.UPCOMING
    assert start["Next year"].line == "starts on Friday 1 January 2027"

    # 1 July 2026: 181 of 365 days are over, so 10,000 × 181/365 = 4,958.9 trees are expected.
    log(session, person, trees, 4_000, date(2026, 6, 30))
    middle = _shown(session, date(2026, 7, 1))
    assert middle["Trees"].expected == Fraction(10_000 * 181, 365)
    assert (middle["Trees"].pace, middle["Trees"].line) == (
        Pace.BEHIND,
        "behind by 839 trees (4,120 of 10,000 trees; 4,959 expected by today)",
    )
    assert middle["Small"].pace is Pace.REACHED
    assert middle["Small"].line == "reached (4,120 of 365 trees), with 184 days to go"


def test_after_the_end_a_goal_is_reached_or_not_reached(session: Session) -> None:
    trees = make_challenge(session, kind=Kind.TREES, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    person = make_person(session)
    log(session, person, trees, 8_000, date(2026, 3, 1))
    _goal(session, GoalMeasure.TREES, 10_000, *YEAR, name="Big")
    _goal(session, GoalMeasure.TREES, 8_000, *YEAR, name="Exact")
    after = _shown(session, date(2027, 1, 1))
    assert (after["Big"].pace, after["Big"].line) == (
        Pace.NOT_REACHED,
        "not reached (8,000 of 10,000 trees; ended on Thursday 31 December 2026)",
    )
    assert (after["Exact"].pace, after["Exact"].line) == (Pace.REACHED, "reached (8,000 of 8,000 trees)")
    assert after["Big"].expected == 10_000


def test_behind_says_by_how_much_and_time_is_in_hours_and_minutes(session: Session) -> None:
    hours = make_challenge(session, kind=Kind.VOLUNTEERING, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    person = make_person(session)
    log(session, person, hours, 10.5, date(2026, 1, 3))
    _goal(session, GoalMeasure.VOLUNTEER_HOURS, 365, *YEAR, name="Hours")
    # 11 January: 10 days over, 10 hours expected; 10 hours 30 minutes done.
    on = _shown(session, date(2026, 1, 11))["Hours"]
    assert on.line == "on pace (10 hours 30 minutes of 365 hours; 10 hours expected by today)"
    # 21 January: 20 hours expected, 9 hours 30 minutes short.
    behind = _shown(session, date(2026, 1, 21))["Hours"]
    assert (behind.pace, behind.line) == (
        Pace.BEHIND,
        "behind by 9 hours 30 minutes (10 hours 30 minutes of 365 hours; 20 hours expected by today)",
    )


def test_a_shortfall_that_shows_as_nothing_is_on_pace(session: Session) -> None:
    trees = make_challenge(session, kind=Kind.TREES, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    person = make_person(session)
    log(session, person, trees, 4_959, date(2026, 6, 30))
    _goal(session, GoalMeasure.TREES, 10_000, *YEAR, name="Trees")
    # 4,958.9 expected by 1 July: 4,959 is ahead; 4,958 done would be behind by 0.9, shown as "1 tree".
    assert _shown(session, date(2026, 7, 1))["Trees"].line == "on pace (4,959 of 10,000 trees; 4,959 expected by today)"
    assert goals.standing(
        Fraction(49589, 10), Fraction(10_000), Fraction(10_000 * 181, 365), GoalMeasure.TREES, *YEAR, date(2026, 7, 1)
    ) == (Pace.ON_PACE, "on pace (4,959 of 10,000 trees; 4,959 expected by today)")
    assert goals.standing(
        Fraction(4958), Fraction(10_000), Fraction(10_000 * 181, 365), GoalMeasure.TREES, *YEAR, date(2026, 7, 1)
    ) == (Pace.BEHIND, "behind by 1 tree (4,958 of 10,000 trees; 4,959 expected by today)")


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.MANAGER])
def test_only_admins_create_change_or_retire_goals_and_everyone_reads_them(session: Session, role: Role) -> None:
    someone = make_person(session, role=role)
    data = GoalInput("Trees", GoalMeasure.TREES, 100, *YEAR)
    with pytest.raises(PermissionDenied):
        goals.create_goal(session, someone, data)
    goal_id = _goal(session, GoalMeasure.TREES, 100, *YEAR)
    with pytest.raises(PermissionDenied):
        goals.update_goal(session, someone, goal_id, 1, data)
    with pytest.raises(PermissionDenied):
        goals.retire_goal(session, someone, goal_id, 1, NOW)
    assert [g.id for g in goals.list_goals(session, someone, date(2026, 6, 1))] == [goal_id]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (GoalInput("  ", GoalMeasure.TREES, 100, *YEAR), {"name"}),
        (GoalInput("Trees\u202e", GoalMeasure.TREES, 100, *YEAR), {"name"}),
        (GoalInput("x" * 101, GoalMeasure.TREES, 100, *YEAR), {"name"}),
        (GoalInput("Trees", GoalMeasure.TREES, 0, *YEAR), {"target"}),
        (GoalInput("Trees", GoalMeasure.TREES, float("nan"), *YEAR), {"target"}),
        (GoalInput("Trees", GoalMeasure.TREES, 1e13, *YEAR), {"target"}),
        (GoalInput("Trees", GoalMeasure.TREES, 2.5, *YEAR), {"target"}),
        (GoalInput("Trees", GoalMeasure.TREES, 100, date(2026, 2, 1), date(2026, 1, 31)), {"ends_on"}),
        (GoalInput("Trees", GoalMeasure.TREES, 100, date(2026, 1, 1), date(2037, 1, 1)), {"ends_on"}),
        (GoalInput("", "trees", -1, *YEAR), {"name", "measure", "target"}),  # type: ignore[arg-type]
    ],
)
def test_bad_input_names_each_field_and_writes_nothing(session: Session, data: GoalInput, fields: set[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        goals.create_goal(session, SYSTEM, data)
    assert {p.field for p in caught.value.problems} == fields
    assert all(p.message for p in caught.value.problems)
    assert session.scalar(select(func.count()).select_from(CompanyGoal)) == 0


def test_hours_may_be_a_fraction_but_trees_are_whole(session: Session) -> None:
    _goal(session, GoalMeasure.VOLUNTEER_HOURS, 2_000.5, *YEAR, name="Hours")
    assert _shown(session, date(2026, 6, 1))["Hours"].target == Fraction("2000.5")


def test_changes_and_retirement_are_audited_and_a_stale_version_is_refused(session: Session) -> None:
    goal_id = _goal(session, GoalMeasure.KWH, 50_000, *YEAR, name="Energy")
    goals.update_goal(session, SYSTEM, goal_id, 1, GoalInput(" 60,000  kWh ", GoalMeasure.KWH, 60_000, *YEAR))
    with pytest.raises(Conflict):
        goals.update_goal(session, SYSTEM, goal_id, 1, GoalInput("Energy", GoalMeasure.KWH, 1, *YEAR))
    shown = goals.list_goals(session, SYSTEM, date(2026, 6, 1))
    assert [(g.name, g.target, g.version) for g in shown] == [("60,000 kWh", 60_000, 2)]
    goals.retire_goal(session, SYSTEM, goal_id, 2, NOW)
    assert goals.list_goals(session, SYSTEM, date(2026, 6, 1)) == []
    with pytest.raises(NotFound):
        goals.retire_goal(session, SYSTEM, goal_id, 3, NOW)
    trail = session.execute(
        select(AuditEntry.action, AuditEntry.entity_id)
        .where(AuditEntry.entity == "company_goal")
        .order_by(AuditEntry.id)
    ).all()
    assert trail == [("goal.create", goal_id), ("goal.update", goal_id), ("goal.retire", goal_id)]


def test_running_goals_come_first_soonest_end_first_then_ended_ones_latest_first(session: Session) -> None:
    _goal(session, GoalMeasure.TREES, 1, date(2026, 1, 1), date(2026, 3, 31), "Ended early")
    _goal(session, GoalMeasure.TREES, 1, date(2026, 1, 1), date(2026, 5, 31), "Ended late")
    _goal(session, GoalMeasure.TREES, 1, date(2026, 1, 1), date(2026, 12, 31), "Year")
    _goal(session, GoalMeasure.TREES, 1, date(2026, 6, 1), date(2026, 6, 30), "June")
    _goal(session, GoalMeasure.TREES, 1, date(2027, 1, 1), date(2027, 1, 31), "Next")
    names = [g.name for g in goals.list_goals(session, SYSTEM, date(2026, 6, 10))]
    assert names == ["June", "Year", "Next", "Ended late", "Ended early"]
