"""One team's morale trend equals that team's cells in the whole organisation's view."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from engagement import morale, organisation, pulse
from engagement.access import SYSTEM
from engagement.morale import GroupBy
from tests.factories import NOW, after_closing, make_person
from tests.loops import each

FIRST_WEEK = date(2026, 1, 5)
LAST_WEEK = date(2026, 3, 9)  # the last week closed before NOW (Wednesday 18 March 2026)


def _org(session: Session) -> None:
    """Three teams over ten weeks: one too small to show, one person moves, one leaves, some weeks are quiet."""
    teams = {"Oak": 9, "Ash": 5, "Elm": 4}
    people = {team: [make_person(session, team=team, site="North") for _ in range(n)] for team, n in teams.items()}
    mover, leaver = people["Oak"][0], people["Elm"][0]
    organisation.move_person(session, SYSTEM, mover.person_id or 0, "Ash", date(2026, 2, 4))
    organisation.update_person(session, SYSTEM, leaver.person_id or 0, 1, active=False)
    answers = []
    for week in range(10):
        monday = FIRST_WEEK + timedelta(weeks=week)
        for team, members in people.items():
            for i, person in enumerate(members):
                if (i + week) % 3 == 0 and team == "Oak":
                    continue  # Oak dips below the threshold in some weeks
                team_id = organisation.team_on(session, person.person_id or 0, monday) or 0
                answers.append(
                    pulse.Answer(person.person_id or 0, team_id, monday, 1 + (i + week) % 5, (i * week) % 11)
                )
    pulse.record_history(session, answers)


def test_team_trend_is_the_teams_own_cells_of_the_full_view(session: Session) -> None:
    _org(session)
    every = after_closing(
        morale.weekly_morale, session, SYSTEM, GroupBy.TEAM, FIRST_WEEK, LAST_WEEK + timedelta(days=6), now=NOW
    )
    for team in each(organisation.list_teams(session)):
        mine = after_closing(
            morale.team_trend, session, SYSTEM, team.id, FIRST_WEEK, LAST_WEEK + timedelta(days=6), now=NOW
        )
        assert mine == [c for c in every if c.group_id == team.id]
    assert any(c.suppressed for c in every) and any(not c.suppressed for c in every)


def test_invited_counts_the_roster_on_each_monday(session: Session) -> None:
    _org(session)
    oak = next(t.id for t in organisation.list_teams(session) if t.name == "Oak")
    ash = next(t.id for t in organisation.list_teams(session) if t.name == "Ash")
    cells = {
        (c.week, c.group): c.invited
        for c in after_closing(
            morale.weekly_morale, session, SYSTEM, GroupBy.TEAM, FIRST_WEEK, LAST_WEEK + timedelta(days=6), now=NOW
        )
        if not c.suppressed
    }
    # The mover counts for Oak up to the Monday before the move and for Ash from the Monday after.
    assert cells[(date(2026, 2, 2), "Ash")] == 5
    assert cells[(date(2026, 2, 9), "Ash")] == 6
    assert (
        after_closing(morale.team_trend, session, SYSTEM, oak, FIRST_WEEK, FIRST_WEEK + timedelta(days=6), now=NOW)[
            0
        ].invited
        == 9
    )
    assert (
        after_closing(morale.team_trend, session, SYSTEM, ash, LAST_WEEK, LAST_WEEK + timedelta(days=6), now=NOW)[
            0
        ].invited
        == 6
    )
