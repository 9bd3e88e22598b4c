"""What the lead's pages rely on: the team table (engagement.grid), deciding only for one's team,
pending counts per team, and a repeated submit storing one entry."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import Challenge, Kind, Person, Result, Role, Status
from engagement import grid, organisation, results
from engagement.access import SYSTEM, Actor
from engagement.errors import Conflict, PermissionDenied, ValidationError
from tests.factories import NOW, log, make_challenge, make_person

pytestmark = pytest.mark.usefixtures("march_challenge_clock")

DAY = date(2026, 3, 16)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Result)) or 0


def _stored(session: Session) -> set[tuple[int, int, float, str, str | None, str | None]]:
    rows = session.execute(
        select(
            Result.person_id,
            Result.challenge_id,
            Result.quantity,
            Result.note,
            Result.organisation,
            Result.activity_type,
        ).where(Result.source == grid.SOURCE)
    ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _id(actor: Actor) -> int:
    assert actor.person_id is not None
    return actor.person_id


def _team(session: Session, actor: Actor) -> int:
    team_id = session.scalar(select(Person.team_id).where(Person.id == actor.person_id))
    assert team_id is not None
    return team_id


class Team:
    """A lead, three agents in Cedar, and the columns for an energy and a volunteering challenge."""

    def __init__(self, session: Session) -> None:
        self.lead = make_person(session, role=Role.LEAD, name="Lee Lead")
        self.ana = make_person(session, name="Ana")
        self.ben = make_person(session, name="Ben")
        self.cy = make_person(session, name="Cy")
        self.team_id = _team(session, self.lead)
        self.energy = make_challenge(session, slug="energy")
        self.volunteering = make_challenge(session, slug="volunteer", kind=Kind.VOLUNTEERING)
        challenges = [session.get(Challenge, c) for c in (self.energy, self.volunteering)]
        self.columns = grid.grid_columns([c for c in challenges if c is not None])
        self.roster = [_id(p) for p in (self.lead, self.ana, self.ben, self.cy)]

    def save(self, session: Session, rows: list[grid.GridRow], *, ref: str = "form-1", by: Actor | None = None) -> int:
        recorded = grid.record_grid(
            session, by or self.lead, self.team_id, self.roster, DAY, self.columns, rows, ref=ref, now=NOW
        )
        return len(recorded.ids)


# -- the team table ----------------------------------------------------------------


def test_columns_say_the_unit_to_type_and_volunteering_is_typed_in_minutes(session: Session) -> None:
    team = Team(session)
    energy, volunteering = team.columns
    assert (energy.label, energy.quantity(3.0)) == ("Energy (kWh)", 3.0)
    assert (volunteering.label, volunteering.quantity(90.0)) == ("Volunteer (minutes)", 1.5)


def test_each_filled_cell_is_stored_for_the_person_of_its_row(session: Session) -> None:
    team = Team(session)
    rows = [
        # Rows in any order: what counts is the person id each carries.
        grid.GridRow(_id(team.cy), {team.energy: None, team.volunteering: 45.0}, "", "Be My Eyes", "tutoring"),
        grid.GridRow(_id(team.ana), {team.energy: 4.0, team.volunteering: float("nan")}, "Washing line", "Ignored"),
        grid.GridRow(_id(team.ben), {team.energy: 0.0, team.volunteering: None}),
    ]
    assert team.save(session, rows) == 2
    assert _stored(session) == {
        (_id(team.ana), team.energy, 4.0, "Washing line", None, None),
        (_id(team.cy), team.volunteering, 0.75, "", "Be My Eyes", "tutoring"),
    }
    statuses = set(session.scalars(select(Result.status).where(Result.source == grid.SOURCE)))
    assert statuses == {Status.APPROVED}


def test_a_roster_that_changed_since_the_table_was_drawn_is_refused(session: Session) -> None:
    team = Team(session)
    organisation.move_person(session, SYSTEM, _id(team.ben), "Birch", DAY)
    before = _count(session)
    with pytest.raises(Conflict, match="the roster changed; re-check your entries"):
        team.save(session, [grid.GridRow(_id(team.ana), {team.energy: 4.0})])
    assert _count(session) == before


def test_a_newcomer_since_the_table_was_drawn_is_a_roster_change(session: Session) -> None:
    team = Team(session)
    make_person(session, name="Dee")
    with pytest.raises(Conflict):
        team.save(session, [grid.GridRow(_id(team.ana), {team.energy: 4.0})])


def test_a_row_for_someone_not_in_the_drawn_roster_is_refused(session: Session) -> None:
    team = Team(session)
    outsider = make_person(session, team="Birch")
    with pytest.raises(Conflict):
        team.save(session, [grid.GridRow(_id(outsider), {team.energy: 4.0})])
    assert _count(session) == 0


def test_bad_cells_are_named_by_person_and_column_and_nothing_is_written(session: Session) -> None:
    team = Team(session)
    rows = [
        grid.GridRow(_id(team.ana), {team.energy: 4.0}),
        grid.GridRow(_id(team.ben), {team.energy: -2.0}),
        grid.GridRow(_id(team.cy), {team.volunteering: 1500.0}, note="x" * 501),
    ]
    with pytest.raises(ValidationError) as error:
        team.save(session, rows)
    assert [str(p) for p in error.value.problems] == [
        "Ben, Energy (kWh): must be greater than 0",
        "Cy, Volunteer (minutes): 25 hours is more than one entry can hold (24 hours)",
        "Cy, Note: is too long (501 characters; the limit is 500)",
    ]
    assert _count(session) == 0


def test_an_empty_table_is_refused_plainly(session: Session) -> None:
    team = Team(session)
    with pytest.raises(ValidationError) as error:
        team.save(session, [grid.GridRow(_id(team.ana), {team.energy: None})])
    assert [str(p) for p in error.value.problems] == [
        "table: every cell is blank; type a quantity for at least one person"
    ]


def test_saving_the_same_form_twice_stores_each_entry_once(session: Session) -> None:
    team = Team(session)
    rows = [grid.GridRow(_id(team.ana), {team.energy: 4.0})]
    assert team.save(session, rows, ref="form-7") == 1
    assert team.save(session, rows, ref="form-7") == 0
    assert team.save(session, rows, ref="form-8") == 1
    assert _count(session) == 2


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_only_leads_and_admins_fill_in_the_table(session: Session, role: Role) -> None:
    team = Team(session)
    with pytest.raises(PermissionDenied):
        team.save(session, [grid.GridRow(_id(team.ana), {team.energy: 4.0})], by=make_person(session, role=role))


def test_a_lead_cannot_fill_in_another_teams_table(session: Session) -> None:
    team = Team(session)
    other_lead = make_person(session, team="Birch", role=Role.LEAD)
    with pytest.raises(PermissionDenied):
        team.save(session, [grid.GridRow(_id(team.ana), {team.energy: 4.0})], by=other_lead)
    assert _count(session) == 0


def test_an_admin_fills_in_any_teams_table(session: Session) -> None:
    team = Team(session)
    admin = make_person(session, team=None, role=Role.ADMIN)
    assert team.save(session, [grid.GridRow(_id(team.ana), {team.energy: 4.0})], by=admin) == 1


# -- deciding only for one's own team ----------------------------------------------


def test_a_lead_cannot_approve_another_teams_entry_by_calling_the_domain(session: Session) -> None:
    challenge = make_challenge(session)
    cedar_lead = make_person(session, role=Role.LEAD)
    birch_agent = make_person(session, team="Birch")
    cedar_agent = make_person(session)
    theirs = log(session, birch_agent, challenge, 2.0, status=Status.PENDING)
    ours = log(session, cedar_agent, challenge, 2.0, status=Status.PENDING)
    for batch in ([theirs], [ours, theirs]):
        with pytest.raises(PermissionDenied):
            results.decide(session, cedar_lead, batch, approve=True)
    assert {session.get(Result, i).status for i in (theirs, ours)} == {Status.PENDING}  # type: ignore[union-attr]
    assert results.decide(session, cedar_lead, [ours], approve=True).decided == [ours]


def test_pending_counts_follow_the_team_asked_for_admins_and_the_own_team_for_leads(session: Session) -> None:
    challenge = make_challenge(session)
    lead = make_person(session, role=Role.LEAD)
    admin = make_person(session, team=None, role=Role.ADMIN)
    for team, n in (("Cedar", 2), ("Birch", 3)):
        agent = make_person(session, team=team)
        for _ in range(n):
            log(session, agent, challenge, 1.0, status=Status.PENDING)
    birch = _team(session, make_person(session, team="Birch"))
    assert results.pending_count(session, admin) == 5
    assert results.pending_count(session, admin, birch) == 3
    assert results.pending_count(session, lead) == 2
    assert results.pending_count(session, lead, birch) == 2  # a lead's count is always their own team's
    assert results.pending_count(session, make_person(session)) == 0


# -- a repeated submit -------------------------------------------------------------


def test_record_result_hands_back_the_first_entry_when_the_same_form_is_sent_twice(session: Session) -> None:
    challenge = make_challenge(session)
    lead = make_person(session, role=Role.LEAD)
    agent = make_person(session)
    entry = results.ResultInput(_id(agent), challenge, 2.0, DAY, ref="standing-token-1")
    first = results.record_result(session, lead, entry, source="dashboard")
    again = results.record_result(session, lead, entry, source="dashboard")
    assert again.id == first.id
    assert _count(session) == 1


def test_nobody_decides_on_their_own_entry(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        lead = make_person(session, team="Cedar", role=Role.LEAD)
        agent = make_person(session, team="Cedar")
        challenge = make_challenge(session)
        own = log(session, lead, challenge, 2, status=Status.PENDING)
        theirs = log(session, agent, challenge, 2, status=Status.PENDING)
    with unit_of_work(engine) as session:
        assert [e.id for e in results.pending_entries(session, lead)] == [theirs]
        assert results.pending_count(session, lead) == 1
        outcome = results.decide(session, lead, [own, theirs], approve=True)
    assert outcome.decided == [theirs]
    assert outcome.skipped == {own: "your own entry; it waits for another lead of your site or an admin"}
