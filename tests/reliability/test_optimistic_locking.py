"""Two people saving the same thing: the second is told, never silently overwrites the first.

Each editable entity (an entry, a person, a challenge, the factor in use) is
saved twice from the same version, first one after the other (a stale form),
then at the same moment from two threads (on PostgreSQL both pass the version
check before either commits). The second save must raise :class:`Conflict`
with a message that says to reload, the stored value must be the first
save's, and the audit log must hold exactly one change. Bulk approvals racing
on the same entries decide each entry once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from db.engine import unit_of_work, write_transaction
from db.models import AuditEntry, Challenge, Kind, Person, Result, Role, Status
from engagement import challenges, impact, organisation, results
from engagement.access import SYSTEM, Actor
from engagement.errors import Conflict
from tests.loops import each
from tests.reliability.helpers import build_org

DAY = date(2025, 6, 2)
RELOAD = "reload"


@dataclass(frozen=True)
class Editable:
    """How to open, save and read back one kind of entity."""

    name: str
    audit_action: str
    open: Callable[[Session, dict[str, int]], int]  # -> the version (or in-use id) the editor saw
    save: Callable[[Session, dict[str, int], int, object], object]
    read: Callable[[Session, dict[str, int]], object]
    values: tuple[object, object]  # what the first and the second person type


def _challenge_input(c: Challenge, name: object) -> challenges.ChallengeInput:
    return challenges.ChallengeInput(
        slug=c.slug,
        name=str(name),
        kind=c.kind,
        points_per_unit=c.points_per_unit,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        unit=c.unit,
    )


APRIL = date(2026, 4, 1)  # the month the factor is chosen from: after the tests' today


def _in_use(session: Session, kind: Kind) -> int:
    found = impact.applying(impact.factor_uses(session, SYSTEM), kind, None, APRIL)
    assert found is not None
    return found.factor.id


def _owner(session: Session, ids: dict[str, int]) -> Actor:
    """The person whose own pending entry is withdrawn or corrected, acting for themself."""
    person = session.get(Person, ids["owner"])
    assert person is not None
    return Actor.of(person)


EDITABLE = (
    Editable(
        "entry",
        "result.update",
        lambda s, ids: s.get(Result, ids["entry"]).version,  # type: ignore[union-attr]
        lambda s, ids, seen, v: results.edit_result(s, SYSTEM, ids["entry"], seen, quantity=v),
        lambda s, ids: s.get(Result, ids["entry"]).quantity,  # type: ignore[union-attr]
        (5.0, 7.0),
    ),
    Editable(
        "entry voided",
        "result.void",
        lambda s, ids: s.get(Result, ids["entry"]).version,  # type: ignore[union-attr]
        lambda s, ids, seen, v: results.void_result(s, SYSTEM, ids["entry"], seen, str(v)),
        lambda s, ids: s.get(Result, ids["entry"]).decision_reason,  # type: ignore[union-attr]
        ("typed twice", "wrong person"),
    ),
    Editable(
        "own entry withdrawn",
        "result.withdraw",
        lambda s, ids: s.get(Result, ids["own entry"]).version,  # type: ignore[union-attr]
        lambda s, ids, seen, v: results.withdraw_result(s, _owner(s, ids), ids["own entry"], seen, str(v)),
        lambda s, ids: s.get(Result, ids["own entry"]).decision_reason,  # type: ignore[union-attr]
        ("wrong day", "logged twice"),
    ),
    Editable(
        "own entry corrected",
        "result.update",
        lambda s, ids: s.get(Result, ids["own entry"]).version,  # type: ignore[union-attr]
        lambda s, ids, seen, v: results.edit_result(s, _owner(s, ids), ids["own entry"], seen, quantity=v),
        lambda s, ids: s.get(Result, ids["own entry"]).quantity,  # type: ignore[union-attr]
        (1.5, 2.5),
    ),
    Editable(
        "person",
        "person.update",
        lambda s, ids: s.get(Person, ids["person"]).version,  # type: ignore[union-attr]
        lambda s, ids, seen, v: organisation.update_person(s, SYSTEM, ids["person"], seen, name=str(v)),
        lambda s, ids: s.get(Person, ids["person"]).name,  # type: ignore[union-attr]
        ("Ana Silva", "Ana Souza"),
    ),
    Editable(
        "challenge",
        "challenge.update",
        lambda s, ids: s.get(Challenge, ids["challenge"]).version,  # type: ignore[union-attr]
        lambda s, ids, seen, v: challenges.update_challenge(
            s,
            SYSTEM,
            ids["challenge"],
            seen,
            _challenge_input(s.get(Challenge, ids["challenge"]), v),  # type: ignore[arg-type]
        ),
        lambda s, ids: s.get(Challenge, ids["challenge"]).name,  # type: ignore[union-attr]
        ("Home energy (spring)", "Home energy saver"),
    ),
    Editable(
        "factor in use",
        "factor.use",
        lambda s, ids: _in_use(s, Kind.ENERGY),
        lambda s, ids, seen, v: impact.use_factor(s, SYSTEM, ids[str(v)], APRIL, today=DAY, expected_in_use=seen),
        lambda s, ids: _in_use(s, Kind.ENERGY),
        ("factor a", "factor b"),
    ),
)


@pytest.fixture
def ids(engine: Engine) -> dict[str, int]:
    """An entry, a person, a challenge, and two spare energy factors beside the one in use."""
    with unit_of_work(engine) as session:
        impact.seed_default_factors(session, SYSTEM)
        org = build_org(session, 10)
        entry = results.record_result(session, SYSTEM, results.ResultInput(org.people[6], org.challenge, 2.0, DAY))
        own = results.ResultInput(org.people[8], org.challenge, 1.0, DAY, status=Status.PENDING)
        own_entry = results.record_result(session, SYSTEM, own)
        spare = [
            impact.add_factor(
                session,
                SYSTEM,
                impact.FactorInput(Kind.ENERGY, f"Test {value}", value, "kg CO2e per kWh", "Test", 2025, "a test"),
            ).id
            for value in (0.2, 0.3)
        ]
    return {
        "entry": entry.id,
        "own entry": own_entry.id,
        "owner": org.people[8],
        "person": org.people[7],
        "challenge": org.challenge,
        "factor a": spare[0],
        "factor b": spare[1],
    }


def _audited(engine: Engine, action: str) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def _expected(item: Editable, ids: dict[str, int], value: object) -> object:
    return ids[str(value)] if item.name == "factor in use" else value


@pytest.mark.parametrize("item", EDITABLE, ids=lambda e: e.name)
def test_a_stale_save_is_refused_and_the_first_stands(engine: Engine, ids: dict[str, int], item: Editable) -> None:
    with unit_of_work(engine, write=False) as session:
        seen_by_a = seen_by_b = item.open(session, ids)
    audited = _audited(engine, item.audit_action)
    first, second = item.values
    with unit_of_work(engine) as session:
        item.save(session, ids, seen_by_a, first)
    with pytest.raises(Conflict, match=RELOAD) as refused, unit_of_work(engine) as session:
        item.save(session, ids, seen_by_b, second)
    assert "someone else" in str(refused.value)
    with unit_of_work(engine, write=False) as session:
        assert item.read(session, ids) == _expected(item, ids, first)
    assert _audited(engine, item.audit_action) == audited + 1


def _wait_until_blocked(engine: Engine, started: threading.Event) -> None:
    """Until the second save waits for the first one's lock (PostgreSQL shows it; SQLite waits in BEGIN)."""
    assert started.wait(10)
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the second save never waited for the first")


