"""The cheap reads behind My standing give the same figures as the boards they summarise."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from db.models import Kind, Role, Status
from engagement import challenges, impact, leaderboards, organisation
from engagement.access import SYSTEM
from engagement.leaderboards import Scope
from tests.factories import log, make_challenge, make_person


def test_my_points_equal_my_row_on_each_challenge_board(session: Session) -> None:
    me = make_person(session, team="Oak")
    other = make_person(session, team="Ash")
    capped = make_challenge(session, daily_cap=5.0, points_per_unit=2.0)
    trees = make_challenge(session, kind=Kind.TREES, points_per_unit=10.0)
    untouched = make_challenge(session)
    for day, quantity in ((date(2026, 3, 10), 4.0), (date(2026, 3, 10), 3.0), (date(2026, 3, 11), 2.5)):
        log(session, me, capped, quantity, day)  # 7 on the 10th is capped at 5
    log(session, me, capped, 9.0, date(2026, 3, 12), status=Status.PENDING)
    log(session, me, trees, 2.0, date(2026, 3, 3))
    log(session, me, trees, 1.0, date(2026, 3, 20))
    log(session, other, trees, 4.0, date(2026, 3, 4))
    challenges.close_challenge(session, SYSTEM, trees, date(2026, 3, 15))  # the 20th no longer counts

    mine = leaderboards.my_points(session, me, [capped, trees, untouched])

    assert mine == {capped: 15.0, trees: 20.0}
    for challenge in (capped, trees):
        row = leaderboards.standing(session, me, Scope(challenge)).me
        assert row is not None and row.points == mine[challenge]


def test_my_points_are_empty_for_someone_without_a_person_or_no_longer_active(session: Session) -> None:
    me = make_person(session, team="Oak")
    challenge = make_challenge(session)
    log(session, me, challenge, 2.0)
    assert leaderboards.my_points(session, SYSTEM, [challenge]) == {}
    organisation.update_person(session, SYSTEM, me.person_id or 0, 1, active=False)
    assert leaderboards.my_points(session, me, [challenge]) == {}


def test_team_totals_equal_the_teams_standing_against_the_target(session: Session) -> None:
    oak = [make_person(session, team="Oak") for _ in range(3)]
    ash = make_person(session, team="Ash")
    first, second = make_challenge(session, team_target=50.0), make_challenge(session, team_target=20.0)
    for i, person in enumerate(oak):
        log(session, person, first, 1.5 + i)
        log(session, person, second, 2.0, date(2026, 3, 3 + i))
    log(session, ash, first, 7.0)
    log(session, oak[0], first, 30.0, status=Status.REJECTED)

    totals = impact.team_totals(session, SYSTEM, oak[0].team_id or 0, [first, second])

    assert totals == {first: 7.5, second: 6.0}
    for challenge in (first, second):
        standing = impact.target_standing(session, SYSTEM, challenge, oak[0].team_id)
        assert standing is not None and standing.mine is not None
        assert standing.mine.amount == totals[challenge]


def test_a_shared_ranking_gives_everyone_the_same_standing_as_asking_alone(session: Session) -> None:
    """Ties, a team level with another, someone without points, someone without a team."""
    people = [make_person(session, team=team) for team in ("Oak", "Oak", "Ash", "Ash", "Elm", "Elm", "Elm")]
    loner = make_person(session, team=None, role=Role.ADMIN)
    challenge = make_challenge(session, daily_cap=6.0)
    for person, quantity in zip(people, (5.0, 3.0, 4.0, 4.0, 8.0, 1.0, 0.0), strict=True):
        if quantity:
            log(session, person, challenge, quantity)
    log(session, loner, challenge, 2.0)
    for scope in (
        Scope(challenge),
        Scope(start=date(2026, 3, 9), end=date(2026, 3, 15)),
        Scope(start=date(2026, 4, 1), end=date(2026, 4, 30)),
    ):
        shared = leaderboards.ranking(session, SYSTEM, scope)
        for actor in (*people, loner):
            assert shared.standing_of(actor) == leaderboards.standing(session, actor, scope)


def test_my_period_points_equal_my_row_on_the_period_board(session: Session) -> None:
    me = make_person(session, team="Oak")
    capped = make_challenge(session, daily_cap=5.0, points_per_unit=2.0)
    trees = make_challenge(session, kind=Kind.TREES, points_per_unit=10.0)
    for day, quantity in ((date(2026, 3, 10), 4.0), (date(2026, 3, 10), 3.0), (date(2026, 3, 17), 2.5)):
        log(session, me, capped, quantity, day)
    log(session, me, trees, 2.0, date(2026, 3, 11))
    log(session, me, trees, 9.0, date(2026, 3, 12), status=Status.PENDING)
    for start, end in ((date(2026, 3, 9), date(2026, 3, 15)), (date(2026, 3, 1), date(2026, 3, 31))):
        row = leaderboards.standing(session, me, Scope(start=start, end=end)).me
        assert row is not None
        assert leaderboards.my_period_points(session, me, start, end) == row.points
    assert leaderboards.my_period_points(session, me, date(2026, 4, 1), date(2026, 4, 30)) == 0.0
