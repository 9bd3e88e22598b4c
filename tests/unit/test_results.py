"""Logging, validating, deciding, editing and voiding results; every change audited."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import AuditEntry, Kind, Membership, Person, Result, Role, Status
from engagement import organisation, results, settings
from engagement.access import SYSTEM, Actor
from engagement.errors import Conflict, PermissionDenied, ValidationError
from engagement.leaderboards import Scope, person_leaderboard
from engagement.results import ResultInput, decide, edit_result, record_result, record_results, void_result
from tests.factories import NOW, log, make_challenge, make_person
from tests.unit.conftest import statement_log, writes

pytestmark = pytest.mark.usefixtures("march_challenge_clock")

D = date(2026, 3, 10)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _problems(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [str(p) for p in error.value.problems]


def _entry(person: Actor, challenge: int, quantity: float = 2.0, day: date = D, **kw: object) -> ResultInput:
    assert person.person_id is not None
    return ResultInput(person.person_id, challenge, quantity, day, **kw)  # type: ignore[arg-type]


# -- validation ------------------------------------------------------------------


BAD_QUANTITIES = [
    (0, "quantity: must be greater than 0"),
    (-5, "quantity: must be greater than 0"),
    (-0.0, "quantity: must be greater than 0"),
    (float("nan"), "quantity: must be a finite number"),
    (float("inf"), "quantity: must be a finite number"),
    (float("-inf"), "quantity: must be a finite number"),
    (1000.5, "quantity: 1,000.5 kWh is more than one entry can hold (1,000 kWh)"),
]


def test_bad_quantities_are_refused_and_nothing_is_written(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    audit_before = _count(session, AuditEntry)
    refused = []
    for quantity, _ in BAD_QUANTITIES:
        with pytest.raises(ValidationError) as error:
            record_results(session, SYSTEM, [_entry(person, challenge, quantity)], now=NOW)
        refused.append("; ".join(_problems(error)))
    assert refused == [problem for _, problem in BAD_QUANTITIES]
    assert _count(session, Result) == 0
    assert _count(session, AuditEntry) == audit_before


def test_per_kind_limits_hold_for_trees_and_hours(session: Session) -> None:
    trees = make_challenge(session, kind=Kind.TREES)
    hours = make_challenge(session, kind=Kind.VOLUNTEERING)
    person = make_person(session)
    with pytest.raises(ValidationError) as error:
        record_results(session, SYSTEM, [_entry(person, trees, 10_001), _entry(person, hours, 24.5)], now=NOW)
    assert _problems(error) == [
        "quantity: 10,001 trees is more than one entry can hold (10,000 trees)",
        "quantity: 24 hours 30 minutes is more than one entry can hold (24 hours)",
    ]
    recorded = record_results(session, SYSTEM, [_entry(person, trees, 10_000), _entry(person, hours, 24)], now=NOW)
    assert len(recorded.ids) == 2


def test_a_quarter_hour_of_volunteering_can_be_logged(session: Session) -> None:
    hours = make_challenge(session, kind=Kind.VOLUNTEERING)
    person = make_person(session)
    recorded = record_results(
        session,
        SYSTEM,
        [_entry(person, hours, 0.25, organisation="Be My Eyes", activity_type="Visual Assistance")],
        now=NOW,
    )
    stored = session.get(Result, recorded.ids[0])
    assert stored is not None
    assert (stored.quantity, stored.organisation, stored.activity_type) == (0.25, "Be My Eyes", "visual assistance")


BAD_DAYS = {
    date(2026, 3, 1): ["occurred_on: 2026-03-01 is outside the challenge window 2026-03-02 to 2026-03-29"],
    date(2026, 3, 19): ["occurred_on: 2026-03-19 is in the future (today is 2026-03-18 in UTC)"],
    date(2026, 3, 30): [
        "occurred_on: 2026-03-30 is outside the challenge window 2026-03-02 to 2026-03-29",
        "occurred_on: 2026-03-30 is in the future (today is 2026-03-18 in UTC)",
    ],
}


def test_days_outside_the_window_or_in_the_future_are_refused(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    refused = {}
    for day in BAD_DAYS:
        with pytest.raises(ValidationError) as error:
            record_results(session, SYSTEM, [_entry(person, challenge, day=day)], now=NOW)
        refused[day] = _problems(error)
    assert refused == BAD_DAYS
    assert _count(session, Result) == 0


def test_window_boundaries_and_today_are_accepted(session: Session) -> None:
    challenge = make_challenge(session, ends_on=date(2026, 3, 18))
    person = make_person(session)
    days = (date(2026, 3, 2), date(2026, 3, 18))
    recorded = record_results(session, SYSTEM, [_entry(person, challenge, day=d) for d in days], now=NOW)
    assert len(recorded.ids) == 2


def test_today_is_judged_in_the_persons_time_zone(session: Session) -> None:
    """At 14:00 UTC on 18 March it is already 19 March in Sydney."""
    challenge = make_challenge(session)
    sydney = Actor.of(
        organisation.add_person(
            session,
            SYSTEM,
            organisation.PersonInput(
                "syd@example.org", "Sydney", Role.AGENT, team="Cedar", timezone="Australia/Sydney"
            ),
        )
    )
    london = make_person(session)
    late = datetime(2026, 3, 18, 14, 0, tzinfo=UTC)
    record_results(session, SYSTEM, [_entry(sydney, challenge, day=date(2026, 3, 19))], now=late)
    with pytest.raises(ValidationError) as error:
        record_results(session, SYSTEM, [_entry(london, challenge, day=date(2026, 3, 19))], now=late)
    assert _problems(error) == ["occurred_on: 2026-03-19 is in the future (today is 2026-03-18 in UTC)"]


def test_unknown_person_and_challenge_are_named(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    with pytest.raises(ValidationError) as error:
        record_results(session, SYSTEM, [ResultInput(9999, challenge, 1, D), _entry(person, 9999)], now=NOW)
    assert _problems(error) == ["person: no such person", "challenge: no such challenge"]


def test_a_lead_hears_one_message_for_elsewhere_inactive_and_unknown(session: Session) -> None:
    """Telling them apart would let a lead learn who exists in the whole organisation."""
    challenge = make_challenge(session)
    lead = make_person(session, team="Cedar", role=Role.LEAD)
    outsider = make_person(session, team="Birch")
    gone = make_person(session, team="Cedar", email="gone@example.org", active=False)
    with pytest.raises(ValidationError) as error:
        record_results(
            session,
            lead,
            [_entry(outsider, challenge), _entry(gone, challenge), ResultInput(9999, challenge, 1, D)],
            now=NOW,
        )
    assert _problems(error) == ["person: not a member of your team"] * 3
    assert _count(session, Result) == 0


def test_an_inactive_person_cannot_be_credited(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session, email="gone@example.org", active=False)
    with pytest.raises(ValidationError) as error:
        record_results(session, SYSTEM, [_entry(person, challenge)], now=NOW)
    assert _problems(error) == ["person: gone@example.org is not active"]


def test_a_batch_with_one_bad_entry_writes_nothing(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    good = [_entry(person, challenge, q) for q in (1, 2, 3)]
    with pytest.raises(ValidationError) as error:
        record_results(session, SYSTEM, [*good, _entry(person, challenge, -1)], row_numbers=[2, 3, 4, 6], now=NOW)
    assert _problems(error) == ["row 6: quantity: must be greater than 0"]
    assert _count(session, Result) == 0


# -- who logs what, with which status ----------------------------------------------


def test_an_agents_own_entry_waits_as_pending(session: Session) -> None:
    challenge = make_challenge(session)
    agent = make_person(session)
    recorded = record_results(session, agent, [_entry(agent, challenge, status=Status.APPROVED)], now=NOW)
    stored = session.get(Result, recorded.ids[0])
    assert stored is not None
    assert (stored.status, stored.logged_by_id, stored.decided_by_id) == (Status.PENDING, agent.person_id, None)


def test_an_agent_cannot_log_for_someone_else(session: Session) -> None:
    challenge = make_challenge(session)
    agent = make_person(session)
    colleague = make_person(session)
    with pytest.raises(PermissionDenied, match="agents can only log their own activity"):
        record_results(session, agent, [_entry(colleague, challenge)], now=NOW)
    assert _count(session, Result) == 0


def test_auto_approval_up_to_the_challenges_limit(session: Session) -> None:
    challenge = make_challenge(session, auto_approve_up_to=5)
    agent = make_person(session)
    small, large = record_results(
        session, agent, [_entry(agent, challenge, 5), _entry(agent, challenge, 5.5, date(2026, 3, 11))], now=NOW
    ).ids
    auto = session.get(Result, small)
    waiting = session.get(Result, large)
    assert auto is not None and waiting is not None
    assert (auto.status, auto.decision_reason, auto.decided_by_id) == (
        Status.APPROVED,
        "auto-approved (up to 5 kWh)",
        None,
    )
    assert (waiting.status, waiting.decision_reason) == (Status.PENDING, None)


def test_a_lead_logs_approved_entries_for_their_team_and_their_own_waits(session: Session) -> None:
    challenge = make_challenge(session)
    lead = make_person(session, team="Cedar", role=Role.LEAD)
    member = make_person(session, team="Cedar")
    recorded = record_results(session, lead, [_entry(member, challenge), _entry(lead, challenge)], now=NOW)
    rows = [session.get(Result, i) for i in recorded.ids]
    assert [(r.status, r.decided_by_id) for r in rows if r is not None] == [
        (Status.APPROVED, lead.person_id),
        (Status.PENDING, None),
    ]


def test_a_lead_cannot_log_for_another_team(session: Session) -> None:
    challenge = make_challenge(session)
    lead = make_person(session, team="Cedar", role=Role.LEAD)
    outsider = make_person(session, team="Birch")
    with pytest.raises(ValidationError) as error:
        record_results(session, lead, [_entry(outsider, challenge)], now=NOW)
    assert _problems(error) == ["person: not a member of your team"]
    assert _count(session, Result) == 0


def test_a_manager_logs_nothing(session: Session) -> None:
    challenge = make_challenge(session)
    manager = make_person(session, team=None, role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        record_results(session, manager, [_entry(manager, challenge)], now=NOW)
    assert _count(session, Result) == 0


def test_an_admin_logs_approved_entries_for_anyone(session: Session) -> None:
    challenge = make_challenge(session)
    admin = make_person(session, team=None, role=Role.ADMIN)
    people = [make_person(session, team=t) for t in ("Cedar", "Birch")]
    recorded = record_results(session, admin, [_entry(p, challenge) for p in people], now=NOW)
    assert [session.get(Result, i).status for i in recorded.ids] == [Status.APPROVED] * 2  # type: ignore[union-attr]


def test_a_result_credits_the_team_of_the_day(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session, team="Old")
    assert person.person_id is not None
    organisation.move_person(session, SYSTEM, person.person_id, "New", date(2026, 3, 12))
    early, late = record_results(
        session, SYSTEM, [_entry(person, challenge, day=date(2026, 3, 11)), _entry(person, challenge)], now=NOW
    ).ids
    late_entry = record_results(session, SYSTEM, [_entry(person, challenge, day=date(2026, 3, 12))], now=NOW).ids[0]
    teams = {t.id: t.name for t in organisation.list_teams(session)}
    team_of = {i: teams[session.get(Result, i).team_id] for i in (early, late, late_entry)}  # type: ignore[union-attr]
    assert team_of == {early: "Old", late: "Old", late_entry: "New"}


@pytest.mark.parametrize("own_zone", [None, "Europe/Lisbon"], ids=["organisation's zone", "own zone"])
def test_saving_one_entry_reads_the_person_with_their_team_and_the_challenge_and_nothing_else(
    engine: Engine, own_zone: str | None
) -> None:
    """Each read is a round trip to the server; the dashboard's commonest write keeps to two."""
    with unit_of_work(engine) as s:
        settings.update(s, SYSTEM, timezone="Pacific/Auckland")
        challenge = make_challenge(s)
        person = make_person(s)
        assert person.person_id is not None
        if own_zone:
            organisation.update_person(s, SYSTEM, person.person_id, 1, timezone=own_zone)
    with unit_of_work(engine) as s, statement_log(engine) as statements:
        saved = record_result(s, SYSTEM, _entry(person, challenge), source="dashboard")
    reads = [sql for sql in statements if sql.startswith("SELECT")]
    assert len(reads) == 2, reads
    assert "FROM people LEFT OUTER JOIN team_memberships" in reads[0] and "FROM settings" in reads[0]
    assert "FROM challenges" in reads[1]
    assert len(writes(statements)) == 2, "the entry and its audit line"
    assert saved.team_id == person.team_id


