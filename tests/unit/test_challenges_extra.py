"""phase_on and rules_in_words: how the Challenges page describes a challenge."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from db.models import Kind
from engagement import challenges
from engagement.challenges import Phase, phase_on, rules_in_words
from tests.factories import make_challenge


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (date(2026, 3, 1), Phase.UPCOMING),
        (date(2026, 3, 2), Phase.RUNNING),
        (date(2026, 3, 29), Phase.RUNNING),
        (date(2026, 3, 30), Phase.ENDED),
    ],
)
def test_a_challenge_runs_from_its_first_to_its_last_day(session: Session, day: date, phase: Phase) -> None:
    challenge = challenges.get_challenge(session, make_challenge(session))  # 2026-03-02 to 2026-03-29
    assert phase_on(challenge, day) is phase


def test_rules_state_unit_points_cap_approval_and_window(session: Session) -> None:
    challenge = challenges.get_challenge(
        session,
        make_challenge(session, kind=Kind.VOLUNTEERING, points_per_unit=8.0, daily_cap=6.0, auto_approve_up_to=1.0),
    )
    assert rules_in_words(challenge) == [
        "What to log: the time you volunteered, in hours (15 minutes is 0.25).",
        "Points: 8 points per hour.",
        "Daily cap: up to 6 hours a day per person earn points; anything above still counts as impact.",
        "Approval: entries of up to 1 hour are approved at once; larger ones wait for your team lead.",
        "When: activity from 2026-03-02 to 2026-03-29 (both days included).",
    ]


def test_rules_without_a_cap_or_auto_approval_say_so(session: Session) -> None:
    challenge = challenges.get_challenge(session, make_challenge(session, kind=Kind.TREES, points_per_unit=1.0))
    rules = rules_in_words(challenge)
    assert rules[1] == "Points: 1 point per tree."
    assert rules[2] == "Daily cap: none, every approved amount earns points."
    assert rules[3] == "Approval: every entry you log waits for your team lead to approve it."
