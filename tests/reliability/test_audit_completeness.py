"""Every change is in the audit log, in the same transaction; pulse answers and passwords are not.

- Sweep: every public engagement function (the access matrix's list, so a new
  function is swept as soon as it is added there) is called as an admin in a
  transaction; if it wrote any table, it wrote an audit entry too, and rolling
  the transaction back removes both.
- Content: for results, people, teams, challenges, factors, accounts and
  settings the entry names who (id and email), when (UTC, during the call),
  and the state before and after, which matches what is stored.
- Pulse answers are logged as "an answer for week W" only: no person, no
  values, no time of day.
- Passwords appear nowhere in the database except as argon2id hashes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, MetaData, String, Table, Text, func, inspect, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import Account, AuditEntry, Kind, Role
from engagement import auth, challenges, grid, impact, organisation, publication, pulse, results, settings
from engagement.access import Actor
from tests.factories import NOW, make_challenge, make_person
from tests.reliability.helpers import changed_tables, checksums
from tests.unit.conftest import statement_log
from tests.unit.test_access import OK, Org, _calls, org  # noqa: F401  (org is a fixture)

WRITE = re.compile(r'^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)', re.IGNORECASE)
# What an audit entry's entity names, and the table holding it.
TABLES = {
    "result": "results",
    "person": "people",
    "team": "teams",
    "site": "sites",
    "challenge": "challenges",
    "factor": "impact_factors",
    "factor_period": "impact_factor_periods",
}
# Tables whose rows are kept in step with audited ones, or are themselves the record.
DERIVED = {
    "audit_log",
    "pulse_weekly",
    "pulse_weeks",
    "morale_cells",
    "team_memberships",
    "results_monthly",
    "impact_monthly",
    "login_throttle",
    # Pulse answers are deliberately never audited: a row per answer beside the person's
    # other actions would tell who answered (engagement.audit).
    "pulse_responses",
}
PASSWORD = "correct horse battery staple 42"


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """One write transaction that is always rolled back at the end."""
    with Session(engine, expire_on_commit=False) as session:
        session.begin()
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield session
        finally:
            session.rollback()


def _written_tables(statements: list[str]) -> set[str]:
    return {m.group(1).lower() for s in statements if (m := WRITE.match(s))}


MATRIX = _calls()


ADMIN_CALLS = sorted(n for n, (_, outcomes) in MATRIX.items() if outcomes[3] == OK)


def test_every_write_an_admin_can_make_is_audited_in_the_same_transaction(engine: Engine, org: Org) -> None:  # noqa: F811
    """Each call in its own transaction, rolled back afterwards, so every call starts from the same state."""
    before = checksums(engine)
    unaudited = []
    for name in ADMIN_CALLS:
        call, _ = MATRIX[name]
        with rolled_back(engine) as session, statement_log(engine) as statements:
            audited = session.scalar(select(func.count()).select_from(AuditEntry))
            call(session, org.actors["admin"], org)
            session.flush()
            written = _written_tables(statements) - DERIVED
            if written and session.scalar(select(func.count()).select_from(AuditEntry)) <= audited:
                unaudited.append(f"{name} wrote {sorted(written)}")
    assert unaudited == []
    assert changed_tables(before, checksums(engine)) == [], "rolling back must remove each change and its entry"


# -- what each entry says ---------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One mutating call and what its audit entry must say."""

    name: str
    action: str
    call: Callable[[Session, Actor, dict[str, int]], object]
    creates: bool = False


def _challenge_input(session: Session, challenge_id: int, name: str) -> challenges.ChallengeInput:
    c = challenges.get_challenge(session, challenge_id)
    return challenges.ChallengeInput(c.slug, name, c.kind, c.points_per_unit, c.starts_on, c.ends_on, unit=c.unit)


