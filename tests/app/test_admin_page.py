"""The Admin page: admins only; every form saves good input, refuses bad input whole, and is audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.models import Challenge, ImpactFactor, Kind, Membership, Person, Role, Site, Team
from engagement import auth, challenges, demo, impact, organisation, periods, settings
from engagement.access import SYSTEM
from tests.app.conftest import APP_TODAY, TIMEOUT, signed_in
from tests.factories import in_store, store

PAGE = "pages/admin.py"
PAGE_FILE = str(Path(__file__).resolve().parents[2] / PAGE)
AGENT = demo.DEMO_ACCOUNTS[Role.AGENT]
CYRILLIC_E = "\u0435"


def counts(url: str) -> tuple[int, ...]:
    """Rows in the tables an admin form writes to, to prove a refused form wrote nothing."""
    with store(url) as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0 for t in (Person, Team, Membership, Challenge))


def person_id(url: str, email: str) -> int:
    with store(url) as s:
        found = s.scalar(select(Person.id).where(Person.email == email))
        assert found is not None
        return found


def open_admin(app_as: Callable[[Role], AppTest], tab: str = "People") -> AppTest:
    at = app_as(Role.ADMIN).switch_page(PAGE).run()
    return open_tab(at, tab)


def open_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state["admin.tab"] = tab
    at.run()
    assert not at.exception
    return at


def now(at: AppTest, form: str) -> str:
    """The form's key prefix now: the page starts a form afresh (a new generation) after each save."""
    return f"{form}.{at.session_state.get(f'{form}#generation', 0)}"


def k(at: AppTest, form: str, field: str) -> str:
    return f"{now(at, form)}.{field}"


def submit(at: AppTest, form: str, label: str) -> AppTest:
    at.button(key=f"FormSubmitter:{now(at, form)}-{label}").click().run()
    assert not at.exception
    return at


def errors(at: AppTest) -> str:
    """Every error box's text, without the markdown escapes that keep user text literal."""
    return re.sub(r"\\(.)", r"\1", "\n".join(e.value for e in at.error))


def audited(at: AppTest, action: str) -> list[str]:
    """The audit log filtered on ``action``, one "what: changes" line per entry."""
    open_tab(at, "Audit log")
    at.selectbox(key="admin.audit.action").set_value(action).run()
    log = at.dataframe[0].value
    return [f"{what}: {changes}" for what, changes in zip(log["What"], log["Changes"], strict=True)]


def pick_person(at: AppTest, url: str, email: str) -> AppTest:
    """Find ``email`` in the people list, then choose them: the picker offers only the people listed."""
    at.text_input(key="admin.people.search").input(email).run()
    at.selectbox(key="admin.person.pick").set_value(person_id(url, email)).run()
    assert not at.exception
    return at


# -- access ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.MANAGER])
def test_only_admins_have_the_admin_page(app_as: Callable[[Role], AppTest], demo_url: str, role: Role) -> None:
    with pytest.raises(ValueError, match="Could not find"):
        app_as(role).switch_page(PAGE)
    direct = signed_in(AppTest.from_file(PAGE_FILE, default_timeout=TIMEOUT), demo_url, demo.DEMO_ACCOUNTS[role])
    direct.run()
    assert [e.value for e in direct.error] == ["This page is for admins."]
    assert not direct.dataframe


@pytest.mark.parametrize(
    "tab", ["People", "Teams", "Challenges", "Impact factors", "Accounts", "Settings", "Audit log"]
)
def test_every_tab_opens(app_as: Callable[[Role], AppTest], tab: str) -> None:
    at = open_admin(app_as, tab)
    assert at.title[0].value == "Admin"
    assert at.dataframe or tab == "Settings", "each tab lists what it manages"


# -- people ------------------------------------------------------------------------


def fill_new_person(at: AppTest, email: str, name: str, team: str, new_team: str = "") -> AppTest:
    at.text_input(key=k(at, "admin.add", "email")).input(email)
    at.text_input(key=k(at, "admin.add", "name")).input(name)
    at.selectbox(key=k(at, "admin.add", "role")).set_value(Role.AGENT)
    at.selectbox(key=k(at, "admin.add", "team")).set_value(team)
    at.text_input(key=k(at, "admin.add", "new_team")).input(new_team)
    return submit(at, "admin.add", "Add person")


