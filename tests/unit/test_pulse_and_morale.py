"""The weekly pulse and morale: one answer a week, anonymity by suppression, no individual leaks."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import AuditEntry, Base, Person, PulseResponse, PulseWeekly, Role, Site, Team
from engagement import organisation, publication, pulse
from engagement import settings as morale_settings
from engagement.access import SYSTEM, Actor
from engagement.errors import PermissionDenied, ValidationError
from engagement.morale import BY_SUBTRACTION, TOO_FEW, Cell, GroupBy, alerts, weekly_morale
from tests.factories import NOW, after_closing, make_person

THIS_MONDAY = date(2026, 3, 16)  # NOW is Wednesday 18 March 2026
LAST_WEEK = date(2026, 3, 9)


def _team(session: Session, name: str, size: int, site: str | None = None) -> list[Actor]:
    return [make_person(session, team=name, site=site) for _ in range(size)]


def _answer(
    session: Session, people: list[Actor], week: date, scores: list[int], enps: list[int | None] | None = None
) -> None:
    enps = enps if enps is not None else [None] * len(people)
    pulse.record_history(
        session,
        [
            pulse.Answer(p.person_id, p.team_id, week, s, e)  # type: ignore[arg-type]
            for p, s, e in zip(people, scores, enps, strict=False)
        ],
    )


def _manager(session: Session) -> Actor:
    return make_person(session, team=None, role=Role.MANAGER)


def _morale(session: Session, by: GroupBy, start: date = LAST_WEEK, end: date = LAST_WEEK) -> list[tuple[object, ...]]:
    cells = after_closing(weekly_morale, session, _manager(session), by, start, end, now=NOW)
    return [(c.week, c.group, c.responses, c.avg_score, c.enps, c.suppressed) for c in cells]


def _recomputed(session: Session) -> set[tuple[object, ...]]:
    """The weekly sums as a plain GROUP BY over every stored answer."""
    r = PulseResponse
    rows = session.execute(
        select(
            r.team_id,
            r.week_start,
            func.count(),
            func.sum(r.score),
            func.count(r.enps),
            func.sum(case((r.enps >= 9, 1), else_=0)),
            func.sum(case((r.enps <= 6, 1), else_=0)),
        ).group_by(r.team_id, r.week_start)
    )
    return {tuple(row) for row in rows}


def _rollup(session: Session) -> set[tuple[object, ...]]:
    w = PulseWeekly
    rows = session.execute(
        select(w.team_id, w.week_start, w.responses, w.score_sum, w.enps_answers, w.promoters, w.detractors)
    )
    return {tuple(row) for row in rows}


# -- answering -------------------------------------------------------------------


def test_a_second_answer_in_a_week_replaces_the_first(session: Session) -> None:
    person = make_person(session)
    assert pulse.answer_pulse(session, person, 2, 3, "rough week", now=NOW) is False
    assert pulse.answer_pulse(session, person, 4, 9, "better now", now=NOW + timedelta(days=2)) is True
    assert [(a.week, a.score, a.enps, a.comment) for a in pulse.my_history(session, person)] == [
        (THIS_MONDAY, 4, 9, "better now")
    ]
    assert _rollup(session) == {(person.team_id, THIS_MONDAY, 1, 4, 1, 1, 0)}


def test_the_next_week_is_a_new_answer(session: Session) -> None:
    person = make_person(session)
    pulse.answer_pulse(session, person, 2, None, now=NOW)
    assert pulse.answer_pulse(session, person, 3, None, now=NOW + timedelta(days=5)) is False
    assert [a.week for a in pulse.my_history(session, person)] == [THIS_MONDAY + timedelta(weeks=1), THIS_MONDAY]


def test_the_weekly_rollup_always_equals_a_recomputation(session: Session) -> None:
    cedar = _team(session, "Cedar", 3)
    _answer(session, cedar, LAST_WEEK, [3, 4, 5], [9, 6, None])
    _answer(session, cedar[:2], LAST_WEEK, [1, 2], [10, 0])  # two replace their answers
    mover = cedar[2]
    assert mover.person_id is not None
    organisation.move_person(session, SYSTEM, mover.person_id, "Birch", LAST_WEEK)
    moved = Actor.of(organisation.get_person(session, mover.person_id))
    _answer(session, [moved], LAST_WEEK, [2], [7])  # replaces an answer and moves it to Birch
    _answer(session, cedar[:1], THIS_MONDAY, [5], [9])
    assert _rollup(session) == _recomputed(session)
    assert session.scalar(select(func.count()).select_from(PulseResponse)) == 4


def test_bad_pulse_values_are_refused(session: Session) -> None:
    person = make_person(session)
    refused = []
    for score, enps in ((0, None), (6, None), (3.5, None), (True, None), (3, -1), (3, 11), (3, 7.0)):
        with pytest.raises(ValidationError) as error:
            pulse.answer_pulse(session, person, score, enps, now=NOW)  # type: ignore[arg-type]
        refused.append(str(error.value))
    score, enps = "score: must be a whole number from 1 to 5", "enps: must be a whole number from 0 to 10"
    assert refused == [score] * 4 + [enps] * 3
    assert session.scalar(select(func.count()).select_from(PulseResponse)) == 0


def test_only_team_members_answer_the_pulse(session: Session) -> None:
    manager = _manager(session)
    with pytest.raises(ValidationError, match="team: the pulse is answered by members of a team"):
        pulse.answer_pulse(session, manager, 4, 8, now=NOW)


def test_my_history_shows_only_my_own_answers(session: Session) -> None:
    me, colleague = _team(session, "Cedar", 2)
    pulse.answer_pulse(session, me, 4, 8, "fine", now=NOW)
    pulse.answer_pulse(session, colleague, 1, 0, "awful", now=NOW)
    assert [(a.score, a.comment) for a in pulse.my_history(session, me)] == [(4, "fine")]
    assert [(a.score, a.comment) for a in pulse.my_history(session, colleague)] == [(1, "awful")]
    assert pulse.my_history(session, SYSTEM) == []
    # No argument names another person: the actor is the only way in.
    assert list(inspect.signature(pulse.my_history).parameters) == ["session", "actor", "limit"]


def test_pulse_answers_leave_no_audit_row_and_a_closed_week_one_without_people(session: Session) -> None:
    """Any row per answer would sit next to the person's other actions in the log and tell who answered."""
    person = make_person(session, email="secret.person@example.org")
    pulse.answer_pulse(session, person, 2, 3, "my manager is unkind", now=NOW)
    pulse.answer_pulse(session, person, 5, 10, "all good really", now=NOW)
    assert session.scalars(select(AuditEntry).where(AuditEntry.entity == "pulse")).all() == []
    publication.close_weeks(session, NOW + timedelta(weeks=1))
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.entity == "pulse")).all()
    assert (entry.action, entry.actor_id, entry.entity_id, entry.before, entry.reason) == (
        "pulse.week_close",
        None,
        None,
        None,
        None,
    )
    assert json.loads(entry.after or "{}") == {"week": "2026-03-16", "threshold": 5}


