"""Once a week has closed, what is published about it never changes (issue 10).

Each attack of the issue is replayed on both stores: a threshold change either
way, a team moved between sites, a westward time-zone change followed by a late
answer, a pulse import for a closed week, and parallel closers. Then a stateful
attacker drives random sequences of all of these, records every figure ever
shown, and after every step checks that nothing shown changed and that no
group smaller than its week's threshold can be solved for from what was shown.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import make_engine, unit_of_work, write_transaction
from db.models import AuditEntry, Base, MoraleCell, OutboxMessage, Person, PulseWeek, PulseWeekly, Role, Team
from engagement import demo, morale, organisation, publication, pulse, schedule
from engagement import settings as org_settings
from engagement.access import SYSTEM, Actor
from engagement.errors import ValidationError
from engagement.imports import ImportKind, run_import
from engagement.morale import GroupBy
from tests.factories import make_person

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # a Wednesday: the week of 16 March is open
LAST_WEEK = date(2026, 3, 9)
EVER = (date(2025, 1, 1), date(2027, 12, 31))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with unit_of_work(engine) as s:
        yield s


def _published(session: Session) -> dict[tuple[object, ...], tuple[object, ...]]:
    """Every figure any view shows, keyed by view and group: all groupings, each site filter, each team's trend."""
    shown: dict[tuple[object, ...], tuple[object, ...]] = {}
    sites = [None, *organisation.site_names(session)]
    for by in GroupBy:
        for site in sites:
            for c in morale.weekly_morale(session, SYSTEM, by, *EVER, site_id=site):
                figures = (c.responses, c.score_sum, c.avg_score, c.enps, c.invited, c.reason, c.site_id)
                shown[(by.value, site, c.week, c.group_id)] = figures
    for team in session.scalars(select(Team.id)):
        for c in morale.team_trend(session, SYSTEM, team, *EVER):
            shown[("trend", team, c.week)] = (c.responses, c.score_sum, c.avg_score, c.enps, c.reason)
    for a in morale.alerts(session, SYSTEM):
        shown[("alert", a.team)] = a.findings
    return shown


def _north_and_south(session: Session) -> dict[str, list[Actor]]:
    """Oak (5) and Ash (4) in North, Elm (6) in South: Ash is hidden, so North and the company are withheld."""
    teams = {"Oak": ("North", 5), "Ash": ("North", 4), "Elm": ("South", 6)}
    people = {t: [make_person(session, team=t, site=s) for _ in range(n)] for t, (s, n) in teams.items()}
    pulse.record_history(
        session,
        [
            pulse.Answer(p.person_id or 0, p.team_id or 0, LAST_WEEK, 1 + i % 5)
            for ps in people.values()
            for i, p in enumerate(ps)
        ],
    )
    publication.close_weeks(session, NOW)
    return people


@pytest.mark.parametrize("threshold", [6, 4, 3])
def test_a_threshold_change_leaves_closed_weeks_as_they_were_published(session: Session, threshold: int) -> None:
    _north_and_south(session)
    before = _published(session)
    assert before[("site", None, LAST_WEEK, organisation.site_id(session, "North"))][5] == morale.BY_SUBTRACTION
    org_settings.update(session, SYSTEM, NOW + timedelta(weeks=1), anonymity_threshold=threshold)
    publication.close_weeks(session, NOW + timedelta(weeks=2))
    after = _published(session)
    assert {k: v for k, v in after.items() if LAST_WEEK in k} == {k: v for k, v in before.items() if LAST_WEEK in k}


def test_moving_a_team_to_another_site_leaves_closed_weeks_as_they_were(session: Session) -> None:
    _north_and_south(session)
    before = _published(session)
    ash = session.scalar(select(Team.id).where(Team.name == "Ash"))
    assert ash is not None
    organisation.rename_team(session, SYSTEM, ash, "Ash", site="South", now=NOW)
    assert _published(session) == before
    # The move applies to weeks that close after it: Ash's next week is filed under South.
    publication.close_weeks(session, NOW + timedelta(weeks=1))
    (later,) = morale.team_trend(session, SYSTEM, ash, LAST_WEEK + timedelta(weeks=1), LAST_WEEK + timedelta(weeks=1))
    assert later.site == "South"


