"""phase_on, by_phase and rules_in_words: how the Challenges page describes and orders challenges."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from db.models import Challenge, Kind
from engagement import challenges
from engagement.challenges import Phase, by_phase, phase_on, rules_in_words
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


def test_challenges_are_listed_running_then_coming_up_then_ended() -> None:
    """Running newest first, coming up soonest first, ended latest first."""

    def challenge(slug: str, starts: date, ends: date) -> Challenge:
        return Challenge(slug=slug, starts_on=starts, ends_on=ends)

    every = [
        challenge("ended-early", date(2026, 1, 1), date(2026, 1, 31)),
        challenge("next-month", date(2026, 4, 1), date(2026, 4, 30)),
        challenge("running-old", date(2026, 2, 1), date(2026, 3, 31)),
        challenge("ended-late", date(2026, 2, 1), date(2026, 3, 14)),
        challenge("next-week", date(2026, 3, 23), date(2026, 4, 5)),
        challenge("running-new", date(2026, 3, 9), date(2026, 3, 22)),
    ]
    ordered = by_phase(every, date(2026, 3, 15))
    assert [(c.slug, phase) for c, phase in ordered] == [
        ("running-new", Phase.RUNNING),
        ("running-old", Phase.RUNNING),
        ("next-week", Phase.UPCOMING),
        ("next-month", Phase.UPCOMING),
        ("ended-late", Phase.ENDED),
        ("ended-early", Phase.ENDED),
    ]


def test_rules_state_unit_points_cap_approval_and_window(session: Session) -> None:
    challenge = challenges.get_challenge(
        session,
        make_challenge(session, kind=Kind.VOLUNTEERING, points_per_unit=8.0, daily_cap=6.0, auto_approve_up_to=1.0),
    )
    assert rules_in_words(challenge) == [
        "What to log: the time you volunteered, in minutes.",
        "Points: 8 points per hour.",
        "Daily cap: up to 6 hours a day per person earn points; anything above still counts as impact.",
        "Approval: entries of up to 1 hour are approved at once; larger ones wait for your team lead.",
        "When: activity from 2026-03-02 to 2026-03-29 (both days included); late entries are taken until 2026-04-12.",
    ]


def test_rules_without_a_cap_or_auto_approval_say_so(session: Session) -> None:
    challenge = challenges.get_challenge(session, make_challenge(session, kind=Kind.TREES, points_per_unit=1.0))
    rules = rules_in_words(challenge)
    assert rules[1] == "Points: 1 point per tree."
    assert rules[2] == "Daily cap: none, every approved amount earns points."
    assert rules[3] == "Approval: every entry you log waits for your team lead to approve it."
