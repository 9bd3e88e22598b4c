"""What a lead needs to fill in a results file, and what the check tells them about it.

The reference of short names and their own team's emails, a template that imports
as it is, "did you mean" for a challenge's full name, rows already stored, and
every problem of a row at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import Engine, func, select

from db.engine import unit_of_work
from db.models import Kind, Person, Result, Status
from engagement import import_guide, imports, organisation
from engagement.access import SYSTEM, Actor, Role
from engagement.errors import PermissionDenied, ValidationError
from engagement.imports import ImportKind, run_import
from tests.factories import make_challenge, make_person

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
HEADER = "email,challenge,quantity,occurred_on,ref,note"


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def team(engine: Engine) -> dict[str, Actor]:
    """Cedar (Ana, Ben in Honolulu, their lead, Lee who has left) and Birch (Cai, its lead); two running challenges."""
    with unit_of_work(engine) as session:
        make_challenge(session, slug="home-energy", name="Home energy saver")
        make_challenge(session, slug="trees", name="Plant a tree", kind=Kind.TREES, starts_on=date(2026, 3, 9))
        make_challenge(session, slug="old", name="Winter energy", starts_on=date(2026, 1, 5), ends_on=date(2026, 1, 31))
        people = {
            "ana": make_person(session, team="Cedar", email="ana@example.org", name="Ana"),
            "ben": make_person(session, team="Cedar", email="ben@example.org", name="Ben"),
            "lead": make_person(session, team="Cedar", email="lead@example.org", name="Lea", role=Role.LEAD),
            "cai": make_person(session, team="Birch", email="cai@example.org", name="Cai"),
            "birch": make_person(session, team="Birch", email="birch-lead@example.org", role=Role.LEAD),
        }
        make_person(session, team="Cedar", email="lee@example.org", name="Lee", active=False, left_on=date(2026, 3, 12))
        ben = session.get(Person, people["ben"].person_id)
        assert ben is not None
        organisation.update_person(session, SYSTEM, ben.id, ben.version, timezone="Pacific/Honolulu")
    return people


def _csv(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def _problems(engine: Engine, actor: Actor, data: bytes) -> list[str]:
    with pytest.raises(ValidationError) as error:
        run_import(engine, actor, ImportKind.RESULTS, data, dry_run=True)
    return [str(p) for p in error.value.problems]


def test_a_lead_reads_the_short_names_and_their_own_teams_emails_only(engine: Engine, team: dict[str, Actor]) -> None:
    with unit_of_work(engine, write=False) as session:
        ref = import_guide.reference(session, team["lead"], team["lead"].team_id or 0)
        with pytest.raises(PermissionDenied):
            import_guide.reference(session, team["birch"], team["lead"].team_id or 0)
        with pytest.raises(PermissionDenied):
            import_guide.reference(session, team["ana"], team["lead"].team_id or 0)
    assert [(p.email, p.active, p.left_on) for p in ref.people] == [
        ("ana@example.org", True, None),
        ("ben@example.org", True, None),
        ("lead@example.org", True, None),
        ("lee@example.org", False, date(2026, 3, 12)),  # their history still imports up to that day
    ]
    assert [(c.slug, c.name) for c in ref.challenges] == [
        ("trees", "Plant a tree"),
        ("home-energy", "Home energy saver"),
        ("old", "Winter energy"),
    ]


@pytest.mark.parametrize("by", ["lead", "admin"])
def test_the_template_downloaded_for_a_team_imports_as_it_is(engine: Engine, team: dict[str, Actor], by: str) -> None:
    actor = team["lead"] if by == "lead" else SYSTEM
    with unit_of_work(engine, write=False) as session:
        template = imports.team_template(session, actor, team["lead"].team_id or 0)
    lines = template.splitlines()
    # One row per member over the running challenges; a lead's own row would wait for another lead, so
    # the lead's template leaves it out.
    assert lines == [
        "email,challenge,quantity,occurred_on,ref,note,status,organisation,activity_type",
        "ana@example.org,trees,1,2026-03-18,,sample row from the template,,,",
        "ben@example.org,home-energy,1,2026-03-18,,sample row from the template,,,",
        *(["lead@example.org,trees,1,2026-03-18,,sample row from the template,,,"] if by == "admin" else []),
    ]
    report = run_import(engine, actor, ImportKind.RESULTS, template.encode())
    assert (report.rows, report.created) == (len(lines) - 1, len(lines) - 1)
    with unit_of_work(engine, write=False) as session:
        assert set(session.scalars(select(Result.status))) == {Status.APPROVED}


def test_the_template_keeps_to_a_members_own_day(engine: Engine, team: dict[str, Actor]) -> None:
    """At 05:00 UTC it is still yesterday in Honolulu: Ben's sample row is dated his day, which he may log."""
    with time_machine.travel(datetime(2026, 3, 18, 5, 0, tzinfo=UTC), tick=False):
        with unit_of_work(engine, write=False) as session:
            template = imports.team_template(session, team["lead"], team["lead"].team_id or 0)
        assert "ben@example.org,home-energy,1,2026-03-17," in template
        assert run_import(engine, team["lead"], ImportKind.RESULTS, template.encode()).created == 2