@pytest.mark.parametrize("item", EDITABLE, ids=lambda e: e.name)
def test_two_saves_at_the_same_moment_give_one_conflict(engine: Engine, ids: dict[str, int], item: Editable) -> None:
    """The first save holds its transaction open while the second reads the same version and tries to write."""
    with unit_of_work(engine, write=False) as session:
        seen = item.open(session, ids)
    audited = _audited(engine, item.audit_action)
    first, second = item.values
    first_written, release, second_started = threading.Event(), threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def save_first() -> None:
        with unit_of_work(engine) as session:
            item.save(session, ids, seen, first)
            session.flush()
            first_written.set()
            assert release.wait(20)

    def save_second() -> None:
        second_started.set()
        try:
            with unit_of_work(engine) as session:
                item.save(session, ids, seen, second)
            outcome["second"] = "saved"
        except Exception as e:  # the outcome is the assertion
            outcome["second"] = e

    a = threading.Thread(target=save_first)
    a.start()
    assert first_written.wait(20)
    b = threading.Thread(target=save_second)
    b.start()
    try:
        _wait_until_blocked(engine, second_started)
    finally:
        release.set()
        a.join(30)
        b.join(30)
    assert isinstance(outcome["second"], Conflict), outcome["second"]
    assert RELOAD in str(outcome["second"])
    with unit_of_work(engine, write=False) as session:
        assert item.read(session, ids) == _expected(item, ids, first)
    assert _audited(engine, item.audit_action) == audited + 1


