"""Challenges: what can be logged, in which unit, for how many points, when."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy.orm import Session

from db.models import Kind
from engagement import challenges
from engagement.access import SYSTEM
from engagement.challenges import ChallengeInput, close_challenge, create_challenge, update_challenge
from engagement.errors import Conflict, ValidationError

ENERGY = ChallengeInput("home-energy", "Home energy", Kind.ENERGY, 1.0, date(2026, 3, 2), date(2026, 3, 29))


def _problems(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [str(p) for p in error.value.problems]


def test_the_unit_follows_the_kind(session: Session) -> None:
    units = {
        kind: create_challenge(session, SYSTEM, replace(ENERGY, slug=f"c-{kind.value}", kind=kind)).unit
        for kind in Kind
    }
    assert units == {Kind.ENERGY: "kWh", Kind.TREES: "trees", Kind.VOLUNTEERING: "hours"}


def test_a_challenge_is_checked_in_full(session: Session) -> None:
    bad = ChallengeInput(
        "Home Energy!",
        "",
        Kind.VOLUNTEERING,
        0,
        date(2026, 3, 29),
        date(2026, 3, 2),
        unit="minutes",
        daily_cap=float("nan"),
        team_target=-1,
        auto_approve_up_to=float("inf"),
    )
    with pytest.raises(ValidationError) as error:
        create_challenge(session, SYSTEM, bad)
    assert _problems(error) == [
        "slug: use 1-60 lower-case letters, digits and hyphens (e.g. home-energy-2026)",
        "name: is required",
        "unit: a volunteering challenge is measured in hours",
        "points_per_unit: must be a number greater than 0",
        "daily_cap: must be a number greater than 0",
        "team_target: must be a number greater than 0",
        "auto_approve_up_to: must be a number greater than 0",
        "ends_on: is before starts_on (2026-03-29)",
    ]
    assert challenges.list_challenges(session) == []


def test_slugs_are_unique(session: Session) -> None:
    create_challenge(session, SYSTEM, ENERGY)
    with pytest.raises(ValidationError) as error:
        create_challenge(session, SYSTEM, replace(ENERGY, name="Other"))
    assert _problems(error) == ["slug: a challenge called 'home-energy' already exists"]


def test_an_update_keeps_slug_and_kind_and_refuses_a_stale_version(session: Session) -> None:
    challenge = create_challenge(session, SYSTEM, ENERGY)
    changed = replace(ENERGY, slug="renamed", kind=Kind.TREES, name="Energy at home", daily_cap=12)
    update_challenge(session, SYSTEM, challenge.id, 1, changed)
    assert (challenge.slug, challenge.kind, challenge.name, challenge.daily_cap) == (
        "home-energy",
        Kind.ENERGY,
        "Energy at home",
        12,
    )
    with pytest.raises(Conflict, match="changed by someone else"):
        update_challenge(session, SYSTEM, challenge.id, 1, ENERGY)


def test_closing_early_ends_the_window_but_never_extends_it(session: Session) -> None:
    challenge = create_challenge(session, SYSTEM, ENERGY)
    close_challenge(session, SYSTEM, challenge.id, date(2026, 4, 30))
    assert challenge.ends_on == date(2026, 3, 29)
    close_challenge(session, SYSTEM, challenge.id, date(2026, 3, 15))
    assert challenge.ends_on == date(2026, 3, 15)
    with pytest.raises(ValidationError) as error:
        close_challenge(session, SYSTEM, challenge.id, date(2026, 3, 1))
    assert _problems(error) == ["ends_on: cannot close before the challenge starts (2026-03-02)"]


def test_open_challenges_are_those_running_that_day(session: Session) -> None:
    create_challenge(session, SYSTEM, ENERGY)
    create_challenge(
        session, SYSTEM, replace(ENERGY, slug="april", starts_on=date(2026, 4, 1), ends_on=date(2026, 4, 30))
    )
    assert [c.slug for c in challenges.list_challenges(session, open_on=date(2026, 3, 29))] == ["home-energy"]
    assert [c.slug for c in challenges.list_challenges(session, open_on=date(2026, 4, 1))] == ["april"]
    assert [c.slug for c in challenges.list_challenges(session)] == ["april", "home-energy"]
