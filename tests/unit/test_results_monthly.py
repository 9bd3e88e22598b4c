"""The monthly rollup of approved results stays equal to the results themselves, whatever writes them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import Challenge, ImpactMonthly, Kind, Person, Result, ResultsMonthly, Role, Status, Team
from engagement import audit, impact, imports, organisation, results
from engagement.access import SYSTEM
from tests.factories import make_challenge, make_person
from tests.loops import each

Cells = dict[tuple[date, int, int], tuple[float, int]]


def rollup(session: Session) -> Cells:
    rows = session.execute(
        select(
            ResultsMonthly.month,
            ResultsMonthly.challenge_id,
            ResultsMonthly.team_key,
            ResultsMonthly.quantity,
            ResultsMonthly.results,
        )
    )
    return {(m, c, t): (round(q, 6), n) for m, c, t, q, n in rows}


def from_results(session: Session) -> Cells:
    out: dict[tuple[date, int, int], tuple[float, int]] = {}
    rows = session.execute(
        select(Result.occurred_on, Result.challenge_id, Result.team_id, Result.quantity).where(
            Result.status == Status.APPROVED
        )
    )
    for day, challenge, team, quantity in rows:
        key = (day.replace(day=1), challenge, team or 0)
        total, n = out.get(key, (0.0, 0))
        out[key] = (total + quantity, n + 1)
    return {k: (round(q, 6), n) for k, (q, n) in out.items()}


def by_kind(session: Session) -> dict[tuple[date, int, Kind], tuple[float, int]]:
    """The impact rollup as it should be: the challenge rollup summed per kind."""
    kinds = {challenge: kind for challenge, kind in session.execute(select(Challenge.id, Challenge.kind))}
    out: dict[tuple[date, int, Kind], tuple[float, int]] = {}
    for (month, challenge, team), (quantity, n) in from_results(session).items():
        total, count = out.get((month, team, kinds[challenge]), (0.0, 0))
        out[(month, team, kinds[challenge])] = (total + quantity, count + n)
    return {k: (round(q, 6), n) for k, (q, n) in out.items()}


def impact_rollup(session: Session) -> dict[tuple[date, int, Kind], tuple[float, int]]:
    rows = session.execute(
        select(
            ImpactMonthly.month,
            ImpactMonthly.team_key,
            ImpactMonthly.kind,
            ImpactMonthly.quantity,
            ImpactMonthly.results,
        )
    )
    return {(m, t, k): (round(q, 6), n) for m, t, k, q, n in rows}


def assert_in_step(session: Session) -> None:
    session.flush()
    assert rollup(session) == from_results(session)
    assert impact_rollup(session) == by_kind(session)


def test_every_write_path_keeps_the_rollup_exact(session: Session) -> None:
    oak = make_person(session, team="Oak")
    mover = make_person(session, team="Oak")
    lonely = make_person(session, team=None, role=Role.ADMIN)
    challenge = make_challenge(session, starts_on=date(2026, 2, 10), ends_on=date(2026, 3, 25))

    def entry(who, quantity: float, day: date, status: Status | None = None) -> results.ResultInput:  # type: ignore[no-untyped-def]
        return results.ResultInput(who.person_id or 0, challenge, quantity, day, status=status)

    stored = results.record_results(
        session,
        SYSTEM,
        [
            entry(oak, 2.5, date(2026, 2, 11)),
            entry(oak, 1.25, date(2026, 3, 2)),
            entry(mover, 4.0, date(2026, 2, 27)),
            entry(lonely, 3.0, date(2026, 3, 3)),  # credited to no team
            entry(mover, 5.0, date(2026, 3, 4), Status.PENDING),
            entry(oak, 6.0, date(2026, 3, 5), Status.REJECTED),
        ],
    ).ids
    assert_in_step(session)
    assert len(rollup(session)) == 3  # February and March for Oak, March for no team

    results.decide(session, SYSTEM, [stored[4]], approve=True)
    assert_in_step(session)

    organisation.move_person(session, SYSTEM, mover.person_id or 0, "Ash", date(2026, 3, 1))
    moved = session.get(Result, stored[2])
    assert moved is not None
    results.edit_result(session, SYSTEM, moved.id, moved.version, occurred_on=date(2026, 3, 6), quantity=4.5)
    assert_in_step(session)  # another month and, after the move, another team

    first = session.get(Result, stored[0])
    assert first is not None
    results.void_result(session, SYSTEM, first.id, first.version, "logged twice")
    assert_in_step(session)
    assert all(key[0] != date(2026, 2, 1) for key in rollup(session)), "an emptied month leaves no row"

    session.execute(delete(Result).where(Result.id == stored[3]))
    assert_in_step(session)


def test_an_import_keeps_the_rollup_exact(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        people = [make_person(session, team=team) for team in ("Oak", "Ash", "Elm")]
        challenge = make_challenge(session, slug="import-check", starts_on=date(2026, 1, 5), ends_on=date(2026, 3, 25))
        emails = [session.get(Person, p.person_id).email for p in people]  # type: ignore[union-attr]
        assert challenge
    lines = ["email,challenge,quantity,occurred_on,status"]
    for i in range(120):  # enough for the bulk path (COPY on PostgreSQL)
        status = "pending" if i % 5 == 0 else "approved"
        lines.append(f"{emails[i % 3]},import-check,{1 + i % 4}.5,2026-0{1 + i % 3}-1{i % 9},{status}")
    report = imports.run_import(engine, SYSTEM, imports.ImportKind.RESULTS, ("\n".join(lines) + "\n").encode())
    assert report.created == 120
    with unit_of_work(engine, write=False) as session:
        assert rollup(session) == from_results(session)
        assert impact_rollup(session) == by_kind(session)
        stored = session.scalars(select(Result).order_by(Result.id)).all()
        assert [r.status for r in stored].count(Status.PENDING) == 24
        assert all(r.logged_at.tzinfo is not None and r.source == "csv" for r in each(stored))
        logged = audit.audit_entries(session, SYSTEM, action="result.create", limit=1000)
        assert sorted(e.entity_id for e in logged) == [r.id for r in stored]
        assert {e.after["quantity"] for e in logged if e.entity_id == stored[0].id} == {stored[0].quantity}
        assert sum(n for _, n in rollup(session).values()) == session.scalar(
            select(func.count()).select_from(Result).where(Result.status == Status.APPROVED)
        )


PERIODS = [
    (None, None),
    (date(2026, 2, 1), date(2026, 3, 31)),  # whole months only
    (date(2026, 2, 1), date(2026, 2, 28)),
    (date(2026, 2, 11), date(2026, 3, 4)),  # both edges partial
    (date(2026, 2, 12), date(2026, 2, 27)),  # inside one month
    (date(2026, 3, 3), date(2026, 3, 3)),
    (None, date(2026, 2, 27)),
    (date(2026, 2, 28), None),
    (date(2025, 12, 15), date(2026, 4, 15)),  # months with nothing at both ends
    (date(2026, 1, 20), date(2026, 3, 31)),
    (date(2026, 2, 1), date(2026, 4, 10)),
    (date(2026, 3, 30), date(2026, 4, 2)),
]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_impact_sums_from_the_rollup_equal_the_results(session: Session, start: date | None, end: date | None) -> None:
    """Whole months come from the rollup, partial months from results; the sum is the same as summing results."""
    teams = {"Oak": make_person(session, team="Oak", site="North"), "Ash": make_person(session, team="Ash")}
    lonely = make_person(session, team=None, role=Role.ADMIN)
    energy = make_challenge(session, starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 31))
    trees = make_challenge(session, kind=Kind.TREES, starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 31))
    entries = []
    for i in range(40):
        who = [teams["Oak"], teams["Ash"], lonely][i % 3]
        day = date(2026, 2, 1) + timedelta(days=(i * 7) % 59)
        status = Status.REJECTED if i % 9 == 0 else None
        challenge, quantity = (energy, 0.5 + i % 4) if i % 2 == 0 else (trees, 1.0 + i % 4)  # trees are whole
        entries.append(results.ResultInput(who.person_id or 0, challenge, quantity, day, status=status))
    results.record_results(session, SYSTEM, entries)
    session.flush()
    for by in impact.ImpactBy:
        expected: dict[str, dict[Kind, float]] = {}
        rows = session.execute(
            select(Result.occurred_on, Result.team_id, Result.challenge_id, Result.quantity).where(
                Result.status == Status.APPROVED
            )
        )
        for day, team_id, challenge, quantity in rows:
            if (start and day < start) or (end and day > end):
                continue
            team = session.get(Team, team_id) if team_id else None
            name = {
                impact.ImpactBy.TEAM: team.name if team else "No team",
                impact.ImpactBy.SITE: team.site.name if team and team.site else "No site",
                impact.ImpactBy.COMPANY: "Company",
            }[by]
            kind = Kind.ENERGY if challenge == energy else Kind.TREES
            expected.setdefault(name, {}).setdefault(kind, 0.0)
            expected[name][kind] += quantity
        found = impact.approved_quantities(session, by, start, end)
        assert {g: {k: round(v, 6) for k, v in kinds.items()} for g, kinds in found.items()} == {
            g: {k: round(v, 6) for k, v in kinds.items()} for g, kinds in expected.items()
        }


def test_a_partial_month_with_nothing_on_its_other_days_is_read_from_the_rollup(session: Session) -> None:
    person = make_person(session, team="Oak")
    challenge = make_challenge(session)
    for day in (date(2026, 3, 3), date(2026, 3, 10)):
        results.record_result(session, SYSTEM, results.ResultInput(person.person_id or 0, challenge, 2.0, day))
    session.flush()
    plan = impact._read_plan  # the reading plan: (whole months from the rollup, day ranges from results)
    assert plan(session, date(2026, 3, 2), date(2026, 3, 12)) == ((date(2026, 3, 1), date(2026, 4, 1)), [])
    assert plan(session, date(2026, 3, 4), date(2026, 3, 12)) == (None, [(date(2026, 3, 4), date(2026, 3, 12))])
    assert plan(session, date(2026, 2, 20), date(2026, 3, 18)) == ((date(2026, 2, 1), date(2026, 4, 1)), [])
    assert plan(session, date(2026, 2, 20), date(2026, 3, 9)) == (
        (date(2026, 2, 1), date(2026, 3, 1)),
        [(date(2026, 3, 1), date(2026, 3, 9))],
    )
    for start, end in ((date(2026, 3, 2), date(2026, 3, 12)), (date(2026, 3, 4), date(2026, 3, 12))):
        found = impact.approved_quantities(session, impact.ImpactBy.COMPANY, start, end)
        assert found == {"Company": {Kind.ENERGY: 4.0 if start.day == 2 else 2.0}}
