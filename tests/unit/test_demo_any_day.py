"""The demo keeps every promise of the README's tour on whatever day it is loaded (issue 11).

`python -m engagement demo` builds the organisation relative to today, so a
promise that holds on the day a test was written can break on another: the
suite once failed on 2026-12-03 because the demo had no falling team that day.
Each instant below is a day the calendar makes awkward (a new year, a leap
day, both European and US daylight-saving changes, an ISO week 53, the week
boundary at midnight) or today; the clock is frozen there while the demo
loads, as the command line loads it, and every promise is read back through
the same domain functions the pages call.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import Kind, Person, Result, Role, Status, Team
from engagement import challenges, demo, impact, leaderboards, morale, periods, pulse, results
from engagement.access import SYSTEM, Actor
from engagement.challenges import Phase
from engagement.impact import ImpactBy
from engagement.morale import GroupBy

LONDON = ZoneInfo("Europe/London")
SMALL_TEAMS = ("Rowan", "Yew")  # 4 people each, under the default threshold of 5


def _at(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=LONDON)


# (label, instant in London): noon unless the hour is the point.
INSTANTS = {
    "new-year-2026": _at("2026-01-01"),
    "new-year-2027": _at("2027-01-01"),
    "leap-day-2028": _at("2028-02-29"),
    "day-after-leap-day": _at("2028-03-01"),
    "us-spring-saturday": _at("2026-03-07"),
    "us-spring-sunday": _at("2026-03-08"),
    "us-spring-monday": _at("2026-03-09"),
    "eu-spring-saturday": _at("2026-03-28"),
    "eu-spring-sunday-before-the-change": _at("2026-03-29", "00:30"),
    "eu-spring-sunday-after-the-change": _at("2026-03-29", "23:30"),
    "eu-spring-monday-just-after-midnight": _at("2026-03-30", "00:30"),
    "eu-autumn-saturday": _at("2026-10-24"),
    "eu-autumn-sunday": _at("2026-10-25"),
    "eu-autumn-monday": _at("2026-10-26"),
    "us-autumn-saturday": _at("2026-10-31"),
    "us-autumn-sunday": _at("2026-11-01"),
    "us-autumn-monday": _at("2026-11-02"),
    "today": _at("2026-12-04"),
    "last-sunday-of-week-52": _at("2026-12-27", "23:30"),
    "iso-week-53-monday": _at("2026-12-28", "00:30"),
    "new-years-eve": _at("2026-12-31"),
    "new-years-eve-late": _at("2026-12-31", "23:30"),
}


def _demo_actor(session: Session, role: Role) -> Actor:
    person = session.scalar(select(Person).where(Person.email == demo.DEMO_ACCOUNTS[role]))
    assert person is not None
    return Actor.of(person)


def _load_at(engine: Engine, instant: datetime) -> date:
    """Load the demo with the clock frozen at ``instant``, as the command line would; the organisation's today."""
    with time_machine.travel(instant, tick=False), unit_of_work(engine) as session:
        demo.load_demo(session)
    return instant.date()


@pytest.mark.parametrize("instant", list(INSTANTS.values()), ids=list(INSTANTS))
def test_the_demo_keeps_the_tours_promises_on_any_day(sqlite_engine: Engine, instant: datetime) -> None:
    """Every awkward day, on SQLite: a PostgreSQL load takes about 10 s here, and dates are the same on both."""
    _keeps_every_promise(sqlite_engine, _load_at(sqlite_engine, instant))


@pytest.mark.parametrize("label", ["today", "iso-week-53-monday"])
def test_the_demo_keeps_the_tours_promises_on_both_stores(engine: Engine, label: str) -> None:
    _keeps_every_promise(engine, _load_at(engine, INSTANTS[label]))


