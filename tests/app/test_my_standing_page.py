"""My standing: running challenges at a glance, and my rank in the one I choose."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, unit_of_work
from db.models import Challenge, Person, Role
from engagement import challenges, demo, impact, leaderboards, periods, settings
from engagement.access import Actor
from engagement.leaderboards import Scope


def _agent_view(url: str) -> tuple[Actor, list[Challenge], dict[int, float], dict[int, float]]:
    engine = make_engine(url)
    with unit_of_work(engine, write=False) as session:
        person = session.scalars(select(Person).where(Person.email == demo.DEMO_ACCOUNTS[Role.AGENT])).one()
        actor = Actor.of(person)
        running = challenges.list_challenges(session, open_on=periods.today(settings.load(session).zone))
        ids = [c.id for c in running]
        mine = leaderboards.my_points(session, actor, ids)
        team = impact.team_totals(session, actor, actor.team_id or 0, ids)
    engine.dispose()
    return actor, running, mine, team


def test_each_running_challenge_shows_my_points_and_my_teams_target(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = app_as(Role.AGENT)
    _, running, mine, team = _agent_view(demo_url)
    assert not at.exception and running
    shown = [m.value for m in at.metric if m.label == "My points, this challenge"]
    assert shown == [f"{mine.get(c.id, 0.0):,.1f}" for c in running]
    bars = [p.text for p in at.get("progress")]
    for challenge in (c for c in running if c.team_target):
        done = team.get(challenge.id, 0.0)
        amount = f"{done:,.1f}".removesuffix(".0")  # whole trees read "60", not "60.0"
        share = f"({done / challenge.team_target:.0%}"  # the real share, past 100 % once reached
        start = f"Team target: {amount} of {challenge.team_target:,.0f}"
        assert any(bar.startswith(start) and share in bar for bar in bars)


def test_choosing_a_challenge_shows_my_rank_and_my_teams_place_in_it(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = app_as(Role.AGENT)
    actor, running, _, _ = _agent_view(demo_url)
    assert not [m for m in at.metric if m.label.startswith(f"My team, {running[0].name}")]
    at.selectbox(key="standing.rank_in").set_value(running[0].id).run()
    engine = make_engine(demo_url)
    with unit_of_work(engine, write=False) as session:
        expected = leaderboards.standing(session, actor, Scope(running[0].id))
    engine.dispose()
    assert not at.exception
    points = next(m for m in at.metric if m.label == f"My points, {running[0].name}")
    assert points.value == (f"{expected.me.points:,.1f}" if expected.me else "0")
    assert expected.team is not None
    place = next(m for m in at.metric if m.label == f"My team, {running[0].name}")
    assert place.value.endswith(f" of {expected.teams_ranked}")


def test_this_months_points_show_at_once_and_the_rank_when_asked_for(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = app_as(Role.AGENT)
    actor, _, _, _ = _agent_view(demo_url)
    engine = make_engine(demo_url)
    with unit_of_work(engine, write=False) as session:
        today = periods.today(settings.load(session).zone)
        month = periods.this_month(today)
        points = leaderboards.my_period_points(session, actor, month.start, month.end)
        expected = leaderboards.standing(session, actor, Scope(start=month.start, end=month.end))
    engine.dispose()
    assert next(m for m in at.metric if m.label == "My points, this month").value == f"{points:,.1f}"
    assert not [m for m in at.metric if m.label == "My team, this month"]
    at.toggle(key="standing.month_rank").set_value(True).run()
    assert not at.exception
    assert expected.me is not None and expected.team is not None
    assert next(m for m in at.metric if m.label == "My points, this month").value == f"{expected.me.points:,.1f}"
    assert next(m for m in at.metric if m.label == "My team, this month").value.endswith(f" of {expected.teams_ranked}")