# -- suppression -----------------------------------------------------------------


def test_a_team_with_four_answers_is_suppressed_and_with_five_is_shown(session: Session) -> None:
    _answer(session, _team(session, "Four", 4), LAST_WEEK, [5, 5, 5, 5], [10, 10, 10, 10])
    _answer(session, _team(session, "Five", 5), LAST_WEEK, [5, 4, 4, 3, 2], [10, 10, 9, 7, 3])
    assert _morale(session, GroupBy.TEAM) == [
        (LAST_WEEK, "Five", 5, 3.6, 40.0, False),
        (LAST_WEEK, "Four", None, None, None, True),
    ]


def test_enps_is_promoters_minus_detractors_in_percent(session: Session) -> None:
    _answer(session, _team(session, "Even", 5), LAST_WEEK, [3] * 5, [10, 9, 8, 6, 0])
    _answer(session, _team(session, "Gloomy", 6), LAST_WEEK, [2] * 6, [6, 5, 4, 9, 7, 8])
    assert [(c[1], c[4]) for c in _morale(session, GroupBy.TEAM)] == [("Even", 0.0), ("Gloomy", -33.3)]


def test_enps_is_suppressed_on_its_own_when_few_gave_it(session: Session) -> None:
    _answer(session, _team(session, "Shy", 5), LAST_WEEK, [4, 4, 4, 4, 4], [10, 9, 9, 0, None])
    assert _morale(session, GroupBy.TEAM) == [(LAST_WEEK, "Shy", 5, 4.0, None, False)]


