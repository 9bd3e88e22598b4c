"""My standing: running challenges at a glance, and my rank in the one I choose."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, unit_of_work
from db.models import Challenge, Kind, Person, Result, Role, Status
from engagement import amounts, challenges, demo, impact, leaderboards, organisation, periods, results, settings
from engagement.access import SYSTEM, Actor, actor_for_email
from engagement.leaderboards import Scope
from tests.app.conftest import APP_NOW
from tests.factories import in_store, store


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
    targeted = [c for c in running if c.team_target]
    assert targeted
    for challenge in targeted:
        assert challenge.team_target is not None
        progress = amounts.target_progress(team.get(challenge.id, 0.0), challenge.team_target, challenge.unit)
        assert f"Team target: {progress}" in bars


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


def test_the_week_and_month_cards_say_in_full_when_they_reset(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    """On Friday 4 December the month resets on Friday 1 January 2027: said with its date, never a bare "Friday"."""
    instant = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    zone = in_store(demo_url, settings.load).zone
    with time_machine.travel(instant, tick=False):
        at = app_as(Role.AGENT)
        assert not at.exception, at.exception
    day = periods.today(zone, instant)
    captions = [c.value for c in at.caption]
    month = periods.reset_words(periods.this_month(day), zone, instant)
    assert month in captions
    assert month.startswith("This month: 1 to 31 December 2026. Resets on Friday 1 January 2027 at 00:00")
    week = periods.reset_words(periods.this_week(day), zone, instant)
    assert week in captions
    assert week.startswith("This week: 30 November to 6 December 2026. Resets next Monday, 7 December, at 00:00")


# -- my entries before a decision ----------------------------------------------------

LOG = "FormSubmitter:standing.log-Submit"


def _log_trees(at: AppTest, trees: float, note: str) -> AppTest:
    """Log trees from the quick-log form (trees are never auto-approved, so the entry waits)."""
    at.selectbox(key="standing.log.challenge").set_value("Plant a tree").run()
    next(n for n in at.number_input if n.label == "How much (trees)").set_value(trees)
    next(t for t in at.text_input if t.label == "Note (optional)").input(note)
    return at.button(key=LOG).click().run()


def _mine(url: str, note: str) -> list[Result]:
    with store(url) as s:
        return list(s.scalars(select(Result).where(Result.note == note).order_by(Result.id)))


def _open_waiting(at: AppTest, entry: Result) -> AppTest:
    at.selectbox(key="standing.waiting.entry").set_value(entry.id).run()
    assert not at.exception
    return at


def test_an_agent_withdraws_their_waiting_entry_and_the_lead_no_longer_sees_it(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = _log_trees(app_as(Role.AGENT), 3, "Three rowans")
    (entry,) = _mine(demo_url, "Three rowans")
    assert entry.status is Status.PENDING
    at = _open_waiting(at, entry)
    at.text_input(key=f"standing.waiting.why.{entry.id}.1").input("They were planted last week")
    at = at.button(key=f"FormSubmitter:standing.waiting.withdraw.{entry.id}.1-Withdraw entry").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Entry withdrawn. It counts nowhere."]
    (after,) = _mine(demo_url, "Three rowans")
    assert (after.status, after.decision_reason) == (Status.VOIDED, "They were planted last week")
    with store(demo_url) as s:
        lead = actor_for_email(s, demo.DEMO_ACCOUNTS[Role.LEAD])
        assert lead is not None
        assert entry.id not in {e.id for e in results.pending_entries(s, lead)}
    recent = next(d.value for d in at.dataframe if "Your note" in d.value.columns)
    assert recent[recent["Your note"] == "Three rowans"]["Status"].tolist() == ["Withdrawn"]
    still_waiting = [o for s in at.selectbox if s.key == "standing.waiting.entry" for o in s.options]
    assert not [o for o in still_waiting if o.startswith(f"#{entry.id} ")]


def test_an_agent_corrects_their_waiting_entry_which_still_waits(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = _log_trees(app_as(Role.AGENT), 3, "Rowans, miscounted")
    (entry,) = _mine(demo_url, "Rowans, miscounted")
    at = _open_waiting(at, entry)
    at.number_input(key=f"standing.waiting.quantity.{entry.id}.1").set_value(4.0)
    at = at.button(key=f"FormSubmitter:standing.waiting.correct.{entry.id}.1-Save the correction").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Entry corrected. It waits for a decision as before."]
    (after,) = _mine(demo_url, "Rowans, miscounted")
    assert (after.quantity, after.status, after.version) == (4.0, Status.PENDING, 2)


def test_a_correction_after_the_lead_decided_changes_nothing_and_says_why(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = _log_trees(app_as(Role.AGENT), 3, "Rowans, decided")
    (entry,) = _mine(demo_url, "Rowans, decided")
    at = _open_waiting(at, entry)
    with store(demo_url) as s:
        lead = actor_for_email(s, demo.DEMO_ACCOUNTS[Role.LEAD])
        assert lead is not None and results.decide(s, lead, [entry.id], approve=True).decided == [entry.id]
    at.number_input(key=f"standing.waiting.quantity.{entry.id}.1").set_value(5.0)
    at = at.button(key=f"FormSubmitter:standing.waiting.correct.{entry.id}.1-Save the correction").click().run()
    assert not at.exception
    assert f"Entry #{entry.id} is no longer waiting, so it can no longer be changed here." in [
        w.value.split(". Your")[0] + "." for w in at.warning
    ]
    (after,) = _mine(demo_url, "Rowans, decided")
    assert (after.quantity, after.status) == (3.0, Status.APPROVED)


def test_a_second_identical_entry_is_flagged_before_it_is_saved(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = _log_trees(app_as(Role.AGENT), 2, "Two birches")
    (first,) = _mine(demo_url, "Two birches")
    at = _log_trees(at, 2, "Two birches")
    assert not at.exception and len(_mine(demo_url, "Two birches")) == 1, "nothing is saved before the answer"
    (warning,) = [w.value for w in at.warning if "already logged" in w.value]
    assert warning.startswith(
        f"You already logged 2 trees of Plant a tree for {first.occurred_on.isoformat()} (entry #{first.id}): "
        "the same amount for the same challenge and day."
    )
    at = at.button(key="standing.log.repeat.no").click().run()
    assert len(_mine(demo_url, "Two birches")) == 1
    assert not [w for w in at.warning if "already logged" in w.value]

    at = _log_trees(at, 2, "Two birches")
    at = at.button(key="standing.log.repeat.yes").click().run()
    assert not at.exception and [s.value for s in at.success] == ["Sent to your lead for approval."]
    assert [r.quantity for r in _mine(demo_url, "Two birches")] == [2.0, 2.0]


def test_the_quick_log_offers_one_whole_tree(app_as: Callable[[Role], AppTest]) -> None:
    at = app_as(Role.AGENT)
    at.selectbox(key="standing.log.challenge").set_value("Plant a tree").run()
    trees = next(n for n in at.number_input if n.label == "How much (trees)")
    assert (trees.value, trees.step) == (1, 1)


# -- one clock for a person ---------------------------------------------------------

HONOLULU_LATE = datetime(2026, 3, 18, 23, 30, tzinfo=ZoneInfo("Pacific/Honolulu"))  # 09:30 on the 19th in London


def _agent_in_honolulu(url: str) -> int:
    with store(url) as session:
        person = session.scalars(select(Person).where(Person.email == demo.DEMO_ACCOUNTS[Role.AGENT])).one()
        organisation.update_person(session, SYSTEM, person.id, person.version, timezone="Pacific/Honolulu")
        return person.id


def _my_entries_on(url: str, person_id: int, day: date) -> list[float]:
    with store(url, write=False) as session:
        return list(
            session.scalars(select(Result.quantity).where(Result.person_id == person_id, Result.occurred_on == day))
        )


def test_the_quick_log_offers_my_own_today_and_saves_it(
    app_as: Callable[[Role], AppTest], demo_url: str, app_clock: time_machine.Traveller
) -> None:
    """At 23:30 in Honolulu (tomorrow in London), the form's default day is the agent's own, and it saves."""
    person_id = _agent_in_honolulu(demo_url)
    app_clock.move_to(HONOLULU_LATE)
    at = app_as(Role.AGENT)
    at.selectbox(key="standing.log.challenge").set_value("Home energy saver").run()
    (day,) = (d for d in at.date_input if d.label == "Day")
    assert day.value == date(2026, 3, 18)
    before = _my_entries_on(demo_url, person_id, date(2026, 3, 18))
    next(n for n in at.number_input if n.label == "How much (kWh)").set_value(1.5)
    at = at.button(key="FormSubmitter:standing.log-Submit").click().run()
    assert not at.exception and not at.error
    assert _my_entries_on(demo_url, person_id, date(2026, 3, 18)) == [*before, 1.5]


def test_the_quick_log_goes_no_later_than_my_own_today(
    app_as: Callable[[Role], AppTest], demo_url: str, app_clock: time_machine.Traveller
) -> None:
    """London's day (the 19th) is not offered: the widget stops at the agent's day, which the engine accepts.

    A later day typed anyway is refused by the engine with the message every path gives
    (tests/unit/test_one_clock.py); the widget itself keeps to its last day.
    """
    person_id = _agent_in_honolulu(demo_url)
    app_clock.move_to(HONOLULU_LATE)
    at = app_as(Role.AGENT)
    at.selectbox(key="standing.log.challenge").set_value("Home energy saver").run()
    (day,) = (d for d in at.date_input if d.label == "Day")
    assert (day.value, day.max) == (date(2026, 3, 18), date(2026, 3, 18))
    next(n for n in at.number_input if n.label == "How much (kWh)").set_value(1.5)
    day.set_value(date(2026, 3, 19))
    at = at.button(key="FormSubmitter:standing.log-Submit").click().run()
    assert not at.error and _my_entries_on(demo_url, person_id, date(2026, 3, 19)) == []


def test_the_quick_log_takes_a_challenge_for_14_days_after_it_ends(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    """Ended 14 days ago: offered after the running ones, its last day the default; 15 days ago: gone."""
    instant = APP_NOW  # frozen below, so the page and the test share one today
    today = periods.today(in_store(demo_url, settings.load).zone, instant)
    with store(demo_url) as s:
        for name, ended in (("Late leaves", today - timedelta(days=14)), ("Too late leaves", today - timedelta(15))):
            data = challenges.ChallengeInput(
                name.lower().replace(" ", "-"), name, Kind.TREES, 1.0, ended - timedelta(days=20), ended
            )
            challenges.create_challenge(s, SYSTEM, data)
    with time_machine.travel(instant, tick=False):
        at = app_as(Role.AGENT)
        offered = at.selectbox(key="standing.log.challenge").options
        assert offered[-1] == "Late leaves" and "Too late leaves" not in offered
        at = at.selectbox(key="standing.log.challenge").set_value("Late leaves").run()
    assert not at.exception, at.exception
    assert at.date_input[0].value == today - timedelta(days=14)