def test_a_person_with_two_open_memberships_is_credited_from_their_history(engine: Engine) -> None:
    """A broken history is not guessed at: the day is looked up as for an older entry."""
    with unit_of_work(engine) as s:
        challenge = make_challenge(s)
        person = make_person(s, team="Cedar")
        birch = make_person(s, team="Birch").team_id
        assert person.person_id is not None and birch is not None
        s.add(Membership(person_id=person.person_id, team_id=birch, valid_from=date(2026, 3, 1)))
    with unit_of_work(engine) as s, statement_log(engine) as statements:
        saved = record_result(s, SYSTEM, _entry(person, challenge))
    with unit_of_work(engine) as s:
        expected = organisation.teams_on(s, [(person.person_id, D)])[(person.person_id, D)]
    assert any(sql.startswith("SELECT") and "FROM team_memberships" in sql for sql in statements)
    assert saved.team_id == expected and expected in (person.team_id, birch)


# -- idempotent refs -------------------------------------------------------------


def test_the_same_ref_with_the_same_content_is_stored_once(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    first = record_results(session, SYSTEM, [_entry(person, challenge, ref="r-1")], source="csv", now=NOW)
    again = record_results(session, SYSTEM, [_entry(person, challenge, ref="r-1")], source="csv", now=NOW)
    assert (again.ids, again.already_stored) == ([], first.ids)
    assert _count(session, Result) == 1


def test_the_same_ref_with_different_content_is_an_error(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    record_results(session, SYSTEM, [_entry(person, challenge, 2.0, ref="r-1")], source="csv", now=NOW)
    with pytest.raises(ValidationError) as error:
        record_results(
            session, SYSTEM, [_entry(person, challenge, 3.0, ref="r-1")], source="csv", row_numbers=[4], now=NOW
        )
    assert _problems(error) == ["row 4: ref: 'r-1' was already imported with different content"]
    assert _count(session, Result) == 1


def test_a_ref_repeated_within_a_batch_is_an_error(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    batch = [
        _entry(person, challenge, ref="r-1"),
        _entry(person, challenge, ref="r-2"),
        _entry(person, challenge, ref="r-1"),
    ]
    with pytest.raises(ValidationError) as error:
        record_results(session, SYSTEM, batch, source="csv", row_numbers=[2, 3, 5], now=NOW)
    assert _problems(error) == ["row 5: ref: 'r-1' is repeated (first used in row 2)"]
    assert _count(session, Result) == 0


def test_refs_are_unique_per_source(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    record_results(session, SYSTEM, [_entry(person, challenge, ref="r-1")], source="csv", now=NOW)
    record_results(session, SYSTEM, [_entry(person, challenge, ref="r-1")], source="hr-feed", now=NOW)
    assert _count(session, Result) == 2


# -- decisions -------------------------------------------------------------------


def _pending(session: Session, person: Actor, challenge: int, n: int = 1) -> list[int]:
    return [log(session, person, challenge, 1 + i, status=Status.PENDING) for i in range(n)]


def test_a_lead_approves_in_bulk_with_a_reason(session: Session) -> None:
    challenge = make_challenge(session)
    lead = make_person(session, team="Cedar", role=Role.LEAD)
    ids = _pending(session, make_person(session, team="Cedar"), challenge, 3)
    outcome = decide(session, lead, ids, approve=True, reason="Checked the meter photos")
    assert (outcome.decided, outcome.skipped) == (ids, {})
    rows = session.scalars(select(Result).where(Result.id.in_(ids)).execution_options(populate_existing=True)).all()
    assert {(r.status, r.decided_by_id, r.decision_reason, r.version) for r in rows} == {
        (Status.APPROVED, lead.person_id, "Checked the meter photos", 2)
    }
    reasons = session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "result.approve")).all()
    assert reasons == ["Checked the meter photos"] * 3


def test_rejecting_needs_a_reason(session: Session) -> None:
    challenge = make_challenge(session)
    ids = _pending(session, make_person(session), challenge)
    with pytest.raises(ValidationError) as error:
        decide(session, SYSTEM, ids, approve=False, reason="  ")
    assert _problems(error) == ["reason: is required, so the person knows why"]
    outcome = decide(session, SYSTEM, ids, approve=False, reason="Looks like a duplicate")
    assert outcome.decided == ids
    assert session.scalar(select(Result.status).where(Result.id == ids[0])) is Status.REJECTED


def test_already_decided_and_unknown_entries_are_reported_as_skipped(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    approved = log(session, person, challenge, 1)
    pending = _pending(session, person, challenge)
    outcome = decide(session, SYSTEM, [approved, *pending, 9999], approve=True)
    assert outcome.decided == pending
    assert outcome.skipped == {approved: "already approved", 9999: "no such entry"}


def test_a_lead_decides_only_for_their_own_team_and_changes_nothing_otherwise(engine: Engine, session: Session) -> None:
    challenge = make_challenge(session)
    lead = make_person(session, team="Cedar", role=Role.LEAD)
    own = _pending(session, make_person(session, team="Cedar"), challenge)
    other = _pending(session, make_person(session, team="Birch"), challenge)
    session.flush()
    with statement_log(engine) as statements, pytest.raises(PermissionDenied):
        decide(session, lead, [*own, *other], approve=True)
    assert writes(statements) == []
    assert session.scalar(select(Result.status).where(Result.id == own[0])) is Status.PENDING


def test_agents_and_managers_cannot_decide(session: Session) -> None:
    challenge = make_challenge(session)
    agent = make_person(session)
    ids = _pending(session, agent, challenge)
    for actor in (agent, make_person(session, team=None, role=Role.MANAGER)):
        with pytest.raises(PermissionDenied):
            decide(session, actor, ids, approve=True)


def test_two_people_deciding_at_once_decide_once(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        challenge = make_challenge(session)
        lead = make_person(session, team="Cedar", role=Role.LEAD)
        [result_id] = _pending(session, make_person(session, team="Cedar"), challenge)
    start = threading.Barrier(2)
    outcomes: list[results.Decisions] = []

    def decide_now(actor: Actor) -> None:
        start.wait()
        with unit_of_work(engine) as s:
            outcomes.append(decide(s, actor, [result_id], approve=True))

    threads = [threading.Thread(target=decide_now, args=(a,)) for a in (lead, SYSTEM)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(o.decided) for o in outcomes) == [0, 1]
    skipped = next(o.skipped for o in outcomes if not o.decided)
    assert skipped[result_id] in {"already approved", "already decided by someone else"}
    with unit_of_work(engine, write=False) as session:
        assert session.scalar(select(Result.version).where(Result.id == result_id)) == 2
        assert session.scalar(select(func.count()).where(AuditEntry.action == "result.approve")) == 1


def test_a_decision_that_lost_the_race_is_reported_not_applied(engine: Engine) -> None:
    """On PostgreSQL the update re-checks the status another transaction has just committed."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite writers queue behind BEGIN IMMEDIATE, so there is no race to lose")
    with unit_of_work(engine) as session:
        challenge = make_challenge(session)
        [result_id] = _pending(session, make_person(session), challenge)
    first = make_admin(engine)
    raced = []

    def other_decides_first(conn, cursor, statement: str, *args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("UPDATE results") and not raced:
            raced.append(True)
            with unit_of_work(engine) as other:
                decide(other, first, [result_id], approve=False, reason="Duplicate")

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", other_decides_first)
    try:
        with unit_of_work(engine) as session:
            outcome = decide(session, SYSTEM, [result_id], approve=True)
    finally:
        event.remove(engine, "before_cursor_execute", other_decides_first)
    assert (outcome.decided, outcome.skipped) == ([], {result_id: "already decided by someone else"})
    with unit_of_work(engine, write=False) as session:
        assert session.scalar(select(Result.status).where(Result.id == result_id)) is Status.REJECTED
        assert session.scalar(select(func.count()).where(AuditEntry.action == "result.approve")) == 0


def make_admin(engine: Engine) -> Actor:
    with unit_of_work(engine) as session:
        return make_person(session, team=None, role=Role.ADMIN)


# -- editing and voiding ---------------------------------------------------------


def test_editing_with_a_stale_version_is_a_conflict(session: Session) -> None:
    challenge = make_challenge(session)
    result_id = log(session, make_person(session), challenge, 2)
    edit_result(session, SYSTEM, result_id, 1, quantity=3, reason="typo", now=NOW)
    with pytest.raises(Conflict, match="changed by someone else"):
        edit_result(session, SYSTEM, result_id, 1, quantity=4, now=NOW)
    stored = session.get(Result, result_id)
    assert stored is not None and (stored.quantity, stored.version) == (3.0, 2)


def test_an_edit_is_validated_and_audited(session: Session) -> None:
    challenge = make_challenge(session)
    result_id = log(session, make_person(session), challenge, 2)
    with pytest.raises(ValidationError) as error:
        edit_result(session, SYSTEM, result_id, 1, quantity=float("nan"), now=NOW)
    assert _problems(error) == ["quantity: must be a finite number"]
    edit_result(session, SYSTEM, result_id, 1, quantity=3.5, occurred_on=date(2026, 3, 11), reason="meter", now=NOW)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "result.update")).one()
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    assert (before["quantity"], before["occurred_on"]) == (2.0, "2026-03-10")
    assert (after["quantity"], after["occurred_on"]) == (3.5, "2026-03-11")
    assert entry.reason == "meter"


def test_an_agent_edits_only_their_own_pending_entries(session: Session) -> None:
    challenge = make_challenge(session)
    agent = make_person(session)
    approved = log(session, agent, challenge, 2)
    pending = log(session, agent, challenge, 2, status=Status.PENDING)
    with pytest.raises(PermissionDenied):
        edit_result(session, agent, approved, 1, quantity=20, now=NOW)
    edit_result(session, agent, pending, 1, quantity=3, now=NOW)
    with pytest.raises(PermissionDenied):
        edit_result(session, make_person(session), pending, 2, quantity=4, now=NOW)


def test_voiding_needs_a_reason_and_the_entry_stops_counting(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session, name="Voided")
    keep = log(session, person, challenge, 2)
    gone = log(session, person, challenge, 5, date(2026, 3, 11))
    with pytest.raises(ValidationError) as error:
        void_result(session, SYSTEM, gone, 1, "")
    assert _problems(error) == ["reason: is required, so the person knows why"]
    void_result(session, SYSTEM, gone, 1, "Logged twice")
    assert [(r.name, r.points) for r in person_leaderboard(session, SYSTEM, Scope(challenge))] == [("Voided", 2.0)]
    stored = session.get(Result, gone)
    assert stored is not None and (stored.status, stored.decision_reason) == (Status.VOIDED, "Logged twice")
    with pytest.raises(ValidationError, match="already voided"):
        void_result(session, SYSTEM, gone, stored.version, "again")
    assert session.get(Result, keep).status is Status.APPROVED  # type: ignore[union-attr]


# -- audit -----------------------------------------------------------------------


def test_every_new_entry_is_audited_with_its_values(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    recorded = record_results(session, SYSTEM, [_entry(person, challenge, 2.5, note="Heating down")], now=NOW)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "result.create")).one()
    after = json.loads(entry.after or "{}")
    assert (entry.entity, entry.entity_id, entry.actor_label) == ("result", recorded.ids[0], "cli")
    assert (after["quantity"], after["status"], after["note"], after["occurred_on"]) == (
        2.5,
        "approved",
        "Heating down",
        "2026-03-10",
    )


def test_a_rolled_back_change_leaves_no_audit_entry(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        challenge = make_challenge(session)
        person = make_person(session)
        result_id = log(session, person, challenge, 2)
        audit_before = _count(session, AuditEntry)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        record_results(session, SYSTEM, [_entry(person, challenge, 3)], now=NOW)
        void_result(session, SYSTEM, result_id, 1, "mistake")
        decide(session, SYSTEM, [result_id], approve=True)
        raise RuntimeError("the page crashed")
    with unit_of_work(engine, write=False) as session:
        assert _count(session, AuditEntry) == audit_before
        assert _count(session, Result) == 1
        assert session.get(Result, result_id).status is Status.APPROVED  # type: ignore[union-attr]


def test_record_result_returns_the_stored_row(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session)
    stored = record_result(session, SYSTEM, _entry(person, challenge, 4))
    assert (stored.quantity, stored.status, stored.person_id) == (4.0, Status.APPROVED, person.person_id)
    assert session.get(Person, person.person_id) is not None