def test_the_threshold_is_configurable_never_below_three_and_applies_to_weeks_closing_after_it(
    session: Session,
) -> None:
    morale_settings.update(session, SYSTEM, NOW, anonymity_threshold=4)
    four, three = _team(session, "Four", 4), _team(session, "Three", 3)
    _answer(session, four, LAST_WEEK, [4, 4, 4, 2])
    _answer(session, three, LAST_WEEK, [3, 3, 3])
    assert [(c[1], c[2], c[5]) for c in _morale(session, GroupBy.TEAM)] == [("Four", 4, False), ("Three", None, True)]
    for bad, message in ((2, "must be at least 3"), (0, "must be at least 3"), ("abc", "must be a whole number")):
        with pytest.raises(ValidationError, match=f"anonymity_threshold: {message}"):
            morale_settings.update(session, SYSTEM, NOW, anonymity_threshold=bad)
    assert morale_settings.load(session).anonymity_threshold == 4
    morale_settings.update(session, SYSTEM, NOW, anonymity_threshold=3)
    # The closed week keeps what it published; the open week closes under the new threshold.
    assert [(c[1], c[2]) for c in _morale(session, GroupBy.TEAM)] == [("Four", 4), ("Three", None)]
    _answer(session, three, LAST_WEEK + timedelta(weeks=1), [3, 3, 3])
    later = after_closing(
        weekly_morale,
        session,
        SYSTEM,
        GroupBy.TEAM,
        LAST_WEEK,
        LAST_WEEK + timedelta(weeks=1),
        now=NOW + timedelta(weeks=1),
    )
    assert [(c.week, c.group, c.responses) for c in later] == [
        (LAST_WEEK, "Four", 4),
        (LAST_WEEK, "Three", None),
        (LAST_WEEK + timedelta(weeks=1), "Four", None),
        (LAST_WEEK + timedelta(weeks=1), "Three", 3),
    ]


def test_only_admins_change_the_threshold(session: Session) -> None:
    for actor in (make_person(session), _manager(session)):
        with pytest.raises(PermissionDenied):
            morale_settings.update(session, actor, anonymity_threshold=10)
    assert morale_settings.load(session).anonymity_threshold == 5


def test_a_site_is_withheld_when_subtracting_its_visible_team_reveals_a_small_one(session: Session) -> None:
    """North holds 9 + 4 answers: showing North (13) beside team A (9) would reveal team B's 4."""
    _answer(session, _team(session, "A", 9, site="North"), LAST_WEEK, [4] * 9)
    _answer(session, _team(session, "B", 4, site="North"), LAST_WEEK, [1] * 4)
    assert [(c[1], c[2], c[5]) for c in _morale(session, GroupBy.TEAM)] == [("A", 9, False), ("B", None, True)]
    assert _morale(session, GroupBy.SITE) == [(LAST_WEEK, "North", None, None, None, True)]
    assert _morale(session, GroupBy.COMPANY) == [(LAST_WEEK, "Company", None, None, None, True)]
    cells = after_closing(weekly_morale, session, _manager(session), GroupBy.SITE, LAST_WEEK, LAST_WEEK, now=NOW)
    assert [c.reason for c in cells] == [BY_SUBTRACTION]


def test_the_company_is_withheld_when_subtracting_visible_sites_reveals_a_small_team(session: Session) -> None:
    _answer(session, _team(session, "A", 6, site="North"), LAST_WEEK, [4] * 6)
    _answer(session, _team(session, "B", 5, site="South"), LAST_WEEK, [4] * 5)
    _answer(session, _team(session, "Loners", 2), LAST_WEEK, [1, 1])  # a team with no site
    assert [(c[1], c[2]) for c in _morale(session, GroupBy.SITE)] == [("North", 6), ("South", 5)]
    assert _morale(session, GroupBy.COMPANY) == [(LAST_WEEK, "Company", None, None, None, True)]