def _keeps_every_promise(engine: Engine, today: date) -> None:
    with unit_of_work(engine, write=False) as session:
        _falling_team_raises_an_alert(session)
        _small_teams_read_not_enough_responses(session, today)
        _lead_has_entries_to_approve(session)
        _challenges_running_and_ended(session, today)
        _team_target_nearly_reached(session, today)
        _agent_has_a_week_to_show(session, today)
        _impact_of_every_kind(session)


def _falling_team_raises_an_alert(session: Session) -> None:
    """Morale: the falling team is among the alerts (whatever sentence the alert rule words it with)."""
    assert demo.FALLING in [a.team for a in morale.alerts(session, SYSTEM)]


def _small_teams_read_not_enough_responses(session: Session, today: date) -> None:
    """Morale: 26 closed weeks; the two small teams are suppressed in every one, other teams show, a site is
    withheld by subtraction."""
    this_monday = periods.week_start(today)
    cells = morale.weekly_morale(session, SYSTEM, GroupBy.TEAM, date(2000, 1, 1), today)
    weeks = sorted({c.week for c in cells})
    assert len(weeks) == 26 and weeks[-1] < this_monday
    small = [c for c in cells if c.group in SMALL_TEAMS]
    assert small and all(c.suppressed and c.reason == morale.TOO_FEW for c in small)
    assert all(any(not c.suppressed for c in cells if c.week == week) for week in weeks)
    # The Morale page's default 8 weeks show a site withheld because subtracting its teams would reveal one.
    sites = morale.weekly_morale(session, SYSTEM, GroupBy.SITE, this_monday - timedelta(weeks=8), today)
    assert any(c.reason == morale.BY_SUBTRACTION for c in sites)


def _lead_has_entries_to_approve(session: Session) -> None:
    """Approvals: the demo lead has other people's pending entries to decide, and some were rejected before."""
    lead = _demo_actor(session, Role.LEAD)
    waiting = results.pending_entries(session, lead)
    assert waiting and all(e.person_id != lead.person_id for e in waiting)
    assert set(session.scalars(select(Result.status))) == {Status.APPROVED, Status.PENDING, Status.REJECTED}


def _challenges_running_and_ended(session: Session, today: date) -> None:
    """Challenges: each kind running today, and one that has ended."""
    phases = challenges.by_phase(challenges.list_challenges(session), today)
    running = {c.kind for c, phase in phases if phase is Phase.RUNNING}
    assert running == set(Kind) and any(phase is Phase.ENDED for _, phase in phases)


def _team_target_nearly_reached(session: Session, today: date) -> None:
    """Challenges: the agent's team is close to (80-99 % of) a running challenge's team target."""
    agent = _demo_actor(session, Role.AGENT)
    running = [c for c in challenges.list_challenges(session, open_on=today) if c.team_target]
    assert running
    totals = impact.team_totals(session, agent, agent.team_id or 0, [c.id for c in running])
    progress = {c.slug: totals.get(c.id, 0.0) / (c.team_target or 1) for c in running}
    assert any(0.8 <= p < 1 for p in progress.values()), progress


def _agent_has_a_week_to_show(session: Session, today: date) -> None:
    """My standing: points and a rank this week for the agent and a place for their team, recent entries, and
    this week's pulse still to answer."""
    agent = _demo_actor(session, Role.AGENT)
    week = periods.this_week(today)
    mine = leaderboards.standing(session, agent, leaderboards.Scope(start=week.start, end=week.end))
    assert mine.me is not None and mine.me.points > 0
    assert mine.team is not None and mine.teams_ranked == len(session.scalars(select(Team.id)).all())
    assert results.entries_for_person(session, agent, agent.person_id or 0)
    now = datetime.combine(today, datetime.min.time(), LONDON)
    assert not pulse.answered_this_week(session, agent, now)


def _impact_of_every_kind(session: Session) -> None:
    """Impact report: kWh, trees and volunteer hours, each converted."""
    (company,) = impact.impact_report(session, SYSTEM, ImpactBy.COMPANY).rows
    assert min(company.kg_co2e_avoided, company.kg_co2e_per_year, company.volunteer_value) > 0