def test_adding_a_person_saves_them_in_their_team(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = fill_new_person(open_admin(app_as), "new.agent@example.com", "Noor Haddad", "Birch")
    assert [s.value for s in at.success] == ["Added Noor Haddad."]
    assert at.text_input(key=k(at, "admin.add", "email")).value == "", "the form starts afresh"
    with store(demo_url) as s:
        person = s.scalars(select(Person).where(Person.email == "new.agent@example.com")).one()
        assert (person.name, person.role, person.team and person.team.name) == ("Noor Haddad", Role.AGENT, "Birch")
        joined = s.scalars(select(Membership.valid_from).where(Membership.person_id == person.id)).one()
        assert joined == periods.today(settings.load(s).zone), "joins today: not on the rosters of past periods"
    assert any("new.agent@example.com" in line for line in audited(at, "person.create"))


def test_a_look_alike_team_name_is_refused_and_nothing_is_written(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    before = counts(demo_url)
    at = fill_new_person(open_admin(app_as), "noor@example.com", "Noor", "A new team…", f"C{CYRILLIC_E}dar")
    assert "looks like the existing team 'Cedar'" in errors(at)
    assert counts(demo_url) == before


@pytest.mark.parametrize(
    ("email", "name", "team", "message"),
    [
        ("not-an-email", "Noor", "Birch", "Email: 'not-an-email' is not an email address"),
        ("noor@example.com", "   ", "Birch", "Full name: is required"),
        ("noor@example.com", "Noor", "No team", "Team: is required for an agent"),
        (AGENT, "Noor", "Birch", f"Email: {AGENT} already belongs to someone"),
        ("noor@example.com", "Noor", "A new team…", "Type the new team's name"),
    ],
)
def test_bad_person_input_is_refused_with_the_field_named(
    app_as: Callable[[Role], AppTest], demo_url: str, email: str, name: str, team: str, message: str
) -> None:
    before = counts(demo_url)
    at = fill_new_person(open_admin(app_as), email, name, team)
    assert message in errors(at)
    assert counts(demo_url) == before


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_the_people_list_comes_a_page_at_a_time_and_the_picker_offers_that_page(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    with store(demo_url) as s:
        everyone = s.scalar(select(func.count()).select_from(Person).where(Person.active)) or 0
    assert 50 < everyone <= 100, "the demo fills one page and part of a second"
    at = open_admin(app_as)
    assert len(at.dataframe[0].value) == 50
    assert f"{everyone} people match; showing 1–50." in captions(at)
    assert at.button(key="admin.people.previous").disabled
    at.button(key="admin.people.next").click().run()
    second = list(at.dataframe[0].value["Email"])
    assert len(second) == everyone - 50
    assert f"{everyone} people match; showing 51–{everyone}." in captions(at)
    assert at.button(key="admin.people.next").disabled
    assert [option.split(" (")[1].split(")")[0] for option in at.selectbox(key="admin.person.pick").options] == second

    at.text_input(key="admin.people.search").input(" Agent@EXAMPLE.com ").run()
    assert list(at.dataframe[0].value["Email"]) == [AGENT], "a search starts again from its first page"
    assert "1 person matches." in captions(at)
    assert len(at.selectbox(key="admin.person.pick").options) == 1


def test_people_who_have_left_are_listed_only_when_asked_for(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    with store(demo_url) as s:
        agent = s.scalars(select(Person).where(Person.email == AGENT)).one()
        organisation.deactivate_person(s, SYSTEM, agent.id, agent.version)
        name = agent.name
    at = open_admin(app_as)
    at.text_input(key="admin.people.search").input(AGENT).run()
    assert at.dataframe[0].value.empty and "0 people match." in captions(at)
    at.checkbox(key="admin.people.left").check().run()
    assert list(at.dataframe[0].value["Status"]) == ["Left"]
    assert at.selectbox(key="admin.person.pick").options == [f"{name} ({AGENT}), left"]


def test_a_deactivated_agent_is_signed_out_at_their_next_click(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    agent = app_as(Role.AGENT)
    assert agent.title[0].value == "My standing"
    admin = pick_person(open_admin(app_as), demo_url, AGENT)
    name = agent.sidebar.markdown[0].value.strip("*")
    last_day = admin.date_input(key=f"admin.deactivate.{person_id(demo_url, AGENT)}.last_day")
    assert last_day.value == APP_TODAY  # today in the organisation's zone, by default
    day = APP_TODAY - timedelta(days=2)
    last_day.set_value(day).run()
    admin.button(key=f"admin.deactivate.{person_id(demo_url, AGENT)}").click().run()
    assert [s.value for s in admin.success] == [f"{name} is deactivated."]
    with store(demo_url) as s:
        assert s.scalar(select(Person.left_on).where(Person.email == AGENT)) == day
    agent.run()
    assert agent.title[0].value == "Impact Board"
    assert agent.text_input(key="login.email") is not None
    assert not agent.metric
    assert f"person {name}: active: yes → no; left on: (none) → {day.isoformat()}" in audited(
        admin, "person.deactivate"
    )


def test_moving_a_person_changes_their_team_from_the_date(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = pick_person(open_admin(app_as), demo_url, AGENT)
    pid = person_id(demo_url, AGENT)
    since = APP_TODAY - timedelta(days=3)
    at.selectbox(key=k(at, f"admin.move.{pid}", "team")).set_value("Birch")
    at.date_input(key=k(at, f"admin.move.{pid}", "since")).set_value(since)
    submit(at, f"admin.move.{pid}", "Move")
    assert at.success[0].value.endswith(f"to Birch from {since.isoformat()}.")
    with store(demo_url) as s:
        person = s.get(Person, pid)
        assert person is not None and person.team is not None and person.team.name == "Birch"
        latest = s.scalars(select(Membership).where(Membership.person_id == pid).order_by(Membership.valid_from)).all()
        assert (latest[-1].valid_from, latest[-1].valid_to) == (since, None)
        assert latest[-2].valid_to == since
    assert any("team: Cedar → Birch" in line for line in audited(at, "person.move"))


# -- challenges --------------------------------------------------------------------


def test_creating_a_challenge_refuses_bad_input_then_saves_good(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_admin(app_as, "Challenges")
    before = counts(demo_url)
    today = APP_TODAY
    at.text_input(key=k(at, "admin.challenge.new", "slug")).input("Spring Clean!")
    at.text_input(key=k(at, "admin.challenge.new", "name")).input("Spring clean")
    at.number_input(key=k(at, "admin.challenge.new", "points")).set_value(0.0)
    at.date_input(key=k(at, "admin.challenge.new", "starts")).set_value(today)
    at.date_input(key=k(at, "admin.challenge.new", "ends")).set_value(today - timedelta(days=1))
    submit(at, "admin.challenge.new", "Create challenge")
    problems = errors(at)
    assert "Short name: use 1-60 lower-case letters" in problems
    assert "Points per unit: must be a number greater than 0" in problems
    assert "Ends on: is before starts_on" in problems
    assert counts(demo_url) == before
    at.text_input(key=k(at, "admin.challenge.new", "slug")).input("spring-clean")
    at.number_input(key=k(at, "admin.challenge.new", "points")).set_value(2.0)
    at.date_input(key=k(at, "admin.challenge.new", "ends")).set_value(today + timedelta(days=30))
    submit(at, "admin.challenge.new", "Create challenge")
    assert [s.value for s in at.success] == ["Created Spring clean."]
    with store(demo_url) as s:
        created = challenges.by_slug(s, "spring-clean")
        assert (created.points_per_unit, created.ends_on, created.unit) == (2.0, today + timedelta(days=30), "kWh")
    assert any("spring-clean" in line for line in audited(at, "challenge.create"))


def open_challenge(at: AppTest, url: str, slug: str) -> int:
    with store(url) as s:
        challenge_id = challenges.by_slug(s, slug).id
    at.selectbox(key="admin.challenge.pick").set_value(challenge_id).run()
    assert not at.exception
    return challenge_id


def test_editing_a_challenge_saves_and_a_concurrent_edit_is_not_overwritten(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_admin(app_as, "Challenges")
    cid = open_challenge(at, demo_url, "home-energy")
    form = f"admin.challenge.{cid}"
    at.number_input(key=k(at, form, "points")).set_value(-1.0)
    submit(at, form, "Save changes")
    assert "Points per unit: must be a number greater than 0" in errors(at)
    at.number_input(key=k(at, form, "points")).set_value(3.0)
    submit(at, form, "Save changes")
    assert [s.value for s in at.success] == ["Saved Home energy saver."]
    with store(demo_url) as s:
        assert challenges.get_challenge(s, cid).points_per_unit == 3.0
    # Someone else saves while this form is open: this save must be refused, theirs kept.
    with store(demo_url) as s:
        theirs = challenges.get_challenge(s, cid)
        data = challenges.ChallengeInput(theirs.slug, "Their name", theirs.kind, 5.0, theirs.starts_on, theirs.ends_on)
        challenges.update_challenge(s, SYSTEM, cid, theirs.version, data)
    at.text_input(key=k(at, form, "name")).input("My name")
    submit(at, form, "Save changes")
    assert any("changed by someone else" in w.value for w in at.warning)
    with store(demo_url) as s:
        kept = challenges.get_challenge(s, cid)
        assert (kept.name, kept.points_per_unit) == ("Their name", 5.0)
    assert at.text_input(key=k(at, form, "name")).value == "Their name", "the form reloads with their version"
    assert audited(at, "challenge.update")


def test_closing_a_challenge_early(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_admin(app_as, "Challenges")
    cid = open_challenge(at, demo_url, "home-energy")
    with store(demo_url) as s:
        starts = challenges.get_challenge(s, cid).starts_on
    at.date_input(key=k(at, f"admin.close.{cid}", "on")).set_value(starts - timedelta(days=1))
    submit(at, f"admin.close.{cid}", "Close challenge")
    assert "Last day: cannot close before the challenge starts" in errors(at)
    last = APP_TODAY - timedelta(days=1)
    at.date_input(key=k(at, f"admin.close.{cid}", "on")).set_value(last)
    submit(at, f"admin.close.{cid}", "Close challenge")
    with store(demo_url) as s:
        assert challenges.get_challenge(s, cid).ends_on == last
    assert any("ends on: " in line and last.isoformat() in line for line in audited(at, "challenge.close"))


# -- settings and accounts ---------------------------------------------------------


def test_threshold_below_three_is_refused_and_three_is_saved(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_admin(app_as, "Settings")
    at.number_input(key=k(at, "admin.settings", "threshold")).set_value(2)
    submit(at, "admin.settings", "Save settings")
    assert "Anonymity threshold: must be at least 3 to keep answers anonymous" in errors(at)
    with store(demo_url) as s:
        assert settings.load(s).anonymity_threshold == 5
    at.number_input(key=k(at, "admin.settings", "threshold")).set_value(3)
    submit(at, "admin.settings", "Save settings")
    assert [s.value for s in at.success] == ["Settings saved."]
    with store(demo_url) as s:
        assert settings.load(s).anonymity_threshold == 3
    assert "setting: anonymity threshold: (default) → 3" in audited(at, "setting.update")


def test_a_new_login_and_a_reset_both_make_the_person_choose_a_password(
    app_as: Callable[[Role], AppTest], app_signed_out: Callable[[], AppTest], demo_url: str
) -> None:
    agent = app_as(Role.AGENT)
    at = open_admin(app_as, "Accounts")
    with store(demo_url) as s:
        newcomer = s.scalars(select(Person).where(Person.email == "aled.ahmed@example.com")).one()
        assert not auth.has_account(s, newcomer.id)
    at.selectbox(key=k(at, "admin.account.create", "person")).set_value(newcomer.id)
    at.text_input(key=k(at, "admin.account.create", "password")).input("short")
    submit(at, "admin.account.create", "Create login")
    assert "Temporary password: must be at least 10 characters" in errors(at)
    at.text_input(key=k(at, "admin.account.create", "password")).input("first-day-2026")
    submit(at, "admin.account.create", "Create login")
    assert at.code[0].value == "first-day-2026"
    login = app_signed_out()
    login.text_input(key="login.email").input(newcomer.email)
    login.text_input(key="login.password").input("first-day-2026")
    login.button(key="FormSubmitter:login.form-Sign in").click().run()
    assert any("Choose a new one to continue" in w.value for w in login.warning)

    at.selectbox(key=k(at, "admin.account.reset", "person")).set_value(person_id(demo_url, AGENT))
    submit(at, "admin.account.reset", "Reset password")
    issued = at.code[0].value
    assert len(issued) == 16
    agent.run()
    assert agent.title[0].value == "Impact Board", "the reset signs the agent out everywhere"
    with store(demo_url) as s:
        result = auth.log_in(s, AGENT, issued)
        assert result.actor is not None and result.must_change
    assert audited(at, "account.create") and audited(at, "account.password_reset")


def upload_roster(at: AppTest, content: str) -> AppTest:
    at.file_uploader(key="admin.import.0.file").set_value(("roster.csv", content.encode(), "text/csv"))
    at.run()
    assert not at.exception
    return at


def test_a_roster_with_bad_rows_names_each_and_writes_nothing(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    before = counts(demo_url)
    roster = (
        "email,name,team,role\n"
        "zara@example.com,Zara Khan,Birch,agent\n"
        "not-an-email,Yusuf,Birch,agent\n"
        "yan@example.com,Yan,Birch,captain\n"
        f"omar@example.com,Omar,C{CYRILLIC_E}dar,agent\n"
    )
    at = upload_roster(open_admin(app_as), roster)
    assert list(at.dataframe[1].value["Row"]) == [2, 3, 4, 5], "the preview shows spreadsheet row numbers"
    at.button(key="admin.import.go").click().run()
    problems = errors(at)
    assert "row 3: email: 'not-an-email' is not an email address" in problems
    assert "row 4: role:" in problems
    assert counts(demo_url) == before


def test_a_good_roster_is_checked_then_imported(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    roster = "email,name,team,role,site\nzara@example.com,Zara Khan,Oakwood,agent,Cardiff\n"
    at = upload_roster(open_admin(app_as), roster)
    before = counts(demo_url)
    at.button(key="admin.import.check").click().run()
    assert any("1 new, 0 changed, 0 unchanged. Nothing has been saved yet." in s.value for s in at.success)
    assert counts(demo_url) == before, "checking saves nothing"
    at.button(key="admin.import.go").click().run()
    assert [s.value for s in at.success] == ["Imported 1 row: 1 new, 0 changed, 0 unchanged."]
    with store(demo_url) as s:
        zara = s.scalars(select(Person).where(Person.email == "zara@example.com")).one()
        assert zara.team is not None and zara.team.name == "Oakwood"
    assert at.file_uploader(key="admin.import.1.file").value is None, "the upload is cleared after importing"


# -- teams and impact factors ------------------------------------------------------


def team_id(url: str, name: str) -> int:
    with store(url) as s:
        found = s.scalar(select(Team.id).where(Team.name == name))
        assert found is not None
        return found


def test_renaming_a_team_refuses_a_look_alike_and_retiring_needs_an_empty_team(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_tab(open_admin(app_as), "Teams")
    rowan = team_id(demo_url, "Rowan")
    at.selectbox(key="admin.team.pick").set_value(rowan).run()
    at.text_input(key=k(at, f"admin.team.{rowan}", "name")).input(f"C{CYRILLIC_E}dar")
    submit(at, f"admin.team.{rowan}", "Save team")
    assert "looks like the existing team 'Cedar'" in errors(at)
    at.button(key=f"admin.team.retire.{rowan}").click().run()
    assert "Rowan still has 4 active members; move them first" in errors(at)
    at.text_input(key=k(at, f"admin.team.{rowan}", "name")).input("Rowan Tree")
    submit(at, f"admin.team.{rowan}", "Save team")
    assert [s.value for s in at.success] == ["Saved team Rowan Tree."]
    with store(demo_url) as s:
        team = s.get(Team, rowan)
        assert team is not None and (team.name, team.active) == ("Rowan Tree", True)
    assert any("name: Rowan → Rowan Tree" in line for line in audited(at, "team.update"))


def _factor(url: str, name: str) -> int:
    with store(url) as s:
        found = s.scalar(select(ImpactFactor.id).where(ImpactFactor.name == name))
        assert found is not None
        return found


def test_a_factor_needs_a_name_and_source_then_is_put_in_use_from_a_month(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_admin(app_as, "Impact factors")
    form = "admin.factor.new"
    at.selectbox(key=k(at, form, "kind")).set_value(Kind.ENERGY)
    at.text_input(key=k(at, form, "name")).input("Welsh grid 2024")
    at.number_input(key=k(at, form, "value")).set_value(0.2)
    at.text_input(key=k(at, form, "unit")).input("kg CO2e per kWh")
    at.text_input(key=k(at, form, "region")).input("Wales")
    submit(at, form, "Add factor")
    assert "source: is required" in errors(at)
    at.text_area(key=k(at, form, "source")).input("Welsh Government, Energy generation in Wales 2024")
    submit(at, form, "Add factor")
    welsh, world = _factor(demo_url, "Welsh grid 2024"), _factor(demo_url, "IEA world average grid 2024")
    today = periods.today(in_store(demo_url, settings.load).zone)
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    use = "admin.factor.use.energy"
    assert at.selectbox(key=k(at, use, "factor")).value == world
    at.selectbox(key=k(at, use, "factor")).set_value(welsh)
    at.date_input(key=k(at, use, "from")).set_value(next_month)
    submit(at, use, "Use this factor")
    assert f"From {next_month.isoformat()}, Welsh grid 2024 converts energy" in at.success[0].value
    with store(demo_url) as s:
        assert impact.factors_in_use(s, today)[Kind.ENERGY].id == world
        assert impact.factors_in_use(s, next_month)[Kind.ENERGY].id == welsh
    # After saving, the picker shows the factor really in use today (not the one last picked).
    assert at.selectbox(key=k(at, use, "factor")).value == world
    in_use = at.dataframe[0].value.to_dict("records")
    assert {"Kind": "Home energy (kWh saved)", "From": next_month.isoformat(), "Factor": "Welsh grid 2024"}.items() <= (
        next(r for r in in_use if r["Factor"] == "Welsh grid 2024").items()
    )
    at.selectbox(key=k(at, use, "factor")).set_value(welsh)
    at.date_input(key=k(at, use, "from")).set_value((today.replace(day=1) - timedelta(days=1)).replace(day=1))
    submit(at, use, "Use this factor")
    assert "before this month: it would change figures already reported" in errors(at)
    at.date_input(key=k(at, use, "from")).set_value(today.replace(day=1))
    submit(at, use, "Use this factor")
    assert at.selectbox(key=k(at, use, "factor")).value == welsh
    assert audited(at, "factor.create") and len(audited(at, "factor.use")) >= 2


def test_a_site_gets_the_region_whose_factors_convert_it(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_admin(app_as, "Impact factors")
    with store(demo_url) as s:
        manila = s.scalar(select(Site.id).where(Site.name == "Manila"))
    form = "admin.site.region"
    at.selectbox(key=k(at, form, "site")).set_value(manila)
    at.selectbox(key=k(at, form, "region")).set_value("United Kingdom")
    submit(at, form, "Save region")
    assert [m.value for m in at.success] == ["Manila: United Kingdom."]
    with store(demo_url) as s:
        assert s.scalar(select(Site.region).where(Site.id == manila)) == "United Kingdom"
    assert any("United Kingdom" in line for line in audited(at, "site.region"))