def test_parents_are_shown_when_nothing_small_can_be_subtracted(session: Session) -> None:
    _answer(session, _team(session, "A", 9, site="North"), LAST_WEEK, [4] * 9)
    _answer(session, _team(session, "B", 5, site="North"), LAST_WEEK, [2] * 5)
    _team(session, "Silent", 3, site="North")  # members, no answers: nothing to reveal
    assert _morale(session, GroupBy.SITE) == [(LAST_WEEK, "North", 14, 3.29, None, False)]
    assert _morale(session, GroupBy.COMPANY) == [(LAST_WEEK, "Company", 14, 3.29, None, False)]
    silent = [
        c for c in after_closing(weekly_morale, session, _manager(session), GroupBy.TEAM, LAST_WEEK, LAST_WEEK, now=NOW)
    ]
    assert [(c.group, c.responses, c.suppressed, c.reason) for c in silent if c.group == "Silent"] == [
        ("Silent", None, True, TOO_FEW)
    ]


def test_the_current_week_is_never_shown(session: Session) -> None:
    team = _team(session, "Open", 5)
    _answer(session, team, LAST_WEEK, [3] * 5)
    _answer(session, team, THIS_MONDAY, [5] * 5)
    rows = _morale(session, GroupBy.TEAM, date(2026, 3, 2), date(2026, 3, 31))
    assert [(c[0], c[2]) for c in rows] == [(LAST_WEEK, 5)]  # weeks before the first answer publish nothing
    assert _morale(session, GroupBy.COMPANY, THIS_MONDAY, THIS_MONDAY + timedelta(days=6)) == []


def test_only_managers_and_admins_read_morale(session: Session) -> None:
    _answer(session, _team(session, "Oak", 5), LAST_WEEK, [4] * 5)
    lead = make_person(session, role=Role.LEAD)
    for actor in (make_person(session), lead):
        with pytest.raises(PermissionDenied):
            after_closing(weekly_morale, session, actor, GroupBy.TEAM, LAST_WEEK, LAST_WEEK, now=NOW)
        with pytest.raises(PermissionDenied):
            after_closing(alerts, session, actor, now=NOW)
    assert after_closing(weekly_morale, session, SYSTEM, GroupBy.COMPANY, LAST_WEEK, LAST_WEEK, now=NOW) != []


def test_answers_land_in_the_week_of_the_organisations_time_zone(session: Session) -> None:
    """Sunday 23:30 in London is already Monday in Manila; the organisation's zone decides."""
    morale_settings.update(session, SYSTEM, timezone="Asia/Manila")
    person = make_person(session)
    sunday_night_utc = datetime(2026, 3, 22, 23, 30, tzinfo=UTC)
    pulse.answer_pulse(session, person, 3, None, now=sunday_night_utc)
    assert [a.week for a in pulse.my_history(session, person)] == [date(2026, 3, 23)]


# -- property: nothing shown lets a small group be recovered by subtraction ------


@dataclass(frozen=True)
class TeamAnswers:
    site: int | None
    answers: list[tuple[int, int | None]]  # (score, enps or None)


@st.composite
def week_of_answers(draw: st.DrawFn) -> tuple[int, int, list[TeamAnswers]]:
    sites = draw(st.integers(1, 2))
    answer = st.tuples(st.integers(1, 5), st.none() | st.integers(0, 10))
    teams = draw(
        st.lists(
            st.builds(TeamAnswers, st.none() | st.integers(0, sites - 1), st.lists(answer, max_size=9)),
            min_size=1,
            max_size=6,
        )
    )
    return draw(st.sampled_from((3, 4, 5))), sites, teams


