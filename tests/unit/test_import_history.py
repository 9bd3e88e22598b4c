"""History that imports: past results of people who have left are stored up to their last day.

Boards leave them out, impact counts them, and the forms keep refusing new entries for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import Engine, func, select

from db.engine import unit_of_work
from db.models import Challenge, Person, Result
from engagement import grid, organisation, results
from engagement.access import SYSTEM, Actor, Role
from engagement.errors import Conflict, ValidationError
from engagement.impact import ImpactBy, impact_report
from engagement.imports import ImportKind, run_import
from engagement.leaderboards import Scope, person_leaderboard, team_leaderboard
from tests.factories import make_challenge, make_person

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
LEFT_ON = date(2026, 1, 31)
MONTHS = [date(2025, 4, 15), *(date(2025, m, 15) for m in range(5, 13)), date(2026, 1, 15), date(2026, 2, 15)]
MONTHS += [date(2026, 3, 15)]


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def year(engine: Engine) -> dict[str, object]:
    """Cedar: Ana, Ben, their lead, and Lee, who left on 31 January; a year-long energy challenge."""
    with unit_of_work(engine) as session:
        challenge = make_challenge(session, slug="year-energy", starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31))
        people = {
            name: make_person(session, team="Cedar", email=f"{name}@example.org", name=name.capitalize())
            for name in ("ana", "ben", "lee")
        }
        lead = make_person(session, team="Cedar", email="lead@example.org", name="Lead", role=Role.LEAD)
        lee = session.get(Person, people["lee"].person_id)
        assert lee is not None
        organisation.update_person(session, SYSTEM, lee.id, lee.version, active=False, left_on=LEFT_ON)
    return {"challenge": challenge, "lead": lead, **people}


def _year_file() -> bytes:
    """One row a month for each of the three, Lee's ending with the month he left."""
    lines = ["email,challenge,quantity,occurred_on,ref"]
    for name, quantity in (("ana", 2), ("ben", 3), ("lee", 5)):
        lines += [
            f"{name}@example.org,year-energy,{quantity},{day.isoformat()},{name}-{day:%Y-%m}"
            for day in MONTHS
            if name != "lee" or day <= LEFT_ON
        ]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("by", ["admin", "lead"])
def test_a_year_of_history_with_one_leaver_imports_whole(engine: Engine, year: dict[str, object], by: str) -> None:
    actor = SYSTEM if by == "admin" else year["lead"]
    assert isinstance(actor, Actor)
    preview = run_import(engine, actor, ImportKind.RESULTS, _year_file(), dry_run=True)
    assert (preview.rows, preview.created, preview.former) == (34, 34, 10)
    assert preview.summary() == (
        "results: 34 rows read, 34 would import, 10 of people who have left (history: in impact, not on boards)"
    )
    report = run_import(engine, actor, ImportKind.RESULTS, _year_file())
    assert (report.created, report.former, report.unchanged) == (34, 10, 0)
    with unit_of_work(engine, write=False) as session:
        per_person = select(Person.email, func.sum(Result.quantity)).join(Result, Result.person_id == Person.id)
        stored = dict(session.execute(per_person.group_by(Person.email)).tuples().all())
        scope = Scope(year["challenge"])  # type: ignore[arg-type]
        board = [(r.name, r.points) for r in person_leaderboard(session, SYSTEM, scope)]
        teams = [(r.team, r.points, r.members) for r in team_leaderboard(session, SYSTEM, scope)]
        company = impact_report(session, SYSTEM, ImpactBy.COMPANY).rows
    assert stored == {"ana@example.org": 24.0, "ben@example.org": 36.0, "lee@example.org": 50.0}
    assert board == [("Ben", 36.0), ("Ana", 24.0)]  # Lee has left: not on the boards
    assert teams == [("Cedar", 60.0, 3)]  # Ana, Ben and the lead are its members
    assert [(r.group, r.kwh_saved) for r in company] == [("Company", 110.0)]  # impact counts Lee's history


