"""The Challenges page: rules, windows, team progress and impact equal the engagement figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Challenge, Kind, Result, Role, Team
from engagement import challenges, impact, organisation, periods, results, settings
from engagement.access import SYSTEM
from tests.app.test_leaderboards_page import in_db
from ui.resources import VIEWER
from ui.widgets import md

PAGE = "pages/challenges.py"
PROGRESS = re.compile(
    r"^(?P<team>.*?)(?P<mine> \(your team\))?: (?P<done>[\d,.]+) of (?P<target>[\d,.]+) (?P<unit>\w+) "
)


def open_page(app_as: Callable[[Role], AppTest], role: Role = Role.AGENT) -> AppTest:
    at = app_as(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def number(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


def by_slug(url: str, slug: str) -> Challenge:
    return in_db(url, lambda s: challenges.by_slug(s, slug))


def progress_bars(at: AppTest, unit: str) -> list[dict[str, Any]]:
    """Each progress bar of the challenge measured in ``unit``: team, whether it is the viewer's, amount done."""
    bars = []
    for bar in at.get("progress"):
        found = PROGRESS.match(bar.proto.text)
        assert found, bar.proto.text
        if found["unit"] == unit:
            bars.append({"team": found["team"], "mine": bool(found["mine"]), "done": found["done"]})
    return bars


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_running_and_ended_challenges(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = open_page(app_as, role)
    assert at.title[0].value == "Challenges"
    assert [h.value for h in at.header] == ["Running now", "Ended"]
    assert [s.value for s in at.subheader][:3] == ["Plant a tree", "Home energy saver", "Virtual volunteering"]
    assert at.expander[0].label.startswith(md("Winter switch-off"))


def test_rules_are_stated_in_plain_words(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    shown = "\n".join(m.value for m in at.markdown)
    for slug in ("home-energy", "plant-a-tree", "virtual-volunteering", "winter-switch-off"):
        for rule in challenges.rules_in_words(by_slug(demo_url, slug)):
            assert f"- {rule}" in shown
    assert "Approval: entries of up to 5 kWh are approved at once" in shown
    assert "Daily cap: up to 8 hours a day per person earn points" in shown


def test_team_progress_equals_the_approved_totals(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    teams = in_db(demo_url, lambda s: organisation.list_teams(s))
    for slug, unit in (("home-energy", "kWh"), ("plant-a-tree", "trees"), ("virtual-volunteering", "hours")):
        challenge = by_slug(demo_url, slug)
        done = dict(in_db(demo_url, lambda s, cid=challenge.id: impact.team_progress(s, VIEWER, cid)))
        bars = progress_bars(at, unit)
        assert {b["team"]: b["done"] for b in bars} == {t.name: number(done.get(t.name, 0.0)) for t in teams}
        assert bars[0] == {"team": "Cedar", "mine": True, "done": number(done["Cedar"])}, "the viewer's team first"
        assert [b["team"] for b in bars if b["mine"]] == ["Cedar"]


def test_impact_so_far_equals_challenge_impact(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    metrics: dict[str, str] = {}
    for m in at.metric:  # running challenges come first; the ended one is checked below
        metrics.setdefault(m.label, m.value)
    energy = in_db(demo_url, lambda s: impact.challenge_impact(s, VIEWER, by_slug(demo_url, "home-energy").id))
    trees = in_db(demo_url, lambda s: impact.challenge_impact(s, VIEWER, by_slug(demo_url, "plant-a-tree").id))
    hours = in_db(demo_url, lambda s: impact.challenge_impact(s, VIEWER, by_slug(demo_url, "virtual-volunteering").id))
    assert metrics["kWh saved"] == number(energy.kwh_saved)
    assert metrics["kg CO2 avoided"] == number(energy.kg_co2e_avoided)
    assert metrics["Trees planted"] == number(trees.trees_planted)
    assert metrics["kg CO2 a year"] == number(trees.kg_co2e_per_year)
    assert metrics["Hours volunteered"] == number(hours.volunteer_hours)
    assert metrics["Value (USD)"] == number(hours.volunteer_value)
    assert any("Converted with 0.445 kg CO2e per kWh (World, 2024)" in c.value for c in at.caption)
    winter = in_db(demo_url, lambda s: impact.challenge_impact(s, VIEWER, by_slug(demo_url, "winter-switch-off").id))
    ended = {m.label: m.value for m in at.expander[0].metric}
    assert ended == {"kWh saved": number(winter.kwh_saved), "kg CO2 avoided": number(winter.kg_co2e_avoided)}


def test_volunteering_hours_by_activity_and_organisation(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    challenge = by_slug(demo_url, "virtual-volunteering")
    breakdown = in_db(demo_url, lambda s: results.volunteering_breakdown(s, challenge.id))
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

    in_db(demo_url, add, write=True)
    at = open_page(app_as)
    assert [h.value for h in at.header] == ["Running now", "Coming up", "Ended"]
    assert any(c.value.endswith("Nothing can be logged until it starts.") for c in at.caption)
    assert any(re.match(r"Starts \d{4}-\d\d-\d\d \(in 10 days\)", c.value) for c in at.caption)


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

    in_db(demo_url, remove_all, write=True)
    at = open_page(app_as, role)
    assert len(at.info) == 1
    assert at.info[0].value.startswith("There are no challenges yet.") and advice in at.info[0].value
    assert not at.header


def test_team_names_with_markup_are_shown_as_typed(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    name = "**bold** <b>x</b>"

    def rename(session: Session) -> None:
        team_id = session.scalar(select(Team.id).where(Team.name == "Cedar"))
        organisation.rename_team(session, SYSTEM, team_id or 0, name)

    in_db(demo_url, rename, write=True)
    at = open_page(app_as)
    texts = [bar.proto.text for bar in at.get("progress")]
    assert any(t.startswith(f"{md(name)} (your team): ") for t in texts)
    assert not any(t.startswith(name) for t in texts)