def test_a_challenge_named_by_its_full_name_or_a_near_miss_gets_its_short_name(
    engine: Engine, team: dict[str, Actor]
) -> None:
    data = _csv(
        "ana@example.org,Home energy saver,1,2026-03-10,,",
        "ana@example.org,home-enrgy,1,2026-03-10,,",
        "ana@example.org,swimming,1,2026-03-10,,",
    )
    assert _problems(engine, team["lead"], data) == [
        "row 2: challenge: no such challenge 'Home energy saver'; did you mean 'home-energy'? "
        "(challenges are named by their short name)",
        "row 3: challenge: no such challenge 'home-enrgy'; did you mean 'home-energy'? "
        "(challenges are named by their short name)",
        "row 4: challenge: no such challenge 'swimming'",
    ]


def test_every_problem_of_a_row_is_reported_at_once(engine: Engine, team: dict[str, Actor]) -> None:
    data = _csv(
        "cai@example.org,Home energy saver,lots,2026-03-10,,",
        "ana@example.org,home-energy,2000,2026-04-30,,",
        "ana@example.org,trees,x,2026-03-01,r1,",
        "ana@example.org,home-energy,1,2026-03-11,r1,",
    )
    assert _problems(engine, team["lead"], data) == [
        "row 2: email: not a member of your team",
        "row 2: challenge: no such challenge 'Home energy saver'; did you mean 'home-energy'? "
        "(challenges are named by their short name)",
        "row 2: quantity: 'lots' is not a number",
        "row 3: quantity: 2,000 kWh is more than one entry can hold (1,000 kWh)",
        "row 3: occurred_on: 2026-04-30 is outside the challenge window 2026-03-02 to 2026-03-29",
        "row 3: occurred_on: 2026-04-30 is in the future (today is 2026-03-18 in UTC)",
        "row 4: quantity: 'x' is not a number",
        "row 4: occurred_on: 2026-03-01 is outside the challenge window 2026-03-09 to 2026-03-29",
        "row 5: ref: 'r1' is repeated (first used in row 4)",
    ]
    with unit_of_work(engine, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Result)) == 0


def test_uploading_stored_rows_again_says_which_and_stores_nothing_twice(
    engine: Engine, team: dict[str, Actor]
) -> None:
    first = _csv(
        "ana@example.org,home-energy,2,2026-03-10,r1,",
        "ana@example.org,home-energy,1.5,2026-03-10,,fridge off",
        "ben@example.org,home-energy,1.5,2026-03-10,,fridge off",
    )
    assert run_import(engine, team["lead"], ImportKind.RESULTS, first).created == 3
    again = first + b"ana@example.org,home-energy,1.5,2026-03-10,,fridge off\nlee@example.org,trees,1,2026-03-11,,\n"
    preview = run_import(engine, team["lead"], ImportKind.RESULTS, again, dry_run=True)
    assert (preview.created, preview.unchanged, preview.already_stored_rows, preview.former) == (2, 3, [2, 3, 4], 1)
    assert preview.summary() == (
        "results: 5 rows read, 2 would import, 3 already stored, "
        "1 of people who have left (history: in impact, not on boards)"
    )
    report = run_import(engine, team["lead"], ImportKind.RESULTS, again)
    assert (report.created, report.unchanged) == (2, 3)
    assert run_import(engine, team["lead"], ImportKind.RESULTS, again).created == 0
    with unit_of_work(engine, write=False) as session:
        stored = session.execute(select(Person.email, func.count()).join(Result.person).group_by(Person.email))
        # Ana's second identical row of that day is a second entry; nothing is stored twice.
        assert sorted(stored.tuples().all()) == [("ana@example.org", 3), ("ben@example.org", 1), ("lee@example.org", 1)]