def test_a_row_after_the_leaving_day_is_refused_and_nothing_is_written(engine: Engine, year: dict[str, object]) -> None:
    data = _year_file() + b"lee@example.org,year-energy,5,2026-02-01,lee-late\n"
    with pytest.raises(ValidationError) as error:
        run_import(engine, year["lead"], ImportKind.RESULTS, data)  # type: ignore[arg-type]
    assert [str(p) for p in error.value.problems] == [
        "row 36: occurred_on: 2026-02-01 is after lee@example.org left (their last day was 2026-01-31); "
        "only results up to that day are their history"
    ]
    with unit_of_work(engine, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Result)) == 0


def test_the_forms_still_refuse_new_entries_for_someone_who_has_left(engine: Engine, year: dict[str, object]) -> None:
    lee, lead, challenge = year["lee"], year["lead"], year["challenge"]
    assert isinstance(lee, Actor) and isinstance(lead, Actor) and isinstance(challenge, int)
    entry = results.ResultInput(lee.person_id or 0, challenge, 1, date(2026, 1, 20))  # a day before he left
    with unit_of_work(engine) as session:
        for actor, message in (
            (SYSTEM, "person: lee@example.org is not active"),
            (lead, "person: not a member of your team"),
        ):
            with pytest.raises(ValidationError) as error:
                results.record_result(session, actor, entry)
            assert [str(p) for p in error.value.problems] == [message]
        roster = sorted(organisation.active_member_ids(session, [lead.team_id or 0]))
        stored_challenge = session.get(Challenge, challenge)
        assert stored_challenge is not None
        with pytest.raises(Conflict):  # the whole-team table is drawn from the active roster: no leaver in it
            grid.record_grid(
                session,
                lead,
                lead.team_id or 0,
                [*roster, lee.person_id or 0],
                date(2026, 1, 20),
                grid.grid_columns([stored_challenge]),
                [grid.GridRow(lee.person_id or 0, {challenge: 1.0})],
                ref="grid-1",
                now=NOW,
            )
        assert session.scalar(select(func.count()).select_from(Result)) == 0


def test_deactivating_records_the_last_day_and_coming_back_clears_it(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        person = session.get(Person, make_person(session).person_id)
        assert person is not None
        organisation.deactivate_person(session, SYSTEM, person.id, person.version)
        assert person.left_on == NOW.date()  # today in the organisation's zone (UTC)
        organisation.update_person(session, SYSTEM, person.id, person.version, left_on=date(2026, 3, 1))
        assert person.left_on == date(2026, 3, 1)
        with pytest.raises(ValidationError, match="left_on: 2026-03-21 is in the future"):
            organisation.update_person(session, SYSTEM, person.id, person.version, left_on=date(2026, 3, 21))
        organisation.update_person(session, SYSTEM, person.id, person.version, active=True)
        assert (person.active, person.left_on) == (True, None)


def test_a_roster_says_who_has_left_and_when(engine: Engine) -> None:
    data = (
        b"email,name,team,role,active,left_on\n"
        b"ana@example.org,Ana,Cedar,agent,no,2026-02-28\n"
        b"ben@example.org,Ben,Cedar,agent,no,\n"
        b"cai@example.org,Cai,Cedar,agent,yes,2026-02-28\n"
        b"dee@example.org,Dee,Cedar,agent,no,2026-04-01\n"
    )
    with pytest.raises(ValidationError) as error:
        run_import(engine, SYSTEM, ImportKind.PEOPLE, data, today=NOW.date())
    assert [str(p) for p in error.value.problems] == [
        "row 4: left_on: is only for someone who has left (active: no)",
        "row 5: left_on: 2026-04-01 is in the future",
    ]
    valid = b"\n".join(data.split(b"\n")[:3]) + b"\n"
    run_import(engine, SYSTEM, ImportKind.PEOPLE, valid, today=NOW.date())
    with unit_of_work(engine, write=False) as session:
        left = dict(session.execute(select(Person.email, Person.left_on)).tuples().all())
    # Ben is listed as gone without a day: he left on the day the roster says so.
    assert left == {"ana@example.org": date(2026, 2, 28), "ben@example.org": NOW.date()}
