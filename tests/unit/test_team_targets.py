"""Team targets: the leading teams, the asking team and how many reached the target, ranked in SQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.models import Role, Status
from engagement import impact, organisation
from engagement.access import SYSTEM
from engagement.impact import TeamAmount
from tests.factories import log, make_challenge, make_person
from tests.unit.conftest import statement_log


def test_the_leaders_the_asking_team_and_the_count_that_reached_the_target(session: Session) -> None:
    challenge = make_challenge(session, team_target=10.0)
    people = {team: make_person(session, team=team) for team in ("Ash", "Birch", "Cedar", "Elm", "Oak")}
    for team, quantity in (("Ash", 12.0), ("Birch", 4.0), ("Elm", 12.0), ("Oak", 10.0)):
        log(session, people[team], challenge, quantity)
    log(session, people["Birch"], challenge, 3.0, date(2026, 3, 2))  # another month, summed with the first
    log(session, people["Cedar"], challenge, 50.0, status=Status.PENDING)  # not approved: counts for nothing
    log(session, people["Cedar"], challenge, 40.0, status=Status.REJECTED)

    standing = impact.target_standing(session, SYSTEM, challenge, people["Cedar"].team_id, top=3)

    assert standing is not None
    ids = {team: person.team_id for team, person in people.items()}
    assert (standing.target, standing.teams, standing.reached) == (10.0, 5, 3)
    assert standing.top == [
        TeamAmount(ids["Ash"] or 0, "Ash", 12.0, 1),
        TeamAmount(ids["Elm"] or 0, "Elm", 12.0, 1),  # equal amounts share a rank, then go by name
        TeamAmount(ids["Oak"] or 0, "Oak", 10.0, 3),
    ]
    assert standing.mine == TeamAmount(ids["Cedar"] or 0, "Cedar", 0.0, 5)
    birch = impact.target_standing(session, SYSTEM, challenge, ids["Birch"], top=3)
    assert birch is not None and birch.mine == TeamAmount(ids["Birch"] or 0, "Birch", 7.0, 4)


def test_the_asking_team_among_the_leaders_is_in_both(session: Session) -> None:
    challenge = make_challenge(session, team_target=5.0)
    oak, ash = make_person(session, team="Oak"), make_person(session, team="Ash")
    log(session, oak, challenge, 6.0)
    log(session, ash, challenge, 1.0)

    standing = impact.target_standing(session, SYSTEM, challenge, oak.team_id)

    assert standing is not None and standing.mine is not None
    assert standing.mine in standing.top and standing.top[0] == standing.mine
    assert [t.team for t in standing.top] == ["Oak", "Ash"]
    assert standing.reached == 1


def test_retired_teams_are_left_out_and_a_viewer_without_a_team_has_no_row(session: Session) -> None:
    challenge = make_challenge(session, team_target=5.0)
    old, oak = make_person(session, team="Old"), make_person(session, team="Oak")
    log(session, old, challenge, 9.0)
    organisation.update_person(session, SYSTEM, old.person_id or 0, 1, active=False)
    organisation.set_team_active(session, SYSTEM, old.team_id or 0, False)
    log(session, oak, challenge, 2.0)

    standing = impact.target_standing(session, SYSTEM, challenge, None)

    assert standing is not None
    assert [(t.team, t.amount) for t in standing.top] == [("Oak", 2.0)]
    assert (standing.teams, standing.reached, standing.mine) == (1, 0, None)


def test_a_team_formed_after_the_challenge_is_not_ranked_in_its_target(session: Session) -> None:
    challenge = make_challenge(session, team_target=5.0)  # 2 to 29 March
    log(session, make_person(session, team="Oak"), challenge, 6.0)
    organisation.add_person(
        session,
        SYSTEM,
        organisation.PersonInput("new@example.org", "New", Role.AGENT, "Latecomers"),
        since=date(2026, 4, 2),
    )

    standing = impact.target_standing(session, SYSTEM, challenge, None)

    assert standing is not None
    assert [t.team for t in standing.top] == ["Oak"]
    assert (standing.teams, standing.reached) == (1, 1)


def test_a_challenge_without_a_team_target_has_no_standing(session: Session) -> None:
    challenge = make_challenge(session)
    make_person(session, team="Oak")
    assert impact.target_standing(session, SYSTEM, challenge, None) is None


def test_many_teams_come_back_as_one_statement_of_the_leaders_and_the_asking_team(
    session: Session, engine: Engine
) -> None:
    challenge = make_challenge(session, team_target=10.0)
    people = [make_person(session, team=f"Team {i:02d}") for i in range(30)]
    for i, person in enumerate(people):
        log(session, person, challenge, float(i + 1))
    last = people[0].team_id
    viewer = make_person(session, team=None, role=Role.MANAGER)
    session.flush()

    with statement_log(engine) as statements:
        standing = impact.target_standing(session, viewer, challenge, last, top=5)

    assert standing is not None and standing.mine is not None
    assert [t.amount for t in standing.top] == [30.0, 29.0, 28.0, 27.0, 26.0]
    assert (standing.mine.team, standing.mine.rank, standing.teams, standing.reached) == ("Team 00", 30, 30, 21)
    assert len(statements) == 2, statements  # the target, then the ranked teams
