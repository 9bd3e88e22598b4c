"""Results of an ended challenge: the podium over its own days and rosters, the winners, final after late entries."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from engagement import organisation
from engagement.access import SYSTEM
from engagement.leaderboards import podium
from tests.factories import log, make_challenge, make_person

ENDED = date(2026, 3, 29)
AFTER = date(2026, 4, 13)  # the late-entry window (14 days) closed on 12 April


def test_a_challenge_has_final_results_only_once_it_has_ended(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Cedar"), challenge, 3)
    assert podium(session, SYSTEM, challenge, ENDED) is None, "its last day is still running"
    assert podium(session, SYSTEM, challenge, date(2026, 3, 1)) is None
    final = podium(session, SYSTEM, challenge, date(2026, 3, 30))
    assert final is not None and final.ended_on == ENDED


def test_results_are_provisional_while_late_entries_are_taken_and_final_after(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Cedar"), challenge, 3)
    for day, final in ((date(2026, 3, 30), False), (date(2026, 4, 12), False), (AFTER, True)):
        result = podium(session, SYSTEM, challenge, day)
        assert result is not None
        assert (result.late_until, result.final) == (date(2026, 4, 12), final), day


def test_the_podium_holds_the_top_three_places_and_names_the_winners(session: Session) -> None:
    challenge = make_challenge(session)
    for team, name, quantity in (("Alder", "Ann", 9), ("Birch", "Bo", 7), ("Cedar", "Cy", 5), ("Hazel", "Di", 2)):
        log(session, make_person(session, team=team, name=name), challenge, quantity)
    make_person(session, team="Quiet")
    final = podium(session, SYSTEM, challenge, AFTER)
    assert final is not None
    assert [(t.rank, t.team, t.points_per_member) for t in final.teams] == [
        (1, "Alder", 9.0),
        (2, "Birch", 7.0),
        (3, "Cedar", 5.0),
    ]
    assert [(p.rank, p.name) for p in final.people] == [(1, "Ann"), (2, "Bo"), (3, "Cy")]
    assert [t.team for t in final.winning_teams] == ["Alder"]
    assert [p.name for p in final.winning_people] == ["Ann"]
    assert (final.teams_ranked, final.people_ranked) == (5, 4)


def test_a_tie_for_first_gives_two_winners_and_no_team_without_points_is_on_the_podium(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Alder", name="Ann"), challenge, 4)
    log(session, make_person(session, team="Birch", name="Bo"), challenge, 4)
    make_person(session, team="Quiet")
    final = podium(session, SYSTEM, challenge, AFTER)
    assert final is not None
    assert [(t.rank, t.team) for t in final.winning_teams] == [(1, "Alder"), (1, "Birch")]
    assert [t.team for t in final.teams] == ["Alder", "Birch"], "Quiet has no points"
    assert [p.name for p in final.winning_people] == ["Ann", "Bo"]


def test_what_happens_after_the_end_does_not_change_who_won(session: Session) -> None:
    """Cedar won March with 6 points for its 2 members; a new hire and a new team after the end change nothing."""
    challenge = make_challenge(session)
    cedar = make_person(session, team="Cedar")
    make_person(session, team="Cedar")
    log(session, cedar, challenge, 6)
    log(session, make_person(session, team="Birch"), challenge, 2.5)
    before = podium(session, SYSTEM, challenge, AFTER)
    for n in range(3):
        organisation.add_person(
            session,
            SYSTEM,
            organisation.PersonInput(f"new{n}@example.org", f"New {n}", organisation.Role.AGENT, "Cedar"),
            since=AFTER,
        )
        organisation.add_person(
            session,
            SYSTEM,
            organisation.PersonInput(f"late{n}@example.org", f"Late {n}", organisation.Role.AGENT, "Latecomers"),
            since=AFTER,
        )
    after = podium(session, SYSTEM, challenge, AFTER)
    assert before is not None and after == before
    assert [(t.team, t.members, t.points_per_member) for t in after.teams] == [("Cedar", 2, 3.0), ("Birch", 1, 2.5)]
    assert after.teams_ranked == 2, "Latecomers formed after the challenge ended: not ranked in it"


def test_a_challenge_nobody_scored_in_has_no_winner(session: Session) -> None:
    challenge = make_challenge(session)
    make_person(session, team="Cedar")
    final = podium(session, SYSTEM, challenge, AFTER)
    assert final is not None
    assert (final.teams, final.people, final.winning_teams) == ((), (), ())
    assert final.teams_ranked == 1
