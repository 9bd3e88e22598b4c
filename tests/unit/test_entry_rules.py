"""The entry rules hold on every path: the form, the team grid, a CSV upload and the engine give one answer.

A challenge takes new entries from agents and leads until 14 days after it ends, and
trees are counted whole; each rule is stated once in ``engagement.challenges`` and the
engine applies it to whatever calls it, with the same words.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import Engine, func, select

from db.engine import unit_of_work
from db.models import Challenge, Kind, Result, Role
from engagement import challenges, grid, imports, results
from engagement.access import SYSTEM, Actor
from engagement.errors import ValidationError
from tests.factories import make_challenge, make_person

ENDED = date(2026, 3, 29)  # the factories' challenge ends on this day
LATE = (
    "Energy ended on 2026-03-29 and took late entries until 2026-04-12 (14 days after it ended); "
    "it takes no new entries"
)
TREES_WHOLE = "trees are counted whole: use a whole number such as 1 or 12 (0.5 is not)"


def _clock(day: date) -> time_machine.travel:
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False)


def _setup(engine: Engine) -> tuple[Actor, Actor, dict[str, Challenge]]:
    with unit_of_work(engine) as session:
        lead = make_person(session, role=Role.LEAD, name="Lee", team="Cedar")
        agent = make_person(session, name="Ana", team="Cedar")
        made = {
            "energy": make_challenge(session, slug="energy"),
            "trees": make_challenge(session, slug="trees", kind=Kind.TREES),
        }
        found = {slug: session.get(Challenge, cid) for slug, cid in made.items()}
        session.expunge_all()
    return lead, agent, {slug: c for slug, c in found.items() if c is not None}


def _form(engine: Engine, actor: Actor, person: Actor, challenge: Challenge, quantity: float, day: date) -> list[str]:
    """What the one-entry form and the quick log save (their problems, or none)."""
    entry = results.ResultInput(person.person_id or 0, challenge.id, quantity, day)
    try:
        with unit_of_work(engine) as session:
            results.record_results(session, actor, [entry], source="dashboard")
    except ValidationError as e:
        return [p.message for p in e.problems]
    return []


def _grid(engine: Engine, lead: Actor, agent: Actor, challenge: Challenge, typed: float, day: date) -> list[str]:
    """What the Whole team table saves for the agent's cell."""
    roster = [lead.person_id or 0, agent.person_id or 0]
    rows = [grid.GridRow(agent.person_id or 0, {challenge.id: typed})]
    try:
        with unit_of_work(engine) as session:
            grid.record_grid(
                session, lead, lead.team_id or 0, roster, day, grid.grid_columns([challenge]), rows, ref=f"g-{typed}"
            )
    except ValidationError as e:
        return [p.message for p in e.problems]
    return []


def _csv(engine: Engine, lead: Actor, agent: Actor, challenge: Challenge, quantity: str, day: date) -> list[str]:
    """What a lead's CSV upload imports."""
    data = f"email,challenge,quantity,occurred_on\n{agent.email},{challenge.slug},{quantity},{day}\n".encode()
    try:
        imports.run_import(engine, lead, imports.ImportKind.RESULTS, data)
    except ValidationError as e:
        return [p.message for p in e.problems]
    return []


def _stored(engine: Engine) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(Result)) or 0


def test_fifteen_days_after_a_challenge_ends_every_path_refuses_with_one_message(engine: Engine) -> None:
    lead, agent, made = _setup(engine)
    energy = made["energy"]
    with _clock(date(2026, 4, 13)):  # 15 days after it ended
        refused = {
            "form (lead)": _form(engine, lead, agent, energy, 2, ENDED),
            "quick log (agent)": _form(engine, agent, agent, energy, 2, ENDED),
            "grid": _grid(engine, lead, agent, energy, 2, ENDED),
            "csv": _csv(engine, lead, agent, energy, "2", ENDED),
        }
    assert refused == {path: [LATE] for path in refused}
    assert challenges.late_entry_problem(energy, date(2026, 4, 13)) == LATE
    assert _stored(engine) == 0


def test_fourteen_days_after_a_challenge_ends_every_path_still_takes_entries(engine: Engine) -> None:
    lead, agent, made = _setup(engine)
    energy = made["energy"]
    with _clock(date(2026, 4, 12)):  # the last day of the late window
        taken = {
            "form (lead)": _form(engine, lead, agent, energy, 2, ENDED),
            "quick log (agent)": _form(engine, agent, agent, energy, 3, ENDED),
            "grid": _grid(engine, lead, agent, energy, 4, ENDED),
            "csv": _csv(engine, lead, agent, energy, "5", ENDED),
        }
    assert taken == {path: [] for path in taken}
    assert _stored(engine) == 4


def test_an_admin_loads_history_of_a_long_ended_challenge(engine: Engine) -> None:
    """Admins (the dashboard's upload, or the command line) import past years; the window binds agents and leads."""
    _, agent, made = _setup(engine)
    with _clock(date(2026, 12, 1)):
        assert _csv(engine, SYSTEM, agent, made["energy"], "2", ENDED) == []
    assert _stored(engine) == 1


def test_the_forms_offer_exactly_the_challenges_that_take_entries(engine: Engine) -> None:
    _, _, made = _setup(engine)
    energy = made["energy"]
    assert [challenges.takes_entries_on(energy, day) for day in (date(2026, 3, 1), date(2026, 3, 2))] == [False, True]
    assert [challenges.takes_entries_on(energy, day) for day in (date(2026, 4, 12), date(2026, 4, 13))] == [True, False]
    assert challenges.last_entry_day(energy) == date(2026, 4, 12)


@pytest.mark.parametrize("quantity", [0.5, 2.5])
def test_half_a_tree_is_refused_on_every_path(engine: Engine, quantity: float) -> None:
    lead, agent, made = _setup(engine)
    trees = made["trees"]
    message = TREES_WHOLE.replace("0.5", f"{quantity:g}")
    with _clock(date(2026, 3, 20)):
        refused = {
            "form (lead)": _form(engine, lead, agent, trees, quantity, date(2026, 3, 20)),
            "quick log (agent)": _form(engine, agent, agent, trees, quantity, date(2026, 3, 20)),
            "grid": _grid(engine, lead, agent, trees, quantity, date(2026, 3, 20)),
            "csv": _csv(engine, lead, agent, trees, str(quantity), date(2026, 3, 20)),
            "csv (admin)": _csv(engine, SYSTEM, agent, trees, str(quantity), date(2026, 3, 20)),
        }
    assert refused == {path: [message] for path in refused}
    assert _stored(engine) == 0
    with _clock(date(2026, 3, 20)):
        assert _form(engine, lead, agent, trees, 3, date(2026, 3, 20)) == []


def test_a_trees_challenge_keeps_its_limits_whole() -> None:
    data = challenges.ChallengeInput(
        "plant", "Plant", Kind.TREES, 1.0, date(2026, 3, 1), date(2026, 3, 31), daily_cap=2.5, team_target=40
    )
    assert [str(p) for p in challenges.check_challenge(data)] == [
        "daily_cap: trees are counted whole: use a whole number such as 1 or 12 (2.5 is not)"
    ]
