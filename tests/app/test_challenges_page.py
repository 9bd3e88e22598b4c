"""The Challenges page: an overview of every challenge, and one in full, equal to the engagement figures."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import ui.resources
from db.models import Challenge, Kind, Person, Result, Role, Team
from engagement import amounts, challenges, demo, impact, leaderboards, organisation, periods, results, settings
from engagement.access import SYSTEM
from engagement.amounts import ordinal
from engagement.impact import TargetStanding
from tests.factories import in_store, make_person
from tests.loops import each
from ui.resources import VIEWER
from ui.widgets import md

PAGE = "pages/challenges.py"
PICK = "challenges.shown"
PROGRESS = re.compile(
    r"^(?P<team>.*?)(?P<mine> \(your team(, rank (?P<rank>[\d,]+) of (?P<teams>[\d,]+))?\))?: "
    r"(?P<done>.+ of .+ \((\d+%|reached|reached, .+ over)\))$"
)
RUNNING = ("Plant a tree", "Home energy saver", "Virtual volunteering")


def open_page(app_as: Callable[[Role], AppTest], role: Role = Role.AGENT) -> AppTest:
    at = app_as(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def show(at: AppTest, challenge: Challenge) -> AppTest:
    at.selectbox(key=PICK).set_value(challenge.id).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == md(challenge.name)
    return at


def progress(challenge: Challenge, done: float) -> str:
    """A team's progress as the house formatter writes it: "80 of 100 kWh (80%)", "(reached, 1.2 over)"."""
    assert challenge.team_target is not None
    return amounts.target_progress(done, challenge.team_target, challenge.unit)


def by_slug(url: str, slug: str) -> Challenge:
    return in_store(url, lambda s: challenges.by_slug(s, slug))


def team_of(url: str, role: Role) -> int | None:
    return in_store(url, lambda s: s.scalar(select(Person.team_id).where(Person.email == demo.DEMO_ACCOUNTS[role])))


def standing_of(url: str, challenge: Challenge, team_id: int | None) -> TargetStanding:
    found = in_store(url, lambda s: impact.target_standing(s, VIEWER, challenge.id, team_id))
    assert found is not None
    return found


def progress_bars(at: AppTest) -> list[dict[str, Any]]:
    """Each team-target bar drawn: team, whether it is the viewer's, rank, amount done."""
    bars = []
    for bar in at.get("progress"):
        found = PROGRESS.match(bar.proto.text)
        assert found, bar.proto.text
        bars.append({"team": found["team"], "mine": bool(found["mine"]), "rank": found["rank"], "done": found["done"]})
    return bars


def overview(at: AppTest) -> list[dict[str, Any]]:
    return at.dataframe[0].value.to_dict("records")


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_every_challenge_in_one_table_and_the_first_running_one_in_full(
    app_as: Callable[[Role], AppTest], demo_url: str, role: Role
) -> None:
    at = open_page(app_as, role)
    assert at.title[0].value == "Challenges"
    rows = overview(at)
    assert [(r["Challenge"], r["Status"]) for r in rows] == [
        *((name, "Running") for name in RUNNING),
        ("Winter switch-off", "Ended"),
    ]
    assert ("Your team" in rows[0]) == (team_of(demo_url, role) is not None)
    assert at.selectbox(key=PICK).options == [*RUNNING, "Winter switch-off"]
    assert [s.value for s in at.subheader] == ["Plant a tree"]
    assert not at.info


