"""Leaderboards: every definition of issue 2, by hand-computed cases and against a brute force."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import Base, Person, Status, WorkMode
from engagement import challenges, organisation, results
from engagement.access import SYSTEM, Actor
from engagement.leaderboards import RankBy, Scope, person_leaderboard, ranking, standing, team_leaderboard
from tests.factories import NOW, log, make_challenge, make_person

D = date(2026, 3, 10)


def _people(session: Session, scope: Scope) -> list[tuple[int, str, float]]:
    return [(r.rank, r.name, r.points) for r in person_leaderboard(session, SYSTEM, scope)]


def _teams(session: Session, scope: Scope, rank_by: RankBy = RankBy.PER_MEMBER) -> list[tuple[object, ...]]:
    return [
        (r.rank, r.team, r.points, r.members, r.points_per_member, r.participants, r.participation)
        for r in team_leaderboard(session, SYSTEM, scope, rank_by)
    ]


def _deactivate(session: Session, actor: Actor) -> None:
    assert actor.person_id is not None
    person = session.get(Person, actor.person_id)
    assert person is not None
    organisation.deactivate_person(session, SYSTEM, person.id, person.version)


# -- ranking ---------------------------------------------------------------------


def test_people_tied_share_a_rank_and_the_next_rank_is_skipped(session: Session) -> None:
    challenge = make_challenge(session)
    for name, quantity in (("Dee", 1.0), ("Zed", 5.0), ("Ann", 5.0), ("Bea", 10.0)):
        log(session, make_person(session, name=name), challenge, quantity)
    assert _people(session, Scope(challenge)) == [(1, "Bea", 10.0), (2, "Ann", 5.0), (2, "Zed", 5.0), (4, "Dee", 1.0)]


def test_teams_tied_share_a_rank_and_are_listed_by_name(session: Session) -> None:
    challenge = make_challenge(session)
    for team, quantity in (("Willow", 3.0), ("Alder", 3.0), ("Maple", 7.0), ("Birch", 1.0)):
        log(session, make_person(session, team=team), challenge, quantity)
    assert [(rank, team) for rank, team, *_ in _teams(session, Scope(challenge))] == [
        (1, "Maple"),
        (2, "Alder"),
        (2, "Willow"),
        (4, "Birch"),
    ]


def test_float_noise_does_not_break_a_tie(session: Session) -> None:
    """0.1 + 0.2 is 0.30000000000000004 in binary; rounded to 2 decimals it ties with 0.3."""
    challenge = make_challenge(session)
    noisy = make_person(session, name="Noisy", team="Aurora")
    log(session, noisy, challenge, 0.1)
    log(session, noisy, challenge, 0.2, date(2026, 3, 11))
    log(session, make_person(session, name="Exact", team="Birch"), challenge, 0.3)
    assert _people(session, Scope(challenge)) == [(1, "Exact", 0.3), (1, "Noisy", 0.3)]
    assert [(r[0], r[1], r[2]) for r in _teams(session, Scope(challenge), RankBy.TOTAL)] == [
        (1, "Aurora", 0.3),
        (1, "Birch", 0.3),
    ]


def test_shown_values_are_rounded_like_the_ranking(session: Session) -> None:
    """A row shows the same 2-decimal value it was ranked on (half-up, as both stores round)."""
    challenge = make_challenge(session, points_per_unit=0.5)
    log(session, make_person(session, name="Half", team="Aurora"), challenge, 0.25)
    log(session, make_person(session, name="Whole", team="Birch"), challenge, 0.26)
    # 0.25 × 0.5 = 0.125 → 0.13 and 0.26 × 0.5 = 0.13: a tie, and both show 0.13.
    assert _people(session, Scope(challenge)) == [(1, "Half", 0.13), (1, "Whole", 0.13)]


# -- counted quantity, points and status -------------------------------------------


def test_daily_cap_limits_counted_quantity(session: Session) -> None:
    challenge = make_challenge(session, daily_cap=12, points_per_unit=2)
    person = make_person(session, name="Capped")
    log(session, person, challenge, 8)
    log(session, person, challenge, 8)
    assert _people(session, Scope(challenge)) == [(1, "Capped", 24.0)]


def test_daily_cap_applies_to_each_day_separately(session: Session) -> None:
    challenge = make_challenge(session, daily_cap=12)
    person = make_person(session, name="Steady")
    for day, quantity in ((date(2026, 3, 9), 8), (date(2026, 3, 9), 8), (date(2026, 3, 10), 10), (D, 5)):
        log(session, person, challenge, quantity, day)
    log(session, person, challenge, 7, date(2026, 3, 11))
    assert _people(session, Scope(challenge)) == [(1, "Steady", 12.0 + 12.0 + 7.0)]


def test_daily_cap_is_per_challenge(session: Session) -> None:
    capped = make_challenge(session, daily_cap=5)
    uncapped = make_challenge(session)
    person = make_person(session, name="Both")
    log(session, person, capped, 8)
    log(session, person, uncapped, 8)
    assert _people(session, Scope(None)) == [(1, "Both", 13.0)]


def test_only_approved_results_count(session: Session) -> None:
    challenge = make_challenge(session, daily_cap=12)
    person = make_person(session, name="Waiting")
    log(session, person, challenge, 8)
    log(session, person, challenge, 8, status=Status.PENDING)
    log(session, person, challenge, 8, status=Status.REJECTED)
    assert _people(session, Scope(challenge)) == [(1, "Waiting", 8.0)]
    only_pending = make_person(session, name="Pending only")
    log(session, only_pending, challenge, 5, status=Status.PENDING)
    assert [name for _, name, _ in _people(session, Scope(challenge))] == ["Waiting"]


def test_points_are_counted_quantity_times_points_per_unit(session: Session) -> None:
    trees = make_challenge(session, points_per_unit=10)
    hours = make_challenge(session, points_per_unit=8)
    person = make_person(session, name="Mixed")
    log(session, person, trees, 2)
    log(session, person, hours, 0.25)
    assert _people(session, Scope(trees)) == [(1, "Mixed", 20.0)]
    assert _people(session, Scope(None)) == [(1, "Mixed", 22.0)]


# -- windows ---------------------------------------------------------------------


def test_one_challenge_defaults_to_its_own_window(session: Session) -> None:
    challenge = make_challenge(session, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 29))
    person = make_person(session, name="Early")
    log(session, person, challenge, 4, date(2026, 3, 5))
    log(session, person, challenge, 6, date(2026, 3, 20))
    challenges.close_challenge(session, SYSTEM, challenge, date(2026, 3, 15))
    assert _people(session, Scope(challenge)) == [(1, "Early", 4.0)]


def test_all_challenges_default_to_all_time(session: Session) -> None:
    old = make_challenge(session, starts_on=date(2025, 1, 6), ends_on=date(2025, 2, 2))
    new = make_challenge(session)
    person = make_person(session, name="Veteran")
    log(session, person, old, 3, date(2025, 1, 6))
    log(session, person, new, 4, date(2026, 3, 29))
    assert _people(session, Scope(None)) == [(1, "Veteran", 7.0)]


def test_explicit_window_includes_both_ends(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session, name="Windowed")
    for day, quantity in ((8, 1), (9, 2), (12, 4), (13, 8)):
        log(session, person, challenge, quantity, date(2026, 3, day))
    assert _people(session, Scope(challenge, date(2026, 3, 9), date(2026, 3, 12))) == [(1, "Windowed", 6.0)]
    assert _people(session, Scope(None, date(2026, 3, 9), date(2026, 3, 12))) == [(1, "Windowed", 6.0)]
    assert _people(session, Scope(challenge, date(2026, 3, 13))) == [(1, "Windowed", 8.0)]
    assert _people(session, Scope(challenge, None, date(2026, 3, 8))) == [(1, "Windowed", 1.0)]


# -- who counts ------------------------------------------------------------------


def test_inactive_people_count_neither_points_nor_members(session: Session) -> None:
    challenge = make_challenge(session)
    stays = make_person(session, team="Aurora", name="Stays")
    leaves = make_person(session, team="Aurora", name="Leaves")
    log(session, stays, challenge, 4)
    log(session, leaves, challenge, 40)
    _deactivate(session, leaves)
    assert _people(session, Scope(challenge)) == [(1, "Stays", 4.0)]
    assert _teams(session, Scope(challenge)) == [(1, "Aurora", 4.0, 1, 4.0, 1, 1.0)]


def test_team_with_members_but_no_points_is_listed_with_zero(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Aurora"), challenge, 4)
    make_person(session, team="Quiet")
    make_person(session, team="Quiet")
    assert _teams(session, Scope(challenge)) == [
        (1, "Aurora", 4.0, 1, 4.0, 1, 1.0),
        (2, "Quiet", 0.0, 2, 0.0, 0, 0.0),
    ]


def test_team_without_active_members_is_not_listed(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Aurora"), challenge, 4)
    gone = make_person(session, team="Gone")
    log(session, gone, challenge, 9)
    _deactivate(session, gone)
    assert [team for _, team, *_ in _teams(session, Scope(challenge))] == ["Aurora"]


def test_people_without_points_are_not_on_the_person_board(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, name="Active"), challenge, 1)
    make_person(session, name="Idle")
    assert _people(session, Scope(challenge)) == [(1, "Active", 1.0)]


def test_members_include_leads_and_participation_counts_people_with_points(session: Session) -> None:
    challenge = make_challenge(session)
    lead = make_person(session, team="Aurora", role=organisation.Role.LEAD)
    log(session, lead, challenge, 6)
    log(session, make_person(session, team="Aurora"), challenge, 3)
    make_person(session, team="Aurora")
    make_person(session, team="Aurora")
    assert _teams(session, Scope(challenge)) == [(1, "Aurora", 9.0, 4, 2.25, 2, 0.5)]


# -- rank_by ---------------------------------------------------------------------


@pytest.fixture
def three_teams(session: Session) -> int:
    """Big (4 members, 40 points, 1 participant), Solo (1, 15, 1), Pair (2, 12, 2)."""
    challenge = make_challenge(session)
    big = [make_person(session, team="Big") for _ in range(4)]
    log(session, big[0], challenge, 40)
    log(session, make_person(session, team="Solo"), challenge, 15)
    for _ in range(2):
        log(session, make_person(session, team="Pair"), challenge, 6)
    return challenge


def test_teams_rank_by_points_per_member_by_default(session: Session, three_teams: int) -> None:
    assert _teams(session, Scope(three_teams)) == [
        (1, "Solo", 15.0, 1, 15.0, 1, 1.0),
        (2, "Big", 40.0, 4, 10.0, 1, 0.25),
        (3, "Pair", 12.0, 2, 6.0, 2, 1.0),
    ]


def test_teams_rank_by_total(session: Session, three_teams: int) -> None:
    assert [(r[0], r[1]) for r in _teams(session, Scope(three_teams), RankBy.TOTAL)] == [
        (1, "Big"),
        (2, "Solo"),
        (3, "Pair"),
    ]


def test_teams_rank_by_participation(session: Session, three_teams: int) -> None:
    assert [(r[0], r[1]) for r in _teams(session, Scope(three_teams), RankBy.PARTICIPATION)] == [
        (1, "Pair"),
        (1, "Solo"),
        (3, "Big"),
    ]


# -- membership history ----------------------------------------------------------


def test_a_move_credits_the_old_team_before_and_the_new_team_after(session: Session) -> None:
    challenge = make_challenge(session)
    mover = make_person(session, team="Old", name="Mover")
    make_person(session, team="Old", name="Stayer")
    log(session, mover, challenge, 5, date(2026, 3, 5))
    log(session, mover, challenge, 7, date(2026, 3, 12))
    assert mover.person_id is not None
    organisation.move_person(session, SYSTEM, mover.person_id, "New", date(2026, 3, 10))
    log(session, mover, challenge, 1, date(2026, 3, 15))
    # Old: 5 points before the move; Mover was on its roster until the 10th, so both count (2 members).
    # New: 7 + 1 after the move, 1 member (Mover) who participates.
    assert _teams(session, Scope(challenge), RankBy.TOTAL) == [
        (1, "New", 8.0, 1, 8.0, 1, 1.0),
        (2, "Old", 5.0, 2, 2.5, 1, 0.5),
    ]
    assert [(r.name, r.team, r.points) for r in person_leaderboard(session, SYSTEM, Scope(challenge))] == [
        ("Mover", "New", 13.0)
    ]


def test_a_move_on_the_day_of_a_result_credits_the_new_team(session: Session) -> None:
    challenge = make_challenge(session)
    mover = make_person(session, team="Old")
    make_person(session, team="Old")
    log(session, mover, challenge, 5, date(2026, 3, 9))
    log(session, mover, challenge, 3, date(2026, 3, 10))
    assert mover.person_id is not None
    organisation.move_person(session, SYSTEM, mover.person_id, "New", date(2026, 3, 10))
    assert {r[1]: r[2] for r in _teams(session, Scope(challenge))} == {"Old": 5.0, "New": 3.0}


# -- a period's own roster -----------------------------------------------------

TODAY = date(2026, 12, 4)  # long after the March challenge ended


def _join_today(session: Session, team: str, name: str) -> Actor:
    """Someone who joins ``team`` today: a new hire whose history starts today."""
    person = organisation.add_person(
        session,
        SYSTEM,
        organisation.PersonInput(f"{name.lower()}@example.org", name, organisation.Role.AGENT, team),
        since=TODAY,
    )
    return Actor.of(person)


def test_people_who_join_a_team_after_a_period_do_not_count_in_its_members(session: Session) -> None:
    challenge = make_challenge(session)  # 2 to 29 March
    log(session, make_person(session, team="Cedar"), challenge, 6)
    make_person(session, team="Cedar")
    mover = make_person(session, team="Birch", name="Mover")
    assert mover.person_id is not None
    _join_today(session, "Cedar", "Newcomer")
    organisation.move_person(session, SYSTEM, mover.person_id, "Cedar", TODAY)
    # March: Cedar had two members (3 points each); Mover was in Birch all March.
    assert _teams(session, Scope(challenge)) == [
        (1, "Cedar", 6.0, 2, 3.0, 1, 0.5),
        (2, "Birch", 0.0, 1, 0.0, 0, 0.0),
    ]
    # This week Cedar has all four, and Birch had Mover until today.
    week = Scope(start=date(2026, 11, 30), end=date(2026, 12, 6))
    assert {(team, members) for _, team, _, members, *_ in _teams(session, week)} == {("Cedar", 4), ("Birch", 1)}


def test_someone_who_left_a_team_during_the_period_still_counts_for_it(session: Session) -> None:
    challenge = make_challenge(session)
    leaver = make_person(session, team="Cedar", name="Leaver")
    make_person(session, team="Cedar")
    log(session, leaver, challenge, 8, date(2026, 3, 5))
    assert leaver.person_id is not None
    organisation.move_person(session, SYSTEM, leaver.person_id, "Birch", date(2026, 3, 16))
    rows = {team: (members, per_member) for _, team, _, members, per_member, *_ in _teams(session, Scope(challenge))}
    assert rows == {"Cedar": (2, 4.0), "Birch": (1, 0.0)}
    # Before the move Birch did not exist yet: it is not on the board of the first week.
    first_week = Scope(challenge, date(2026, 3, 2), date(2026, 3, 8))
    assert [team for _, team, *_ in _teams(session, first_week)] == ["Cedar"]


def test_a_team_formed_after_a_challenge_ended_is_not_ranked_in_it(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Cedar"), challenge, 2)
    for name in ("Ada", "Bo"):
        _join_today(session, "Newteam", name)
    scope = Scope(challenge)
    assert [team for _, team, *_ in _teams(session, scope)] == ["Cedar"]
    assert [t.team for t in ranking(session, SYSTEM, scope).teams] == ["Cedar"]
    assert standing(session, SYSTEM, scope).teams_ranked == 1
    # The team is on the boards of the days it exists.
    assert "Newteam" in {team for _, team, *_ in _teams(session, Scope(start=TODAY, end=TODAY))}


# -- filters ---------------------------------------------------------------------


def test_site_filter_keeps_that_sites_teams_and_people(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Cedar", site="Leeds", name="Lee"), challenge, 2)
    log(session, make_person(session, team="Maple", site="Manila", name="Mani"), challenge, 3)
    leeds = organisation.site_id(session, "Leeds")
    assert [r[1] for r in _teams(session, Scope(challenge, site_id=leeds))] == ["Cedar"]
    assert _people(session, Scope(challenge, site_id=leeds)) == [(1, "Lee", 2.0)]


def test_a_site_board_shows_its_teams_as_the_whole_board_does(session: Session) -> None:
    """The site's board reads only results credited to its teams; a mover's points stay with each team."""
    challenge = make_challenge(session)
    mover = make_person(session, team="Cedar", site="Leeds", name="Mover")
    log(session, make_person(session, team="Cedar", site="Leeds"), challenge, 2)
    log(session, make_person(session, team="Birch", site="Leeds"), challenge, 1)
    log(session, make_person(session, team="Maple", site="Manila"), challenge, 9)
    log(session, mover, challenge, 4, date(2026, 3, 9))
    assert mover.person_id is not None
    organisation.move_person(session, SYSTEM, mover.person_id, "Maple", date(2026, 3, 10))
    log(session, mover, challenge, 3, date(2026, 3, 11))
    whole = {r[1]: r[2:] for r in _teams(session, Scope(challenge))}
    leeds = _teams(session, Scope(challenge, site_id=organisation.site_id(session, "Leeds")))
    assert [(rank, team) for rank, team, *_ in leeds] == [(1, "Cedar"), (2, "Birch")]
    assert {team: figures for _, team, *figures in leeds} == {t: list(whole[t]) for t in ("Cedar", "Birch")}


def test_work_mode_filter_counts_only_those_workers(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Cedar", name="Home", work_mode=WorkMode.HOME), challenge, 2)
    log(session, make_person(session, team="Cedar", name="Centre", work_mode=WorkMode.CENTRE), challenge, 3)
    make_person(session, team="Cedar", name="Idle centre", work_mode=WorkMode.CENTRE)
    scope = Scope(challenge, work_mode=WorkMode.CENTRE)
    assert _teams(session, scope) == [(1, "Cedar", 3.0, 2, 1.5, 1, 0.5)]
    assert _people(session, scope) == [(1, "Centre", 3.0)]


# -- standing --------------------------------------------------------------------


def test_standing_gives_my_rank_my_team_and_the_gap_to_the_team_above(session: Session) -> None:
    challenge = make_challenge(session)
    log(session, make_person(session, team="Top", name="Tia"), challenge, 10)
    log(session, make_person(session, team="Middle", name="Max"), challenge, 6)
    me = make_person(session, team="Bottom", name="Me")
    log(session, me, challenge, 2)
    make_person(session, team="Bottom")
    mine = standing(session, me, Scope(challenge))
    assert mine.me is not None and (mine.me.rank, mine.me.points) == (3, 2.0)
    assert mine.people_ranked == 3
    assert mine.team is not None and (mine.team.team, mine.team.rank, mine.team.points_per_member) == ("Bottom", 3, 1.0)
    assert mine.teams_ranked == 3
    assert mine.team_above is not None and mine.team_above.team == "Middle"
    assert mine.gap_to_team_above == 5.0


def test_standing_at_the_top_has_no_team_above(session: Session) -> None:
    challenge = make_challenge(session)
    top = make_person(session, team="Top", name="Tia")
    log(session, top, challenge, 10)
    idle = make_person(session, team="Idle")
    at_top = standing(session, top, Scope(challenge))
    assert at_top.team is not None and at_top.team.rank == 1
    assert at_top.team_above is None and at_top.gap_to_team_above is None
    nothing_yet = standing(session, idle, Scope(challenge))
    assert nothing_yet.me is None
    assert nothing_yet.team is not None and nothing_yet.team.rank == 2
    assert nothing_yet.gap_to_team_above == 10.0


# -- property: the boards equal a brute force of the definitions -----------------

TEAM_NAMES = ("Alder", "Birch", "Cedar", "Hazel", "Maple")
FIRST_DAY = date(2026, 3, 9)
QUANTITIES = (0.1, 0.2, 0.25, 0.3, 0.5, 1.0, 2.5, 4.0, 7.75, 10.0)


@dataclass(frozen=True)
class PersonSpec:
    team: int
    active: bool
    centre: bool


@dataclass(frozen=True)
class ResultSpec:
    person: int
    challenge: int
    day: int
    quantity: float
    status: Status


@dataclass(frozen=True)
class OrgSpec:
    teams: int
    people: list[PersonSpec]
    caps: list[float | None]
    points_per_unit: list[float]
    closes: list[int | None]
    results: list[ResultSpec]
    moves: list[tuple[int, int, int]]
    challenge: int | None
    window: tuple[int, int] | None
    work_mode: WorkMode | None


@st.composite
def org_specs(draw: st.DrawFn) -> OrgSpec:
    teams = draw(st.integers(1, 5))
    people = [
        PersonSpec(team, draw(st.sampled_from((True, True, True, False))), draw(st.booleans()))
        for team in range(teams)
        for _ in range(draw(st.integers(1, 8)))
    ]
    n_challenges = draw(st.integers(1, 2))
    person = st.integers(0, len(people) - 1)
    day = st.integers(0, 6)
    quantity = st.one_of(st.sampled_from(QUANTITIES), st.floats(0.01, 20).map(lambda q: round(q, 3)))
    results = draw(
        st.lists(
            st.builds(
                ResultSpec,
                person,
                st.integers(0, n_challenges - 1),
                day,
                quantity,
                st.sampled_from((Status.APPROVED, Status.APPROVED, Status.PENDING, Status.REJECTED)),
            ),
            max_size=30,
        )
    )
    window = draw(st.none() | st.tuples(day, day).map(lambda w: (min(w), max(w))))
    return OrgSpec(
        teams=teams,
        people=people,
        caps=[draw(st.sampled_from((None, 1.0, 2.5, 5.0, 12.0))) for _ in range(n_challenges)],
        points_per_unit=[draw(st.sampled_from((0.5, 1.0, 1.5, 2.0, 10.0))) for _ in range(n_challenges)],
        closes=[draw(st.none() | day) for _ in range(n_challenges)],
        results=results,
        moves=draw(st.lists(st.tuples(person, st.integers(0, teams - 1), day), max_size=3)),
        challenge=draw(st.none() | st.integers(0, n_challenges - 1)),
        window=window,
        work_mode=draw(st.sampled_from((None, None, WorkMode.HOME, WorkMode.CENTRE))),
    )


def _name(i: int) -> str:
    """Names whose order differs from creation order, so ties listed by id would show."""
    return f"{chr(ord('A') + (i * 7) % 26)}{i:03d}"


def _build(session: Session, spec: OrgSpec) -> tuple[list[int], list[int]]:
    person_ids = [
        organisation.add_person(
            session,
            SYSTEM,
            organisation.PersonInput(
                email=f"p{i}@example.org",
                name=_name(i),
                role=organisation.Role.AGENT,
                team=TEAM_NAMES[p.team],
                work_mode=WorkMode.CENTRE if p.centre else WorkMode.HOME,
            ),
        ).id
        for i, p in enumerate(spec.people)
    ]
    challenge_ids = [
        make_challenge(session, slug=f"c{i}", daily_cap=cap, points_per_unit=ppu)
        for i, (cap, ppu) in enumerate(zip(spec.caps, spec.points_per_unit, strict=True))
    ]
    entries = [
        results.ResultInput(
            person_ids[r.person],
            challenge_ids[r.challenge],
            r.quantity,
            FIRST_DAY + timedelta(days=r.day),
            status=r.status,
        )
        for r in spec.results
    ]
    results.record_results(session, SYSTEM, entries, now=NOW)
    for person, team, day in spec.moves:
        organisation.move_person(session, SYSTEM, person_ids[person], TEAM_NAMES[team], FIRST_DAY + timedelta(days=day))
    for challenge_id, close in zip(challenge_ids, spec.closes, strict=True):
        if close is not None:
            challenges.close_challenge(session, SYSTEM, challenge_id, FIRST_DAY + timedelta(days=close))
    for person_id, p in zip(person_ids, spec.people, strict=True):
        if not p.active:
            person = session.get(Person, person_id)
            assert person is not None
            organisation.deactivate_person(session, SYSTEM, person_id, person.version)
    return person_ids, challenge_ids


def _half_up(value: float, places: str = "0.01") -> float:
    return float(Decimal(f"{value:.15g}").quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _ranks(values: list[float]) -> list[int]:
    rounded = [_half_up(v) for v in values]
    return [1 + sum(other > mine for other in rounded) for mine in rounded]


def _brute_force(spec: OrgSpec) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The issue's definitions, computed in plain Python from the spec."""
    history = [[(date.min, p.team)] for p in spec.people]
    for person, team, day in spec.moves:
        moved_on = FIRST_DAY + timedelta(days=day)
        history[person] = [h for h in history[person] if h[0] < moved_on] + [(moved_on, team)]
    current = [h[-1][1] for h in history]
    counted = [
        p.active and (spec.work_mode is None or p.centre == (spec.work_mode is WorkMode.CENTRE)) for p in spec.people
    ]
    ends = [date(2026, 3, 29) if close is None else FIRST_DAY + timedelta(days=close) for close in spec.closes]
    daily: dict[tuple[int, int, date], float] = defaultdict(float)
    for r in spec.results:
        day = FIRST_DAY + timedelta(days=r.day)
        if r.status is not Status.APPROVED or not counted[r.person]:
            continue
        if spec.challenge is not None and r.challenge != spec.challenge:
            continue
        if spec.window is not None:
            start, end = (FIRST_DAY + timedelta(days=d) for d in spec.window)
        elif spec.challenge is not None:
            start, end = date(2026, 3, 2), ends[spec.challenge]
        else:
            start, end = date.min, date.max
        if start <= day <= end:
            daily[(r.person, r.challenge, day)] += r.quantity
    credited: dict[tuple[int, int], float] = defaultdict(float)
    for (person, challenge, day), quantity in daily.items():
        cap = spec.caps[challenge]
        team = max((h for h in history[person] if h[0] <= day), key=lambda h: h[0])[1]
        credited[(person, team)] += (quantity if cap is None else min(quantity, cap)) * spec.points_per_unit[challenge]

    people = [
        (i, sum(v for (p, _), v in credited.items() if p == i))
        for i in range(len(spec.people))
        if counted[i] and sum(v for (p, _), v in credited.items() if p == i) > 0
    ]
    person_rows = [
        (rank, _name(i), TEAM_NAMES[current[i]], _half_up(points))
        for (i, points), rank in zip(people, _ranks([points for _, points in people]), strict=True)
    ]
    person_rows.sort(key=lambda row: (row[0], row[1]))

    if spec.window is not None:
        first, last = (FIRST_DAY + timedelta(days=d) for d in spec.window)
    elif spec.challenge is not None:
        first, last = date(2026, 3, 2), ends[spec.challenge]
    else:
        first, last = date.min, date.max

    def on_roster(person: int, team: int) -> bool:
        """In ``team`` on some day of the window: a stint from its start to the next one's, overlapping it."""
        stints = history[person]
        until = [h[0] for h in stints[1:]] + [date.max]
        return any(t == team and begin <= last and end > first for (begin, t), end in zip(stints, until, strict=True))

    teams = []
    for team in range(spec.teams):
        roster = [i for i in range(len(spec.people)) if counted[i] and on_roster(i, team)]
        if not roster:
            continue
        points = sum(v for (p, t), v in credited.items() if t == team)
        participants = sum(1 for i in roster if credited.get((i, team), 0) > 0)
        teams.append((TEAM_NAMES[team], points, len(roster), points / len(roster), participants))
    team_rows = [
        (rank, name, _half_up(points), members, _half_up(per_member), participants, round(participants / members, 4))
        for (name, points, members, per_member, participants), rank in zip(
            teams, _ranks([t[3] for t in teams]), strict=True
        )
    ]
    team_rows.sort(key=lambda row: (row[0], row[1]))
    return team_rows, person_rows


def _clear(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=org_specs())
def test_boards_equal_a_brute_force_of_the_definitions(engine: Engine, spec: OrgSpec) -> None:
    _clear(engine)
    with unit_of_work(engine) as session:
        _, challenge_ids = _build(session, spec)
    window = (None, None) if spec.window is None else tuple(FIRST_DAY + timedelta(days=d) for d in spec.window)
    scope = Scope(None if spec.challenge is None else challenge_ids[spec.challenge], *window, work_mode=spec.work_mode)
    with unit_of_work(engine, write=False) as session:
        teams = _teams(session, scope)
        people = [(r.rank, r.name, r.team, r.points) for r in person_leaderboard(session, SYSTEM, scope)]
    expected_teams, expected_people = _brute_force(spec)
    assert teams == expected_teams
    assert people == expected_people
