"""An entry belongs to the team it is credited to, and nobody decides on their own entry.

A lead's scope over an entry is ``Result.team_id`` (the person's team on the
day of the activity), never the person's team of today: a person who moved
from Cedar to Birch leaves their Cedar entries with Cedar's lead. A lead's own
entries wait for another lead of the site or an admin, on every path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Challenge, Person, Result, Role, Status
from engagement import grid, imports, organisation, results
from engagement.access import SYSTEM, Actor
from engagement.csvio import read_table
from engagement.errors import PermissionDenied, ValidationError
from engagement.leaderboards import Scope, team_leaderboard
from engagement.results import ResultInput
from tests.factories import NOW, log, make_challenge, make_person

pytestmark = pytest.mark.usefixtures("march_challenge_clock")

MOVED_ON = date(2026, 3, 9)
BEFORE_THE_MOVE = date(2026, 3, 6)


def _id(actor: Actor) -> int:
    assert actor.person_id is not None
    return actor.person_id


def _refreshed(session: Session, actor: Actor) -> Actor:
    """The actor as the next page click reads them (a move changes their team)."""
    person = session.get(Person, _id(actor))
    assert person is not None
    return Actor.of(person)


def _status(session: Session, result_id: int) -> Status:
    result = session.get(Result, result_id)
    assert result is not None
    session.refresh(result)
    return result.status


def _points(session: Session, challenge: int) -> dict[str, float]:
    return {r.team: r.points for r in team_leaderboard(session, SYSTEM, Scope(challenge_id=challenge))}


def _problems(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [str(p) for p in error.value.problems]


@dataclass
class Moved:
    """Pat, of Cedar until 8 March, of Birch since 9 March, with entries on both sides of the move."""

    challenge: int
    pat: Actor
    cedar_lead: Actor
    birch_lead: Actor
    cedar_ten: int  # 10 kWh, approved, credited to Cedar
    cedar_pending: int  # 2 kWh, waiting, credited to Cedar
    birch_entry: int  # 7 kWh, approved, credited to Birch


@pytest.fixture
def moved(session: Session) -> Moved:
    challenge = make_challenge(session, slug="home-energy")
    cedar_lead = make_person(session, team="Cedar", role=Role.LEAD, name="Cora")
    birch_lead = make_person(session, team="Birch", role=Role.LEAD, name="Bram")
    pat = make_person(session, team="Cedar", name="Pat")
    cedar_ten = log(session, pat, challenge, 10, date(2026, 3, 3))
    log(session, pat, challenge, 5, date(2026, 3, 4))
    cedar_pending = log(session, pat, challenge, 2, date(2026, 3, 5), status=Status.PENDING)
    organisation.move_person(session, SYSTEM, _id(pat), "Birch", MOVED_ON)
    birch_entry = log(session, pat, challenge, 7, date(2026, 3, 10))
    session.flush()
    return Moved(challenge, _refreshed(session, pat), cedar_lead, birch_lead, cedar_ten, cedar_pending, birch_entry)


# -- the moved person ------------------------------------------------------------


def test_a_lead_of_the_new_team_cannot_touch_the_old_teams_points(session: Session, moved: Moved) -> None:
    """The issue's attack: Birch's lead approves, inflates and back-dates Pat's entries into Cedar's points."""
    assert _points(session, moved.challenge)["Cedar"] == 15
    lead = moved.birch_lead
    with pytest.raises(PermissionDenied, match="credited to your own team"):
        results.decide(session, lead, [moved.cedar_pending], approve=True)
    with pytest.raises(PermissionDenied, match="credited to your own team"):
        results.edit_result(session, lead, moved.cedar_ten, 1, quantity=1000, now=NOW)
    with pytest.raises(PermissionDenied, match="credited to your own team"):
        results.void_result(session, lead, moved.cedar_ten, 1, "not real")
    with pytest.raises(ValidationError) as back_dated:
        results.edit_result(session, lead, moved.birch_entry, 1, quantity=900, occurred_on=BEFORE_THE_MOVE, now=NOW)
    assert _problems(back_dated) == [
        "occurred_on: 2026-03-06 is before Pat joined your team (2026-03-09); that day counts for the team they "
        "were in then, and its lead or an admin logs it"
    ]
    with pytest.raises(ValidationError):
        results.record_results(session, lead, [ResultInput(_id(moved.pat), moved.challenge, 400, date(2026, 3, 7))])
    session.flush()
    assert _points(session, moved.challenge) == {"Cedar": 15, "Birch": 7}
    assert _status(session, moved.cedar_pending) is Status.PENDING


def test_the_old_teams_lead_keeps_the_entries_credited_to_it(session: Session, moved: Moved) -> None:
    lead = moved.cedar_lead
    assert [e.id for e in results.pending_entries(session, lead)] == [moved.cedar_pending]
    assert results.pending_count(session, lead) == 1
    assert results.decide(session, lead, [moved.cedar_pending], approve=True).decided == [moved.cedar_pending]
    results.edit_result(session, lead, moved.cedar_ten, 1, quantity=11, reason="meter read again", now=NOW)
    with pytest.raises(PermissionDenied):
        results.edit_result(session, lead, moved.birch_entry, 1, quantity=70, now=NOW)
    session.flush()
    assert _points(session, moved.challenge) == {"Cedar": 18, "Birch": 7}


def test_each_lead_reads_only_the_entries_credited_to_their_team(session: Session, moved: Moved) -> None:
    start, end = date(2026, 3, 2), date(2026, 3, 15)
    birch, cedar = moved.birch_lead, moved.cedar_lead
    assert [e.id for e in results.team_entries(session, birch, birch.team_id, start, end)] == [moved.birch_entry]
    assert {e.occurred_on.day for e in results.team_entries(session, cedar, cedar.team_id, start, end)} == {3, 4, 5}
    assert {e.team for e in results.team_entries(session, SYSTEM, None, start, end)} == {"Cedar", "Birch"}
    assert results.pending_entries(session, birch) == []
    assert results.pending_count(session, birch) == 0
    assert [e.id for e in results.entries_for_person(session, birch, _id(moved.pat))] == [moved.birch_entry]
    assert len(results.entries_for_person(session, cedar, _id(moved.pat))) == 3  # Pat was one of Cedar's
    assert len(results.entries_for_person(session, moved.pat, _id(moved.pat))) == 4  # Pat sees all of their own


def test_a_lead_never_reads_entries_of_someone_who_was_never_in_their_team(session: Session, moved: Moved) -> None:
    stranger = make_person(session, team="Rowan")
    with pytest.raises(PermissionDenied, match="your own team"):
        results.entries_for_person(session, moved.birch_lead, _id(stranger))


def test_a_lead_may_log_for_a_former_member_only_the_days_spent_in_their_team(session: Session, moved: Moved) -> None:
    entry = ResultInput(_id(moved.pat), moved.challenge, 1, date(2026, 3, 8))
    stored = results.record_result(session, moved.cedar_lead, entry)
    assert stored.team_id == moved.cedar_lead.team_id
    with pytest.raises(ValidationError) as error:
        results.record_result(session, moved.cedar_lead, ResultInput(_id(moved.pat), moved.challenge, 1, MOVED_ON))
    assert _problems(error) == ["person: not a member of your team"]


# -- before joining ----------------------------------------------------------------


def test_a_lead_cannot_log_a_day_before_the_person_joined_their_team(session: Session, moved: Moved) -> None:
    lead = moved.birch_lead
    with pytest.raises(ValidationError) as error:
        results.record_result(session, lead, ResultInput(_id(moved.pat), moved.challenge, 3, BEFORE_THE_MOVE))
    assert _problems(error) == [
        "occurred_on: 2026-03-06 is before Pat joined your team (2026-03-09); that day counts for the team they "
        "were in then, and its lead or an admin logs it"
    ]
    results.record_result(session, lead, ResultInput(_id(moved.pat), moved.challenge, 3, MOVED_ON))
    assert session.scalar(select(Result.team_id).order_by(Result.id.desc()).limit(1)) == lead.team_id


def test_the_before_joining_rule_holds_for_a_csv_and_the_team_table(session: Session, moved: Moved) -> None:
    lead = moved.birch_lead
    csv = f"email,challenge,quantity,occurred_on\n{moved.pat.email},home-energy,3,2026-03-06\n".encode()
    required, optional = imports.COLUMNS[imports.ImportKind.RESULTS]
    with pytest.raises(ValidationError) as from_file:
        imports.import_results(session, lead, read_table(csv, required, optional), NOW.date(), now=NOW)
    assert [(p.row, p.field) for p in from_file.value.problems] == [(2, "occurred_on")]
    roster = sorted(organisation.active_member_ids(session, [lead.team_id or 0]))
    columns = grid.grid_columns([session.get_one(Challenge, moved.challenge)])
    row = grid.GridRow(_id(moved.pat), {moved.challenge: 3.0})
    with pytest.raises(ValidationError) as from_table:
        grid.record_grid(session, lead, lead.team_id or 0, roster, BEFORE_THE_MOVE, columns, [row], ref="t", now=NOW)
    assert [p.field for p in from_table.value.problems] == ["Pat, Day"]
    assert _points(session, moved.challenge) == {"Cedar": 15, "Birch": 7}


# -- nobody decides on their own entry -----------------------------------------------


@dataclass
class Site:
    """Leeds: Cedar (lead Cora, a second lead Cy, agent Ana) and Birch (lead Bram); York: Rowan (lead Rhea)."""

    challenge: int  # auto-approves up to 5 kWh
    cora: Actor
    cy: Actor
    ana: Actor
    bram: Actor
    rhea: Actor
    admin: Actor


@pytest.fixture
def site(session: Session) -> Site:
    challenge = make_challenge(session, slug="home-energy", auto_approve_up_to=5)
    people = {
        "cora": make_person(session, team="Cedar", site="Leeds", role=Role.LEAD, name="Cora"),
        "cy": make_person(session, team="Cedar", site="Leeds", role=Role.LEAD, name="Cy"),
        "ana": make_person(session, team="Cedar", site="Leeds", name="Ana"),
        "bram": make_person(session, team="Birch", site="Leeds", role=Role.LEAD, name="Bram"),
        "rhea": make_person(session, team="Rowan", site="York", role=Role.LEAD, name="Rhea"),
        "admin": make_person(session, team=None, role=Role.ADMIN, name="Ada"),
    }
    return Site(challenge, **people)


def _own(session: Session, actor: Actor, quantity: float, challenge: int, **kw: object) -> Result:
    return results.record_result(session, actor, ResultInput(_id(actor), challenge, quantity, date(2026, 3, 10), **kw))  # type: ignore[arg-type]


def test_a_leads_own_big_entry_waits_and_a_small_one_follows_the_challenges_rule(session: Session, site: Site) -> None:
    big = _own(session, site.cora, 50, site.challenge)
    small = _own(session, site.cora, 3, site.challenge, ref="small")
    assert (big.status, big.decided_by_id) == (Status.PENDING, None)
    assert (small.status, small.decided_by_id, small.decision_reason) == (
        Status.APPROVED,
        None,
        "auto-approved (up to 5 kWh)",
    )


def test_an_admins_own_entry_waits_for_another_admin(session: Session, site: Site) -> None:
    entry = _own(session, site.admin, 50, site.challenge)
    assert entry.status is Status.PENDING
    assert results.decide(session, site.admin, [entry.id], approve=True).decided == []
    other_admin = make_person(session, team=None, role=Role.ADMIN)
    assert results.decide(session, other_admin, [entry.id], approve=True).decided == [entry.id]


def test_a_status_given_for_ones_own_row_decides_nothing(session: Session, site: Site) -> None:
    lead = site.cora
    csv = (
        "email,challenge,quantity,occurred_on,status\n"
        f"{lead.email},home-energy,50,2026-03-10,approved\n"
        f"{site.ana.email},home-energy,50,2026-03-10,approved\n"
    ).encode()
    required, optional = imports.COLUMNS[imports.ImportKind.RESULTS]
    imports.import_results(session, lead, read_table(csv, required, optional), NOW.date(), now=NOW)
    stored = {person: status for person, status in session.execute(select(Result.person_id, Result.status))}
    assert stored == {_id(lead): Status.PENDING, _id(site.ana): Status.APPROVED}


def test_a_leads_own_row_in_the_team_table_waits(session: Session, site: Site) -> None:
    lead = site.cora
    roster = sorted(organisation.active_member_ids(session, [lead.team_id or 0]))
    columns = grid.grid_columns([session.get_one(Challenge, site.challenge)])
    rows = [grid.GridRow(_id(lead), {site.challenge: 50.0}), grid.GridRow(_id(site.ana), {site.challenge: 50.0})]
    grid.record_grid(session, lead, lead.team_id or 0, roster, date(2026, 3, 10), columns, rows, ref="g", now=NOW)
    stored = {person: status for person, status in session.execute(select(Result.person_id, Result.status))}
    assert stored == {_id(lead): Status.PENDING, _id(site.ana): Status.APPROVED}


def test_a_lead_never_decides_on_their_own_entry_alone_or_in_a_batch(session: Session, site: Site) -> None:
    own = _own(session, site.cora, 50, site.challenge).id
    theirs = _own(session, site.ana, 50, site.challenge).id
    assert [e.id for e in results.pending_entries(session, site.cora)] == [theirs]
    assert [e.id for e in results.own_pending_entries(session, site.cora)] == [own]
    waiting = "your own entry; it waits for another lead of your site or an admin"
    assert results.decide(session, site.cora, [own], approve=True).skipped == {own: waiting}
    batch = results.decide(session, site.cora, [own, theirs], approve=True)
    assert (batch.decided, batch.skipped) == ([theirs], {own: waiting})
    assert _status(session, own) is Status.PENDING


def test_a_lead_cannot_change_their_own_approved_entry(session: Session, site: Site) -> None:
    small = _own(session, site.cora, 3, site.challenge)
    with pytest.raises(PermissionDenied, match="your own entries while they are pending"):
        results.edit_result(session, site.cora, small.id, small.version, quantity=500, now=NOW)
    with pytest.raises(PermissionDenied, match="your own entries while they are pending"):
        results.void_result(session, site.cora, small.id, small.version, "oops")
    big = _own(session, site.cora, 50, site.challenge)
    edited = results.edit_result(session, site.cora, big.id, big.version, quantity=60, now=NOW)
    assert (edited.quantity, edited.status) == (60, Status.PENDING)


def test_another_lead_of_the_site_or_an_admin_decides_a_leads_own_entry(session: Session, site: Site) -> None:
    first = _own(session, site.cora, 50, site.challenge).id
    second = _own(session, site.cora, 40, site.challenge, ref="second").id
    third = _own(session, site.cora, 30, site.challenge, ref="third").id
    assert {e.id for e in results.pending_entries(session, site.bram)} == {first, second, third}  # Birch, same site
    assert results.pending_count(session, site.bram) == 3
    assert results.pending_entries(session, site.rhea) == []  # another site
    assert results.pending_count(session, site.rhea) == 0
    with pytest.raises(PermissionDenied):
        results.decide(session, site.rhea, [first], approve=True)
    with pytest.raises(PermissionDenied):  # deciding is all a lead of another team may do with it
        results.edit_result(session, site.bram, first, 1, quantity=500, now=NOW)
    assert results.decide(session, site.bram, [first], approve=True).decided == [first]
    assert results.decide(session, site.cy, [second], approve=True).decided == [second]  # Cedar's other lead
    assert results.decide(session, site.admin, [third], approve=False, reason="no meter photo").decided == [third]
    assert [_status(session, i) for i in (first, second, third)] == [Status.APPROVED, Status.APPROVED, Status.REJECTED]


def test_a_lead_of_the_site_decides_only_the_other_leads_entries_of_another_team(session: Session, site: Site) -> None:
    agents = _own(session, site.ana, 50, site.challenge).id
    with pytest.raises(PermissionDenied):
        results.decide(session, site.bram, [agents], approve=True)
    assert agents not in {e.id for e in results.pending_entries(session, site.bram)}