def test_the_overview_states_each_challenges_window_points_cap_target_and_my_teams_progress(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    every = {c.name: c for c in in_store(demo_url, challenges.list_challenges)}
    team_id = team_of(demo_url, Role.AGENT) or 0
    done = in_store(demo_url, lambda s: impact.team_totals(s, VIEWER, team_id, [c.id for c in every.values()]))
    for row in each(overview(at)):
        c = every[row["Challenge"]]
        assert row["Kind"] == c.kind.value.title()
        assert row["Window"] == f"{c.starts_on.isoformat()} to {c.ends_on.isoformat()}"
        assert row["Points"] == f"{c.points_per_unit:g} per {c.unit.rstrip('s')}"
        assert row["Daily cap"] == (f"{c.daily_cap:g} {c.unit}" if c.daily_cap else "none")
        if c.team_target:
            assert row["Team target"] == f"{c.team_target:,.0f} {c.unit}"
            assert row["Your team"] == amounts.whole_percent(
                done.get(c.id, 0.0) / c.team_target
            )  # as the bars write it
        else:
            assert row["Team target"] == "" and row["Your team"] != row["Your team"]  # NaN: nothing to show


def test_rules_are_stated_in_plain_words(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    for slug in ("home-energy", "plant-a-tree", "virtual-volunteering", "winter-switch-off"):
        challenge = by_slug(demo_url, slug)
        shown = "\n".join(m.value for m in show(at, challenge).markdown)
        for rule in each(challenges.rules_in_words(challenge)):
            assert f"- {rule}" in shown
    at = show(at, by_slug(demo_url, "home-energy"))
    assert "Approval: entries of up to 5 kWh are approved at once" in "\n".join(m.value for m in at.markdown)


def test_a_link_can_open_a_given_challenge(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = app_as(Role.AGENT)
    at.query_params[PICK] = "Winter switch-off"
    at.switch_page(PAGE).run()
    assert at.selectbox(key=PICK).value == by_slug(demo_url, "winter-switch-off").id
    assert at.subheader[0].value == md("Winter switch-off")


def test_my_team_comes_first_then_every_team_and_how_many_reached_the_target(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    teams = in_store(demo_url, lambda s: organisation.list_teams(s))
    for slug, unit in (("plant-a-tree", "trees"), ("home-energy", "kWh"), ("virtual-volunteering", "hours")):
        challenge = by_slug(demo_url, slug)
        show(at, challenge)
        standing = standing_of(demo_url, challenge, team_of(demo_url, Role.AGENT))
        assert standing.mine is not None
        mine, *listed = progress_bars(at)
        assert mine == {
            "team": "Cedar",
            "mine": True,
            "rank": str(standing.mine.rank),
            "done": progress(challenge, standing.mine.amount),
        }
        assert {b["team"]: b["done"] for b in listed} == {t.team: progress(challenge, t.amount) for t in standing.top}
        assert {b["team"] for b in listed} == {t.name for t in teams}, "fewer than 10 teams: all of them"
        assert [b["team"] for b in listed if b["mine"]] == ["Cedar"]
        verb = "has" if standing.reached == 1 else "have"
        assert f"{standing.reached} of {len(teams)} teams {verb} reached the target." in [c.value for c in at.caption]
        assert f"**All {len(teams)} teams**" in [m.value for m in at.markdown]
        assert all(f" {unit} (" in b.proto.text for b in each(at.get("progress"))), "the target names its unit"


def add_teams(url: str, challenge: Challenge, amounts: list[float]) -> None:
    """One new team per amount, each with one person whose approved entry is that amount."""

    def add(session: Session) -> None:
        today = periods.today(settings.load(session).zone)
        for i, amount in enumerate(amounts):
            person = make_person(session, team=f"Extra {i:02d}")
            entry = results.ResultInput(person.person_id or 0, challenge.id, amount, min(today, challenge.ends_on))
            results.record_result(session, SYSTEM, entry)

    in_store(url, add, write=True)


def test_with_many_teams_only_mine_and_the_top_ten_are_drawn(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    trees = by_slug(demo_url, "plant-a-tree")
    add_teams(demo_url, trees, [float(n) for n in range(1, 31)])
    at = open_page(app_as)
    standing = standing_of(demo_url, trees, team_of(demo_url, Role.AGENT))
    bars = progress_bars(at)
    assert len(bars) == 11 and bars[0]["mine"]
    assert sorted(b["team"] for b in bars[1:]) == sorted(t.team for t in standing.top)
    assert standing.teams == len(in_store(demo_url, lambda s: organisation.list_teams(s))) == 9 + 30
    assert "**Top 10 teams**" in [m.value for m in at.markdown]
    assert f"{standing.reached} of {standing.teams} teams have reached the target." in [c.value for c in at.caption]


@contextmanager
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many units of work the page opens while the block runs (the read cache cleared first)."""
    real, opened = ui.resources.unit_of_work, [0]

    @contextmanager
    def counting(*args: Any, **kwargs: Any) -> Iterator[Session]:
        opened[0] += 1
        with real(*args, **kwargs) as session:
            yield session

    st.cache_data.clear()
    monkeypatch.setattr(ui.resources, "unit_of_work", counting)
    try:
        yield opened
    finally:
        monkeypatch.setattr(ui.resources, "unit_of_work", real)


def test_the_pages_reads_do_not_grow_with_the_challenges_and_teams(
    app_as: Callable[[Role], AppTest], demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(app_as)
    with counted_reads(monkeypatch) as before:
        at.run()

    def add_challenges(session: Session) -> None:
        today = periods.today(settings.load(session).zone)
        for i in range(30):
            kind = (Kind.ENERGY, Kind.TREES, Kind.VOLUNTEERING)[i % 3]
            start = today - timedelta(days=400 - 10 * i)
            data = challenges.ChallengeInput(
                f"extra-{i}", f"Extra {i}", kind, 1.0, start, start + timedelta(days=60), team_target=50.0
            )
            challenges.create_challenge(session, SYSTEM, data)

    in_store(demo_url, add_challenges, write=True)
    add_teams(demo_url, by_slug(demo_url, "plant-a-tree"), [2.0] * 25)
    with counted_reads(monkeypatch) as after:
        at.run()
    assert not at.exception, at.exception
    assert len(overview(at)) == 34
    assert len(at.get("progress")) == 11
    assert after[0] == before[0], "one challenge in full: as many reads however many challenges and teams"


def test_impact_so_far_equals_challenge_impact(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    measures = {
        "home-energy": (("kWh saved", "kwh_saved"), ("kg CO2 avoided", "kg_co2e_avoided")),
        "plant-a-tree": (("Trees planted", "trees_planted"), ("kg CO2 a year", "kg_co2e_per_year")),
        "virtual-volunteering": (("Time volunteered", "volunteer_hours"), ("Value (USD)", "volunteer_value")),
        "winter-switch-off": (("kWh saved", "kwh_saved"), ("kg CO2 avoided", "kg_co2e_avoided")),
    }
    for slug, pairs in each(measures.items()):
        challenge = by_slug(demo_url, slug)
        report = in_store(demo_url, lambda s, cid=challenge.id: impact.challenge_impact(s, VIEWER, cid))
        row = report.rows[0]
        metrics = {m.label: m.value for m in show(at, challenge).metric}
        assert metrics == {
            label: amounts.figure(getattr(row, field), amounts.MEASURE_UNITS[field]) for label, field in pairs
        }
        heading = "**Impact, whole company**" if slug == "winter-switch-off" else "**Impact so far, whole company**"
        assert heading in [m.value for m in at.markdown]
    show(at, by_slug(demo_url, "home-energy"))
    captions = [c.value for c in at.caption]
    assert any("Converted with IEA world average grid 2024: 0.445 kg CO2e per kWh (World, 2024)" in c for c in captions)
    assert any("Converted with UK DESNZ grid 2025: 0.177 kg CO2e per kWh" in c for c in captions)


def test_volunteering_hours_by_activity_and_organisation(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    assert not at.tabs, "only a volunteering challenge shown in full has the hours"
    challenge = by_slug(demo_url, "virtual-volunteering")
    show(at, challenge)
    breakdown = in_store(demo_url, lambda s: results.volunteering_breakdown(s, challenge.id))
    by_activity, by_organisation = impact.volunteering_totals(breakdown)
    activity_tab, organisation_tab, both_tab = at.tabs
    assert [tuple(r.values()) for r in activity_tab.dataframe[0].value.to_dict("records")] == by_activity
    assert [tuple(r.values()) for r in organisation_tab.dataframe[0].value.to_dict("records")] == by_organisation
    assert {"tutoring", "interpreting", "visual assistance"} <= {a for a, _ in by_activity}
    both = both_tab.dataframe[0].value.to_dict("records")
    assert [(r["Activity"], r["Organisation"], r["Hours"]) for r in both] == [
        (a, o, round(h, 2)) for a, o, h in breakdown
    ]
    assert len(activity_tab.get("vega_lite_chart")) == 1


def test_an_upcoming_challenge_is_listed_with_its_start(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    def add(session: Session) -> None:
        start = periods.today(settings.load(session).zone) + timedelta(days=10)
        data = challenges.ChallengeInput(
            "spring-trees", "Spring trees", Kind.TREES, 5.0, start, start + timedelta(days=30), team_target=12.0
        )
        challenges.create_challenge(session, SYSTEM, data)

    in_store(demo_url, add, write=True)
    at = open_page(app_as)
    rows = overview(at)
    assert [r["Status"] for r in rows] == ["Running"] * 3 + ["Coming up", "Ended"]
    assert rows[3]["Challenge"] == "Spring trees" and rows[3]["Your team"] != rows[3]["Your team"]  # NaN
    show(at, by_slug(demo_url, "spring-trees"))
    assert any(c.value.endswith("Nothing can be logged until it starts.") for c in at.caption)
    assert any(re.match(r"Starts \d{4}-\d\d-\d\d \(in 10 days\)", c.value) for c in at.caption)
    assert not at.get("progress") and not at.metric


def test_with_nothing_running_the_page_says_so_and_shows_the_latest(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    def end_all(session: Session) -> None:
        today = periods.today(settings.load(session).zone)
        yesterday = today - timedelta(days=1)
        for c in challenges.list_challenges(session, open_on=today):
            challenges.close_challenge(session, SYSTEM, c.id, max(c.starts_on, yesterday))

    in_store(demo_url, end_all, write=True)
    at = open_page(app_as)
    assert at.info[0].value.startswith("No challenge is running right now.")
    assert {r["Status"] for r in overview(at)} == {"Ended"}
    assert at.subheader[0].value == md(at.selectbox(key=PICK).options[0])


@pytest.mark.parametrize(
    ("role", "advice"),
    [(Role.AGENT, "When an admin starts one"), (Role.ADMIN, "Create the first one on the Admin page.")],
)
def test_no_challenges_gives_a_helpful_message(
    app_as: Callable[[Role], AppTest], demo_url: str, role: Role, advice: str
) -> None:
    def remove_all(session: Session) -> None:
        session.execute(delete(Result))
        session.execute(delete(Challenge))

    in_store(demo_url, remove_all, write=True)
    at = open_page(app_as, role)
    assert len(at.info) == 1
    assert at.info[0].value.startswith("There are no challenges yet.") and advice in at.info[0].value
    assert not at.dataframe and not at.selectbox


def test_team_names_with_markup_are_shown_as_typed(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    name = "**bold** <b>x</b>"

    def rename(session: Session) -> None:
        team_id = session.scalar(select(Team.id).where(Team.name == "Cedar"))
        organisation.rename_team(session, SYSTEM, team_id or 0, name)

    in_store(demo_url, rename, write=True)
    at = open_page(app_as)
    texts = [bar.proto.text for bar in at.get("progress")]
    assert texts[0].startswith(f"{md(name)} (your team, rank ")
    assert not any(t.startswith(name) for t in texts)


def test_an_ended_challenge_shows_its_final_results_and_winners(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    ended = by_slug(demo_url, "winter-switch-off")
    at = show(open_page(app_as), ended)
    today = periods.today(in_store(demo_url, settings.load).zone)
    final = in_store(demo_url, lambda s: leaderboards.podium(s, VIEWER, ended.id, today))
    assert final is not None and final.teams and final.people
    assert "**Final results**" in [m.value for m in at.markdown]
    assert ":green-badge[:material/flag: Final]" in [m.value for m in at.markdown]
    winners = next(m.value for m in at.markdown if m.value.startswith("Winner"))
    assert all(md(t.team) in winners for t in each(final.winning_teams))
    assert all(md(p.name) in winners for p in each(final.winning_people))
    podium, people = (t.value.to_dict("records") for t in at.dataframe[1:3])
    assert [(r["Place"], r["Team"].removesuffix(" (your team)")) for r in podium] == [
        (ordinal(t.rank), t.team) for t in final.teams
    ]
    assert [r["Name"].removesuffix(" (you)") for r in people] == [p.name for p in final.people]
    assert {r["Place"] for r in podium + people} <= {"1st", "2nd", "3rd"}


def test_a_running_challenge_has_no_final_results(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = show(open_page(app_as), by_slug(demo_url, "home-energy"))
    assert "**Final results**" not in [m.value for m in at.markdown]
    assert not any(m.value.startswith("Winner") for m in at.markdown)


def test_a_challenge_that_ended_yesterday_shows_provisional_results_until_late_entries_close(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    today = periods.today(in_store(demo_url, settings.load).zone)
    energy = by_slug(demo_url, "home-energy")
    in_store(
        demo_url, lambda s: challenges.close_challenge(s, SYSTEM, energy.id, today - timedelta(days=1)), write=True
    )
    at = show(open_page(app_as), by_slug(demo_url, "home-energy"))
    shown = [m.value for m in at.markdown]
    assert "**Results so far**" in shown and "**Final results**" not in shown
    assert ":orange-badge[:material/hourglass_top: Provisional]" in shown
    assert any(m.startswith("Leading so far: ") for m in shown)
    late_until = periods.long_date(today - timedelta(days=1) + timedelta(days=challenges.LATE_DAYS))
    assert any(
        f"Late entries are taken until {late_until}; the results are final after that." in c.value for c in at.caption
    )