DAY = date(2026, 3, 10)
CHANGES = (
    Change(
        "record a result",
        "result.create",
        lambda s, a, o: results.record_result(s, a, results.ResultInput(o["agent"], o["challenge"], 2.0, DAY)),
        creates=True,
    ),
    Change(
        "edit a result",
        "result.update",
        lambda s, a, o: results.edit_result(s, a, o["entry"], 1, quantity=3.5, now=NOW, reason="typo"),
    ),
    Change("void a result", "result.void", lambda s, a, o: results.void_result(s, a, o["entry"], 1, "duplicate")),
    Change(
        "withdraw one's own result",
        "result.withdraw",
        lambda s, a, o: results.withdraw_result(s, a, o["own pending"], 1, "typed twice", now=NOW),
    ),
    Change("approve a result", "result.approve", lambda s, a, o: results.decide(s, a, [o["pending"]], True)),
    Change("reject a result", "result.reject", lambda s, a, o: results.decide(s, a, [o["pending"]], False, "not ours")),
    Change(
        "log the team table",
        "result.create",
        lambda s, a, o: grid.record_grid(
            s,
            a,
            o["team"],
            [o["agent"], o["lead"]],
            DAY,
            grid.grid_columns([challenges.get_challenge(s, o["challenge"])]),
            [grid.GridRow(o["agent"], {o["challenge"]: 4.0})],
            ref="grid-1",
            now=NOW,
        ),
        creates=True,
    ),
    Change(
        "add a person",
        "person.create",
        lambda s, a, o: organisation.add_person(
            s, a, organisation.PersonInput("new@example.org", "Zoë Nuñez", Role.AGENT, team="Cedar")
        ),
        creates=True,
    ),
    Change(
        "rename a person", "person.update", lambda s, a, o: organisation.update_person(s, a, o["agent"], 1, name="Ana")
    ),
    Change(
        "deactivate a person", "person.deactivate", lambda s, a, o: organisation.deactivate_person(s, a, o["agent"], 1)
    ),
    Change("move a person", "person.move", lambda s, a, o: organisation.move_person(s, a, o["agent"], "Birch", DAY)),
    Change("rename a team", "team.update", lambda s, a, o: organisation.rename_team(s, a, o["team"], "Cedars")),
    Change("retire a team", "team.update", lambda s, a, o: organisation.set_team_active(s, a, o["empty team"], False)),
    Change(
        "create a challenge",
        "challenge.create",
        lambda s, a, o: challenges.create_challenge(
            s, a, challenges.ChallengeInput("trees", "Trees", Kind.TREES, 10, date(2026, 3, 2), date(2026, 3, 29))
        ),
        creates=True,
    ),
    Change(
        "change a challenge",
        "challenge.update",
        lambda s, a, o: challenges.update_challenge(s, a, o["challenge"], 1, _challenge_input(s, o["challenge"], "X")),
    ),
    Change(
        "close a challenge",
        "challenge.close",
        lambda s, a, o: challenges.close_challenge(s, a, o["challenge"], date(2026, 3, 20)),
    ),
    Change(
        "add a factor",
        "factor.create",
        lambda s, a, o: impact.add_factor(
            s, a, impact.FactorInput(Kind.ENERGY, "REE Spain 2024", 0.2, "kg CO2e per kWh", "Spain", 2024, "REE 2024")
        ),
        creates=True,
    ),
    Change(
        "use another factor",
        "factor.use",
        lambda s, a, o: impact.use_factor(s, a, o["spare factor"], date(2026, 4, 1), today=DAY),
        creates=True,  # a new period: the months before keep theirs
    ),
    Change(
        "set a site's region",
        "site.region",
        lambda s, a, o: impact.set_site_region(s, a, o["site"], "United Kingdom"),
    ),
    Change("change a setting", "setting.update", lambda s, a, o: settings.update(s, a, anonymity_threshold=6)),
    Change(
        "create an account",
        "account.create",
        lambda s, a, o: auth.create_account(s, a, o["agent"], PASSWORD),
    ),
    Change(
        "reset a password",
        "account.password_reset",
        lambda s, a, o: auth.set_password(s, a, o["lead"], PASSWORD),
    ),
)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    """Every change runs at NOW, frozen: each audit entry must be dated exactly then, on any day the suite runs."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(engine: Engine) -> tuple[Actor, dict[str, int]]:
    """An admin who is a person, and the things the changes act on."""
    with unit_of_work(engine) as session:
        impact.seed_default_factors(session, make_person(session, team=None, role=Role.ADMIN, email="boot@example.org"))
        admin = make_person(session, team=None, role=Role.ADMIN, email="admin@example.org")
        agent = make_person(session, team="Cedar", email="agent@example.org")
        lead = make_person(session, team="Cedar", role=Role.LEAD, email="lead@example.org")
        make_person(session, team="Birch", email="birch@example.org")
        challenge = make_challenge(session, slug="home-energy")
        assert agent.person_id and lead.person_id and admin.person_id
        entry = results.record_result(session, admin, results.ResultInput(agent.person_id, challenge, 1.0, DAY))
        pending = results.record_results(
            session, agent, [results.ResultInput(agent.person_id, challenge, 1.5, DAY)], source="agent", now=NOW
        )
        own = results.record_results(
            session, admin, [results.ResultInput(admin.person_id, challenge, 2.0, DAY)], now=NOW
        )
        auth.create_account(session, admin, lead.person_id, "a first password!")
        settings.update(session, admin, anonymity_threshold=5)
        empty = organisation.resolve_team(session, admin, "Rowan", None)
        spare = impact.add_factor(
            session, admin, impact.FactorInput(Kind.ENERGY, "Test", 0.3, "kg CO2e per kWh", "Test", 2025, "test")
        )
        site = organisation.resolve_site(session, admin, "Leeds")
    return admin, {
        "agent": agent.person_id,
        "lead": lead.person_id,
        "team": agent.team_id or 0,
        "challenge": challenge,
        "entry": entry.id,
        "pending": pending.ids[0],
        "own pending": own.ids[0],
        "spare factor": spare.id,
        "site": site.id,
        "empty team": empty.id,
    }


def _stored(session: Session, entity: str, entity_id: int) -> dict[str, Any]:
    table = Table(TABLES[entity], MetaData(), autoload_with=session.connection())
    row = session.execute(select(table).where(table.c.id == entity_id)).mappings().one()
    return {k: _iso(v) for k, v in row.items()}


def _iso(value: Any) -> Any:
    """Dates and times as the audit log writes them (times are stored naive UTC)."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value.isoformat() if isinstance(value, date) else value