def _store_week(session: Session, sites: int, teams: list[TeamAnswers]) -> None:
    site_rows = [Site(name=f"Site {i}") for i in range(sites)]
    session.add_all(site_rows)
    answers = []
    for t, spec in enumerate(teams):
        team = Team(name=f"Team {t}", site=None if spec.site is None else site_rows[spec.site], active=True)
        people = [
            Person(email=f"t{t}p{i}@example.org", name=f"P{i}", role=Role.AGENT, team=team, active=True)
            for i in range(max(len(spec.answers), 1))
        ]
        session.add_all([team, *people])
        session.flush()
        answers += [
            pulse.Answer(p.id, team.id, LAST_WEEK, score, enps)
            for p, (score, enps) in zip(people, spec.answers, strict=False)
        ]
    pulse.record_history(session, answers)


def _safe(hidden: int, k: int) -> bool:
    return hidden == 0 or hidden >= k


def _check_figures(cell: Cell, answers: list[tuple[int, int | None]], k: int) -> None:
    """A shown cell holds at least k answers and exactly their figures; a hidden one holds nothing."""
    if cell.suppressed:
        assert (cell.responses, cell.avg_score, cell.enps) == (None, None, None)
        return
    scores = [s for s, _ in answers]
    enps = [e for _, e in answers if e is not None]
    assert len(scores) >= k
    assert (cell.responses, cell.avg_score) == (len(scores), round(sum(scores) / len(scores), 2))
    if cell.enps is not None:
        assert len(enps) >= k
        promoters, detractors = sum(e >= 9 for e in enps), sum(e <= 6 for e in enps)
        assert cell.enps == round(100 * (promoters - detractors) / len(enps), 1)


@pytest.mark.slow
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=week_of_answers())
def test_no_shown_figure_reveals_a_small_group_by_subtraction(engine: Engine, example: tuple) -> None:
    k, sites, teams = example
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    with unit_of_work(engine) as session:
        if k != 5:
            morale_settings.update(session, SYSTEM, NOW, anonymity_threshold=k)
        _store_week(session, sites, teams)
    with unit_of_work(engine, write=False) as session:
        cells = {
            by: {c.group: c for c in after_closing(weekly_morale, session, SYSTEM, by, LAST_WEEK, LAST_WEEK, now=NOW)}
            for by in GroupBy
        }
    if not any(spec.answers for spec in teams):
        assert cells == {by: {} for by in GroupBy}  # a week nobody answered in publishes nothing
        return
    by_team = {f"Team {t}": spec.answers for t, spec in enumerate(teams)}
    by_site = {f"Site {s}": [a for spec in teams if spec.site == s for a in spec.answers] for s in range(sites)}
    for by, truth in ((GroupBy.TEAM, by_team), (GroupBy.SITE, by_site)):
        for group, cell in cells[by].items():
            _check_figures(cell, truth[group], k)
    _check_figures(cells[GroupBy.COMPANY]["Company"], [a for spec in teams for a in spec.answers], k)

    for figure, count in (("avg_score", lambda a: len(a)), ("enps", lambda a: sum(e is not None for _, e in a))):
        shown_teams = {g for g, c in cells[GroupBy.TEAM].items() if getattr(c, figure) is not None}
        shown_sites = {g for g, c in cells[GroupBy.SITE].items() if getattr(c, figure) is not None}
        covered = 0
        for s in range(sites):
            in_site = [f"Team {t}" for t, spec in enumerate(teams) if spec.site == s]
            hidden = sum(count(by_team[t]) for t in in_site if t not in shown_teams)
            if f"Site {s}" in shown_sites:
                assert _safe(hidden, k), (figure, f"Site {s}", hidden)
                covered += sum(count(by_team[t]) for t in in_site)
        if getattr(cells[GroupBy.COMPANY]["Company"], figure) is not None:
            outside = [
                t
                for t, spec in zip(by_team, teams, strict=True)
                if spec.site is None or f"Site {spec.site}" not in shown_sites
            ]
            covered += sum(count(by_team[t]) for t in outside if t in shown_teams)
            hidden = sum(count(a) for a in by_team.values()) - covered
            assert _safe(hidden, k), (figure, "Company", hidden)
