"""One clock for a person: the day offered, and the latest day accepted, is today in their own zone (issue 11).

At 23:30 on 4 December in Honolulu it is already 09:30 on 5 December in
London, the organisation's zone. The agent's today is the 4th: the forms offer
it (``organisation.todays``), and the engine accepts it and refuses the 5th
with one message, whether the entry comes from the form, the team table or a
CSV file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import Role
from engagement import challenges, grid, organisation, results, settings
from engagement.access import SYSTEM, Actor
from engagement.errors import ValidationError
from engagement.imports import ImportKind, run_import
from tests.factories import make_challenge, make_person

LATE_IN_HONOLULU = datetime(2026, 12, 4, 23, 30, tzinfo=ZoneInfo("Pacific/Honolulu"))
THEIR_DAY, LONDONS_DAY = date(2026, 12, 4), date(2026, 12, 5)
REFUSED = "2026-12-05 is in the future (today is 2026-12-04 in Pacific/Honolulu)"


def _honolulu_team(session: Session) -> tuple[Actor, Actor, int]:
    """A London organisation with an agent in Honolulu; their lead; a challenge running all December."""
    settings.update(session, SYSTEM, LATE_IN_HONOLULU, timezone="Europe/London")
    lead = make_person(session, team="Kona", role=Role.LEAD)
    agent = organisation.add_person(
        session,
        SYSTEM,
        organisation.PersonInput("kai@example.org", "Kai", Role.AGENT, team="Kona", timezone="Pacific/Honolulu"),
    )
    challenge = make_challenge(session, starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 31))
    return Actor.of(agent), lead, challenge


def test_each_persons_today_is_in_their_own_zone(session: Session) -> None:
    agent, lead, _ = _honolulu_team(session)
    days = organisation.todays(session, [agent.person_id or 0, lead.person_id or 0], LATE_IN_HONOLULU)
    assert days == {agent.person_id: THEIR_DAY, lead.person_id: LONDONS_DAY}  # the lead has no zone: London's


@pytest.mark.parametrize(("day", "refusal"), [(THEIR_DAY, None), (LONDONS_DAY, f"occurred_on: {REFUSED}")])
def test_the_form_saves_their_day_and_refuses_the_next(session: Session, day: date, refusal: str | None) -> None:
    agent, _, challenge = _honolulu_team(session)
    entry = results.ResultInput(agent.person_id or 0, challenge, 1.0, day)
    if refusal is None:
        assert results.record_results(session, agent, [entry], now=LATE_IN_HONOLULU).ids
        return
    with pytest.raises(ValidationError) as error:
        results.record_results(session, agent, [entry], now=LATE_IN_HONOLULU)
    assert [str(p) for p in error.value.problems] == [refusal]


@pytest.mark.parametrize(("day", "refusal"), [(THEIR_DAY, None), (LONDONS_DAY, f"Kai, Day: {REFUSED}")])
def test_the_team_table_saves_their_day_and_refuses_the_next(session: Session, day: date, refusal: str | None) -> None:
    agent, lead, challenge = _honolulu_team(session)
    roster = sorted(organisation.active_member_ids(session, [lead.team_id or 0]))
    column = grid.GridColumn(challenge, "Energy", "kWh", volunteering=False)
    rows = [grid.GridRow(agent.person_id or 0, {challenge: 2.0}, "", None, None)]

    def save() -> results.Recorded:
        return grid.record_grid(
            session, lead, lead.team_id or 0, roster, day, [column], rows, ref=f"t{day}", now=LATE_IN_HONOLULU
        )

    if refusal is None:
        assert save().ids
        return
    with pytest.raises(ValidationError) as error:
        save()
    assert [f"{p.field}: {p.message}" for p in error.value.problems] == [refusal]


@pytest.mark.parametrize(("day", "refusal"), [(THEIR_DAY, None), (LONDONS_DAY, f"row 2: occurred_on: {REFUSED}")])
def test_a_csv_import_saves_their_day_and_refuses_the_next(engine: Engine, day: date, refusal: str | None) -> None:
    with unit_of_work(engine) as session:
        _, _, challenge = _honolulu_team(session)
        slug = challenges.get_challenge(session, challenge).slug
    data = f"email,challenge,quantity,occurred_on\nkai@example.org,{slug},1,{day}\n".encode()
    if refusal is None:
        assert run_import(engine, SYSTEM, ImportKind.RESULTS, data, now=LATE_IN_HONOLULU).created == 1
        return
    with pytest.raises(ValidationError) as error:
        run_import(engine, SYSTEM, ImportKind.RESULTS, data, now=LATE_IN_HONOLULU)
    assert [str(p) for p in error.value.problems] == [refusal]


def test_the_instant_is_the_next_day_in_london() -> None:
    """The premise: Honolulu's 23:30 is London's next morning."""
    assert LATE_IN_HONOLULU.astimezone(UTC) == datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