def test_each_change_names_who_when_and_before_and_after(engine: Engine, world: tuple[Actor, dict[str, int]]) -> None:
    """Each change runs in a transaction that is rolled back after its entries are read inside it."""
    admin, things = world
    before = checksums(engine)
    problems: list[str] = []
    for change in CHANGES:
        with rolled_back(engine) as session:
            last = session.scalar(select(func.max(AuditEntry.id))) or 0
            started = NOW  # the clock is frozen at NOW
            change.call(session, admin, things)
            session.flush()
            finished = NOW
            entries = session.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id)).all()
            problems += [
                f"{change.name}: {p}" for p in _entry_problems(session, change, entries, admin, started, finished)
            ]
    assert problems == []
    assert changed_tables(before, checksums(engine)) == [], "rolling back must remove each change and its entry"


def _entry_problems(
    session: Session, change: Change, entries: list[AuditEntry], admin: Actor, started: datetime, finished: datetime
) -> Iterator[str]:
    mine = [e for e in entries if e.action == change.action]
    if not mine:
        yield f"no {change.action} entry; got {[e.action for e in entries]}"
    for entry in entries:
        if (entry.actor_id, entry.actor_label) != (admin.person_id, admin.email):
            yield f"{entry.action} names {entry.actor_label!r}, not the admin"
        if not started.replace(microsecond=0) <= entry.at.replace(microsecond=0) <= finished:
            yield f"{entry.action} is dated {entry.at}, outside the call"
    for entry in mine:
        after = json.loads(entry.after) if entry.after else None
        before = json.loads(entry.before) if entry.before else None
        if not after:
            yield f"{entry.action} does not say what the state became"
            continue
        if change.creates and before is not None:
            yield f"{entry.action} has a 'before' for something new"
        if not change.creates and entry.entity != "account" and (not before or before == after):
            yield f"{entry.action} does not say what the state was"
        if entry.entity in TABLES and entry.entity_id is not None:
            stored = _stored(session, entry.entity, entry.entity_id)
            said = {k: _iso(datetime.fromisoformat(v)) if k.endswith("_at") and v else v for k, v in after.items()}
            differing = {
                k: (v, stored[k]) for k, v in said.items() if k in stored and k != "version" and v != stored[k]
            }
            if differing:
                yield f"{entry.action}'s 'after' is not what was stored: {differing}"


