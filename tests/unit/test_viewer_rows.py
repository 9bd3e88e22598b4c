"""person_row and team_position: the viewer's own row and the sentence beside the team chart."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from engagement.access import SYSTEM
from engagement.errors import ValidationError
from engagement.leaderboards import (
    RankBy,
    Scope,
    TeamRow,
    person_leaderboard,
    person_row,
    team_leaderboard,
    team_position,
)
from tests.factories import log, make_challenge, make_person
from tests.loops import each


def test_person_row_is_the_persons_row_on_the_whole_board(session: Session) -> None:
    challenge = make_challenge(session)
    people = {name: make_person(session, name=name) for name in ("Ann", "Bea", "Cy", "Dee")}
    for name, quantity in (("Ann", 9.0), ("Bea", 5.0), ("Cy", 5.0), ("Dee", 1.0)):
        log(session, people[name], challenge, quantity)
    scope = Scope(challenge)
    board = {r.person_id: r for r in person_leaderboard(session, SYSTEM, scope)}
    for actor in each(people.values()):
        assert person_row(session, SYSTEM, scope, actor.person_id) == board[actor.person_id]
    assert person_row(session, SYSTEM, scope, people["Cy"].person_id).rank == 2  # type: ignore[union-attr]
    assert person_row(session, SYSTEM, scope, people["Dee"].person_id).rank == 4  # type: ignore[union-attr]


def test_person_row_is_none_without_points_or_without_a_person(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session), challenge, 2.0)
    idle = make_person(session)
    assert person_row(session, SYSTEM, Scope(challenge), idle.person_id) is None
    assert person_row(session, SYSTEM, Scope(challenge), None) is None


def team(rank: int, team_id: int, per_member: float, points: float, participation: float) -> TeamRow:
    return TeamRow(rank, team_id, f"Team {team_id}", None, points, 4, per_member, 2, participation)


BOARD = [
    team(1, 1, 9.5, 38.0, 0.75),
    team(2, 2, 7.25, 29.0, 0.5),
    team(2, 3, 7.25, 29.0, 0.5),
    team(4, 4, 3.0, 12.0, 0.25),
]


def test_team_position_names_the_team_just_above_and_the_gap_in_the_ranked_value() -> None:
    position = team_position(BOARD, 4, RankBy.PER_MEMBER)
    assert position is not None
    assert (position.row.team_id, position.teams_ranked, position.gap) == (4, 4, 4.25)
    assert position.above is not None and position.above.team_id == 3  # the last of the tied teams above
    assert team_position(BOARD, 4, RankBy.TOTAL).gap == 17.0  # type: ignore[union-attr]
    assert team_position(BOARD, 4, RankBy.PARTICIPATION).gap == 0.25  # type: ignore[union-attr]


def test_a_team_tied_with_others_is_measured_against_the_team_above_the_tie() -> None:
    position = team_position(BOARD, 3, RankBy.PER_MEMBER)
    assert position is not None and position.above is not None
    assert (position.above.team_id, position.gap) == (1, 2.25)


def test_the_top_team_has_nobody_above_and_a_missing_team_has_no_position() -> None:
    top = team_position(BOARD, 1, RankBy.PER_MEMBER)
    assert top is not None and top.above is None and top.gap is None
    assert team_position(BOARD, 99, RankBy.PER_MEMBER) is None
    assert team_position(BOARD, None, RankBy.PER_MEMBER) is None
    assert team_position([], 1, RankBy.PER_MEMBER) is None


def test_a_window_that_ends_before_it_starts_is_refused(session: Session) -> None:
    with pytest.raises(ValidationError, match="to: 2026-04-01 is before the first day, 2026-05-01"):
        team_leaderboard(session, SYSTEM, Scope(start=date(2026, 5, 1), end=date(2026, 4, 1)))


def test_the_gap_is_between_the_values_as_ranked_so_it_reads_as_the_board_prints_them() -> None:
    """1 of 8 taking part (12.5%) ranks as 13%, 3 of 25 as 12%: one percentage point, not 0.5."""
    board = [TeamRow(1, 1, "Oak", None, 1.0, 8, 0.13, 1, 0.125), TeamRow(2, 2, "Ash", None, 1.0, 25, 0.04, 3, 0.12)]
    assert team_position(board, 2, RankBy.PARTICIPATION).gap == 0.01  # type: ignore[union-attr]