def test_a_westward_zone_change_does_not_reopen_a_closed_week(session: Session) -> None:
    """Monday 00:30 in London is still Sunday in New York: the closed week is "this week" there again."""
    people = _north_and_south(session)
    monday = datetime(2026, 3, 16, 0, 30, tzinfo=UTC)
    publication.close_weeks(session, monday)
    before = _published(session)
    org_settings.update(session, SYSTEM, monday, timezone="America/New_York")
    assert pulse.current_week(session, monday) == LAST_WEEK
    late = make_person(session, team="Ash", site="North")
    with pytest.raises(ValidationError, match="the pulse for the week of 2026-03-09 has closed"):
        pulse.answer_pulse(session, late, 5, 10, now=monday)
    with pytest.raises(ValidationError, match="has closed"):
        pulse.answer_pulse(session, people["Oak"][0], 5, 10, now=monday)  # replacing an answer is late too
    assert _published(session) == before


def test_a_pulse_import_for_a_closed_week_is_refused_per_row(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        _north_and_south(session)
        email = session.scalar(select(Person.email).where(Person.active).limit(1))
        before = _published(session)
    data = f"email,week_of,score\n{email},2026-03-10,5\n".encode()
    with pytest.raises(ValidationError) as error:
        run_import(engine, SYSTEM, ImportKind.PULSE, data, today=date(2026, 3, 11))  # even "inside" the week
    assert [str(p) for p in error.value.problems] == [
        "row 2: week_of: the pulse for the week of 2026-03-09 has closed; answers are taken for the current week only"
    ]
    with unit_of_work(engine, write=False) as session:
        assert _published(session) == before


def test_parallel_closers_settle_each_week_exactly_once(database_url: str) -> None:
    engine = make_engine(database_url)
    with unit_of_work(engine) as session:
        people = [make_person(session, team=f"T{i % 3}", site="North") for i in range(18)]
        weeks = [LAST_WEEK - timedelta(weeks=w) for w in range(6)]
        pulse.record_history(
            session, [pulse.Answer(p.person_id or 0, p.team_id or 0, w, 3) for p in people for w in weeks]
        )
    barrier, closed, errors = threading.Barrier(8), [], []

    def close() -> None:
        mine = make_engine(database_url)
        try:
            barrier.wait()
            closed.append(write_transaction(mine, publication.close_weeks, NOW))
        except Exception as e:
            errors.append(e)
        finally:
            mine.dispose()

    threads = [threading.Thread(target=close) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(w for found in closed for w in found) == sorted(weeks)
    with unit_of_work(engine, write=False) as session:
        per_week = dict(
            session.execute(select(MoraleCell.week_start, func.count()).group_by(MoraleCell.week_start)).all()
        )
        closes = session.scalar(select(func.count()).where(AuditEntry.action == "pulse.week_close"))
    assert per_week == {w: 3 + 1 + 1 for w in weeks} and closes == len(weeks)  # 3 teams, 1 site, the company
    engine.dispose()


@pytest.mark.parametrize("today", [date(2026, 1, 5), date(2026, 5, 17), date(2025, 10, 31)])
def test_the_demo_always_has_its_falling_team(sqlite_engine: Engine, today: date) -> None:
    """The demo promises one team whose morale is falling, on whatever day it is loaded."""
    with unit_of_work(sqlite_engine) as session:
        demo.load_demo(session, today=today)
    with unit_of_work(sqlite_engine, write=False) as session:
        assert [a.team for a in morale.alerts(session, SYSTEM)] == [demo.FALLING]


# -- the stateful attacker ----------------------------------------------------------

TEAMS = {"Oak": "North", "Ash": "North", "Elm": "South", "Fir": None}
SIZES = {"Oak": 6, "Ash": 4, "Elm": 5, "Fir": 3}
RATE_LINE = re.compile(r"^- (.+): (\d+)(?: of \d+)? answered, average (\d+\.\d)$", re.MULTILINE)
ZONES = ["UTC", "America/New_York", "Asia/Manila", "Pacific/Honolulu", "Europe/London"]


def _in_row_space(rows: list[list[Fraction]], target: list[Fraction]) -> bool:
    """Whether ``target`` is a linear combination of ``rows``: rank does not grow when it is added."""

    def rank(matrix: list[list[Fraction]]) -> int:
        m = [r[:] for r in matrix]
        found = 0
        for col in range(len(target)):
            pivot = next((i for i in range(found, len(m)) if m[i][col] != 0), None)
            if pivot is None:
                continue
            m[found], m[pivot] = m[pivot], m[found]
            for i in range(len(m)):
                if i != found and m[i][col] != 0:
                    factor = m[i][col] / m[found][col]
                    m[i] = [a - factor * b for a, b in zip(m[i], m[found], strict=True)]
            found += 1
        return found

    return rank([*rows, target]) == rank(rows)


class PulseOverTime(RuleBasedStateMachine):
    """Random answers, weeks passing, threshold, site, team, zone changes, imports and deactivations."""

    url: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.engine = make_engine(self.url)
        with unit_of_work(self.engine) as session:
            _empty(session)
            self.people = [
                make_person(session, team=team, site=site) for team, site in TEAMS.items() for _ in range(SIZES[team])
            ]
            # The attacker also holds every message these two receive (issue 12).
            self.manager = make_person(session, team=None, role=Role.MANAGER, name="Mia Manager")
            self.lead = make_person(session, team="Oak", site="North", role=Role.LEAD, name="Lee Lead")
        self.now = NOW
        self.seen: dict[tuple[object, ...], tuple[object, ...]] = {}

    def teardown(self) -> None:
        self.engine.dispose()

    def _write(self, fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(ValidationError):  # a refusal (a closed week) is an outcome, not a failure
            write_transaction(self.engine, fn, *args, **kwargs)

    @rule(who=st.integers(0, 17), score=st.integers(1, 5), enps=st.one_of(st.none(), st.integers(0, 10)))
    def answer(self, who: int, score: int, enps: int | None) -> None:
        def give(session: Session) -> None:
            person = session.get(Person, self.people[who].person_id)
            if person is not None and person.active:
                pulse.answer_pulse(session, Actor.of(person), score, enps, now=self.now)

        self._write(give)

    @rule(team=st.sampled_from(list(TEAMS)), score=st.integers(1, 5))
    def a_team_answers(self, team: str, score: int) -> None:
        """Everyone now in ``team`` answers this week: groups big enough to be shown, in a manager's digest too."""

        def give(session: Session) -> None:
            members = session.scalars(select(Person).join(Team, Team.id == Person.team_id).where(Team.name == team))
            for n, person in enumerate(members):
                if person.active and person.role is Role.AGENT:
                    pulse.answer_pulse(session, Actor.of(person), 1 + (score + n) % 5, None, now=self.now)

        self._write(give)

    @rule(who=st.integers(0, 17), score=st.integers(1, 5), weeks_back=st.integers(0, 2))
    def import_answer(self, who: int, score: int, weeks_back: int) -> None:
        with unit_of_work(self.engine, write=False) as session:
            email = session.scalar(select(Person.email).where(Person.id == self.people[who].person_id, Person.active))
            today = pulse.current_week(session, self.now) + timedelta(days=2)
        if email:
            data = f"email,week_of,score\n{email},{today - timedelta(weeks=weeks_back)},{score}\n".encode()
            with contextlib.suppress(ValidationError):
                run_import(self.engine, SYSTEM, ImportKind.PULSE, data, today=today)

    @rule(hours=st.integers(1, 24 * 9))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        self._write(publication.close_weeks, self.now)

    @rule()
    def notify_plans(self) -> None:
        """A notify round queues what is due now: invitations, reminders and the weekly digests."""
        self._write(schedule.plan, self.now)

    @rule()
    def friday_digests(self) -> None:
        """Time passes to the next Friday 16:00 UTC and a notify round runs: the digests of every zone past 15:00."""
        friday = datetime.combine(self.now.date() + timedelta(days=(4 - self.now.weekday()) % 7), time(16), UTC)
        self.now = friday if friday > self.now else friday + timedelta(days=7)
        self._write(publication.close_weeks, self.now)
        self._write(schedule.plan, self.now)

    @rule(k=st.integers(3, 7))
    def change_threshold(self, k: int) -> None:
        self._write(org_settings.update, SYSTEM, self.now, anonymity_threshold=k)

    @rule(zone=st.sampled_from(ZONES))
    def change_zone(self, zone: str) -> None:
        self._write(org_settings.update, SYSTEM, self.now, timezone=zone)

    @rule(team=st.sampled_from(list(TEAMS)), site=st.sampled_from(["North", "South", ""]))
    def move_team(self, team: str, site: str) -> None:
        def move(session: Session) -> None:
            team_id = session.scalar(select(Team.id).where(Team.name == team))
            organisation.rename_team(session, SYSTEM, team_id or 0, team, site=site, now=self.now)

        self._write(move)

    @rule(who=st.integers(0, 17), team=st.sampled_from(list(TEAMS)))
    def move_person(self, who: int, team: str) -> None:
        def move(session: Session) -> None:
            day = pulse.current_week(session, self.now)
            organisation.move_person(session, SYSTEM, self.people[who].person_id or 0, team, day)

        self._write(move)

    @rule(who=st.integers(0, 17))
    def deactivate(self, who: int) -> None:
        def leave(session: Session) -> None:
            person = session.get(Person, self.people[who].person_id)
            if person is not None and person.active:
                organisation.deactivate_person(session, SYSTEM, person.id, person.version)

        self._write(leave)

    @invariant()
    def nothing_shown_ever_changes(self) -> None:
        with unit_of_work(self.engine, write=False) as session:
            shown = _published(session)
        for key, figures in shown.items():
            if key[0] != "alert":  # alerts move on with the latest closed week; they pool shown cells only
                assert self.seen.setdefault(key, figures) == figures, f"{key} changed: {self.seen[key]} -> {figures}"
        for key in self.seen:
            assert key in shown, f"{key} was shown and has disappeared"

    @invariant()
    def messages_tell_no_more_than_is_shown(self) -> None:
        """Every morale figure in a manager's digest is a published cell's; a lead's messages carry none.

        With that, the row-space check below covers the messages as well: they
        add no equation the attacker did not already have from the pages.
        """
        with unit_of_work(self.engine, write=False) as session:
            held = session.execute(
                select(OutboxMessage.kind, OutboxMessage.person_id, OutboxMessage.body_text).where(
                    OutboxMessage.person_id.in_([self.manager.person_id, self.lead.person_id])
                )
            ).all()
            shown = {
                (c.name, c.responses, f"{c.avg_score:.1f}")
                for c in session.scalars(select(MoraleCell).where(MoraleCell.reason.is_(None)))
                if c.avg_score is not None
            }
            names = {p.name for p in session.scalars(select(Person))} - {self.lead.name, self.manager.name}
        for kind, person_id, text in held:
            if person_id == self.manager.person_id:
                assert kind in ("pulse_invitation", "pulse_reminder", "manager_digest"), kind
                for group, responses, score in RATE_LINE.findall(text):
                    assert (group, int(responses), score) in shown, f"{group}: {responses}, {score} was never shown"
            else:
                assert kind != "manager_digest" and "answered, average" not in text
                assert not any(name in text for name in names), "a lead's message names someone"
        reminders = [k for k, p, _ in held if k == "pulse_reminder"]
        assert not reminders, "a reminder is never filed under a person"

    @invariant()
    def no_small_group_can_be_solved_for(self) -> None:
        """For each closed week: the shown counts as equations over the teams' true counts; no small sum is implied."""
        with unit_of_work(self.engine, write=False) as session:
            truth = {
                (w, t): n
                for w, t, n in session.execute(
                    select(PulseWeekly.week_start, PulseWeekly.team_id, PulseWeekly.responses)
                )
            }
            thresholds = dict(session.execute(select(PulseWeek.week_start, PulseWeek.threshold)).all())
            cells = session.scalars(select(MoraleCell)).all()
            teams = list(session.scalars(select(Team.id).order_by(Team.id)))
        for week, k in thresholds.items():
            here = [c for c in cells if c.week_start == week]
            site_of = {c.group_id: c.site_id for c in here if c.grouping == "team"}
            rows: list[list[Fraction]] = []
            for c in here:
                if c.reason is not None:
                    continue
                if c.grouping == "team":
                    members = {c.group_id}
                elif c.grouping == "site":
                    members = {t for t, s in site_of.items() if s == c.group_id}
                else:
                    members = set(teams)
                rows.append([Fraction(int(t in members)) for t in teams])
            # A team with no cell had no answers and no members: the attacker knows it holds 0.
            rows += [[Fraction(int(t == u)) for t in teams] for u in teams if u not in site_of]
            for size in range(1, len(teams) + 1):
                for group in combinations(teams, size):
                    held = sum(truth.get((week, t), 0) for t in group)
                    if 0 < held < k:
                        target = [Fraction(int(t in group)) for t in teams]
                        assert not _in_row_space(rows, target), f"week {week}: teams {group} ({held} < {k}) solvable"


def _empty(session: Session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "alembic_version":
            session.execute(table.delete())


def test_an_attacker_holding_every_figure_ever_shown_learns_no_small_group(database_url: str) -> None:
    PulseOverTime.url = database_url
    run_state_machine_as_test(
        PulseOverTime,
        settings=settings(
            max_examples=10,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            database=None,
            derandomize=True,
        ),
    )