def test_pulse_answers_leave_no_row_in_the_log_to_stand_next_to_the_person(engine: Engine) -> None:
    """The log lists actions in id order: a pulse row beside "agent@… result.create" would tell who answered."""
    with unit_of_work(engine) as session:
        person = make_person(session, team="Cedar")
    secret = "my manager shouts at me"
    with unit_of_work(engine) as session:
        pulse.answer_pulse(session, person, 2, 3, secret, now=NOW)
    with unit_of_work(engine) as session:
        pulse.answer_pulse(session, person, 5, 10, secret + " (changed)", now=NOW)
    with unit_of_work(engine) as session:
        publication.close_weeks(session, NOW + timedelta(weeks=1))
    with unit_of_work(engine, write=False) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "pulse")).all()
        everything = " ".join(f"{e.before} {e.after} {e.reason} {e.actor_label}" for e in entries)
    assert [(e.action, e.actor_id, e.entity_id) for e in entries] == [("pulse.week_close", None, None)]
    assert json.loads(entries[0].after or "") == {"week": "2026-03-16", "threshold": 5}
    assert secret not in everything and person.email not in everything


def _every_text_value(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text cell in the database."""
    out = []
    with engine.connect() as conn:
        for name in inspect(engine).get_table_names():
            table = Table(name, MetaData(), autoload_with=conn)
            texts = [c for c in table.columns if isinstance(c.type, (String, Text))]
            for row in conn.execute(select(*texts)) if texts else []:
                out += [(name, c.name, v) for c, v in zip(texts, row, strict=True) if isinstance(v, str)]
    return out


def test_passwords_are_stored_only_as_argon2id_hashes(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        admin = make_person(session, team=None, role=Role.ADMIN, email="admin@example.org")
        person = make_person(session, team="Cedar", email="ana@example.org")
        assert person.person_id
        auth.create_account(session, admin, person.person_id, PASSWORD)
    with unit_of_work(engine) as session:
        assert auth.change_own_password(session, person, PASSWORD, PASSWORD + " new") is None
    with unit_of_work(engine) as session:
        auth.log_in(session, "ana@example.org", PASSWORD)  # the old one: a failure, counted
        auth.log_in(session, "ana@example.org", PASSWORD + " new")
    with unit_of_work(engine, write=False) as session:
        hashes = session.scalars(select(Account.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$v=19$") for h in hashes)
    leaks = [(t, c) for t, c, v in _every_text_value(engine) if PASSWORD in v]
    assert leaks == []
    # The account's audit entries say whose account changed, never anything about the password.
    with unit_of_work(engine, write=False) as session:
        account_entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "account")).all()
    assert {e.action for e in account_entries} == {"account.create", "account.password_change"}
    for e in account_entries:
        assert set(json.loads(e.after or "{}")) == {"email"}