def test_two_leads_approving_the_same_fifty_entries_decide_each_once(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        org = build_org(session, 20)
        pending = [
            results.record_result(
                session,
                SYSTEM,
                results.ResultInput(org.people[5 + i % 15], org.challenge, 1.0 + i, DAY),
            ).id
            for i in range(50)
        ]
        session.execute(Result.__table__.update().where(Result.id.in_(pending)).values(status=Status.PENDING.value))
    deciders = [
        Actor(None, "admin-one@example.org", "Admin one", Role.ADMIN),
        Actor(None, "admin-two@example.org", "Admin two", Role.ADMIN),
    ]
    barrier = threading.Barrier(2)
    outcomes: dict[str, results.Decisions | Exception] = {}

    def decide(actor: Actor, order: list[int]) -> None:
        barrier.wait(10)
        try:
            with unit_of_work(engine) as session:
                outcomes[actor.email] = results.decide(session, actor, order, approve=True)
        except Exception as e:  # the outcome is the assertion
            outcomes[actor.email] = e

    threads = [
        threading.Thread(target=decide, args=(deciders[0], pending)),
        threading.Thread(target=decide, args=(deciders[1], list(reversed(pending)))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    one, two = (outcomes[d.email] for d in deciders)
    assert isinstance(one, results.Decisions) and isinstance(two, results.Decisions), (one, two)
    assert sorted(one.decided + two.decided) == sorted(pending)
    assert not set(one.decided) & set(two.decided)
    assert set(one.skipped) == set(pending) - set(one.decided)
    assert set(two.skipped) == set(pending) - set(two.decided)
    for skipped in (one.skipped, two.skipped):
        assert all(reason.startswith("already") for reason in skipped.values())
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(select(Result.status, Result.version).where(Result.id.in_(pending))).all()
        approvals = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "result.approve")
        )
    assert {(status, version) for status, version in rows} == {(Status.APPROVED, 2)}
    assert approvals == 50


def test_an_edit_racing_an_approval_has_one_winner_and_a_clear_loser(engine: Engine, ids: dict[str, int]) -> None:
    """An agent edits a pending entry while the lead approves it: whoever is second is told."""
    with unit_of_work(engine) as session:
        entry = session.get(Result, ids["entry"])
        assert entry is not None
        entry.status = Status.PENDING
        session.flush()
        seen = entry.version
    with unit_of_work(engine) as session:
        decided = results.decide(session, SYSTEM, [ids["entry"]], approve=True)
    assert decided.decided == [ids["entry"]]
    with pytest.raises(Conflict, match=RELOAD), unit_of_work(engine) as session:
        results.edit_result(session, SYSTEM, ids["entry"], seen, quantity=9.0)
    with unit_of_work(engine, write=False) as session:
        stored = session.get(Result, ids["entry"])
        assert stored is not None
        assert (stored.status, stored.quantity) == (Status.APPROVED, 2.0)


def test_two_deciders_on_different_entries_spanning_months_both_succeed(engine: Engine) -> None:
    """Each decision moves a monthly rollup row; opposite month orders deadlock on PostgreSQL and are run again."""
    with unit_of_work(engine) as session:
        org = build_org(session, 10)
        ids = [
            results.record_result(session, SYSTEM, results.ResultInput(org.people[5], org.challenge, 1.0, day)).id
            for day in [date(2025, 2, 3), date(2025, 1, 6)] * 40
        ]
        session.execute(Result.__table__.update().where(Result.id.in_(ids)).values(status=Status.PENDING.value))
    # One decider's entries run February, January, February...; the other's January, February, ...
    first = [i for n, i in enumerate(ids) if n % 4 in (0, 3)]
    second = [i for n, i in enumerate(ids) if n % 4 in (1, 2)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def decide(name: str, chosen: list[int]) -> None:
        actor = Actor(None, name, name, Role.ADMIN)
        barrier.wait(10)
        try:
            outcomes[name] = write_transaction(engine, results.decide, actor, chosen, True)
        except Exception as e:  # the outcome is the assertion
            outcomes[name] = e

    threads = [threading.Thread(target=decide, args=a) for a in (("one", first), ("two", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(o, results.Decisions) for o in each(outcomes.values())), outcomes
    with unit_of_work(engine, write=False) as session:
        statuses = set(session.scalars(select(Result.status).where(Result.id.in_(ids))))
        total = impact.impact_report(session, SYSTEM, impact.ImpactBy.COMPANY, None, None).total
    assert statuses == {Status.APPROVED}
    assert total.kwh_saved == pytest.approx(80.0)
