"""Log results: one entry, the team table, CSV upload, fixing and voiding, as leads and admins use them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import AuditEntry, Challenge, Person, Result, Role, Status, Team
from engagement import amounts, challenges, demo, imports, organisation, periods, results
from engagement.access import SYSTEM, Actor
from tests.app import form_keys
from tests.app.conftest import DASHBOARD, TIMEOUT, signed_in
from tests.factories import store

PAGE = "pages/log_results.py"
ONE_SUBMIT = "FormSubmitter:log.one.form-Save entry"
GRID_SUBMIT = "FormSubmitter:log.grid.form-Save the table"
ENERGY = "Home energy saver (kWh)"


def count(url: str) -> int:
    with store(url) as s:
        return s.scalar(select(func.count()).select_from(Result)) or 0


def challenge_id(url: str, slug: str) -> int:
    with store(url) as s:
        found = s.scalar(select(Challenge.id).where(Challenge.slug == slug))
        assert found is not None
        return found


def person(url: str, email: str) -> Person:
    with store(url) as s:
        found = s.scalar(select(Person).where(Person.email == email))
        assert found is not None
        s.expunge(found)
        return found


def cedar_agent(url: str, n: int = 0) -> Person:
    """A Cedar member other than the demo accounts, by name order."""
    with store(url) as s:
        people = s.scalars(
            select(Person)
            .join(Team, Team.id == Person.team_id)
            .where(Team.name == "Cedar", Person.active, Person.email.not_in(list(demo.DEMO_ACCOUNTS.values())))
            .order_by(Person.name)
        ).all()
        s.expunge(people[n])
        return people[n]


def newest(url: str) -> Result:
    with store(url) as s:
        found = s.scalar(select(Result).order_by(Result.id.desc()).limit(1))
        assert found is not None
        s.expunge(found)
        return found


def today() -> date:
    return periods.today("Europe/London")


def open_page(app_as: Callable[[Role], AppTest], role: Role = Role.LEAD) -> AppTest:
    at = app_as(role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def problems_shown(at: AppTest) -> str:
    """Every error on the page as plain text (markdown escapes removed)."""
    return " ".join(e.value for e in at.error).replace("\\", "")


# -- who may open it --------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_open_the_page(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = open_page(app_as, role)
    assert at.title[0].value == "Log results"
    assert [t.label for t in at.tabs] == ["One entry", "Whole team", "Upload a file", "Fix or void an entry"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_agents_and_managers_have_no_log_results_page(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = app_as(role)
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page(PAGE)


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_the_page_guards_itself_when_reached_directly(demo_url: str, role: Role) -> None:
    at = signed_in(
        AppTest.from_file(str(Path(DASHBOARD).parent / PAGE), default_timeout=TIMEOUT),
        demo_url,
        demo.DEMO_ACCOUNTS[role],
    ).run()
    assert [e.value for e in at.error] == ["This page is for team leads, admins."]
    assert not at.data_editor and not at.button


# -- one entry ---------------------------------------------------------------------


def fill_one(at: AppTest, challenge: int, person_id: int, quantity: float | None, note: str = "") -> AppTest:
    at.selectbox(key="log.one.ch").set_value(challenge).run()
    at.selectbox(key="log.one.person").set_value(person_id)
    at.number_input(key=form_keys.key(at, "log.one.entry", f"quantity.{challenge}")).set_value(quantity)
    at.text_input(key=form_keys.key(at, "log.one.entry", "note")).input(note)
    return at.button(key=ONE_SUBMIT).click().run()


def test_one_entry_is_saved_for_the_chosen_person_and_approved(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    energy, agent, lead = (
        challenge_id(demo_url, "home-energy"),
        cedar_agent(demo_url),
        person(demo_url, "lead@example.com"),
    )
    before = count(demo_url)
    at = fill_one(at, energy, agent.id, 3.5, "Heating down a degree")
    assert not at.exception and not at.error
    assert count(demo_url) == before + 1
    saved = newest(demo_url)
    assert (saved.person_id, saved.challenge_id, saved.quantity) == (agent.id, energy, 3.5)
    assert (saved.status, saved.logged_by_id, saved.note) == (Status.APPROVED, lead.id, "Heating down a degree")
    assert "Saved 3.5 kWh" in at.success[0].value
    assert at.number_input(key=form_keys.key(at, "log.one.entry", f"quantity.{energy}")).value is None, (
        "the form is empty for the next entry"
    )


def test_too_much_in_one_entry_is_refused_and_nothing_is_written(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    before = count(demo_url)
    at = fill_one(at, challenge_id(demo_url, "home-energy"), cedar_agent(demo_url).id, 2000.0)
    assert "quantity: 2,000 kWh is more than one entry can hold (1,000 kWh)" in problems_shown(at)
    assert count(demo_url) == before
    energy = challenge_id(demo_url, "home-energy")
    assert at.number_input(key=form_keys.key(at, "log.one.entry", f"quantity.{energy}")).value == 2000.0, (
        "what was typed stays to be corrected"
    )


def test_an_entry_without_an_amount_is_refused(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    before = count(demo_url)
    at = fill_one(at, challenge_id(demo_url, "home-energy"), cedar_agent(demo_url).id, None)
    assert problems_shown(at) == "Nothing was saved: type how much (kWh)."
    assert count(demo_url) == before


def test_volunteering_is_typed_in_minutes_and_stored_in_hours(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    volunteering, agent = challenge_id(demo_url, "virtual-volunteering"), cedar_agent(demo_url)
    at.selectbox(key="log.one.ch").set_value(volunteering).run()
    at.selectbox(key="log.one.person").set_value(agent.id)
    at.number_input(key=form_keys.key(at, "log.one.entry", "minutes")).set_value(90)
    at.text_input(key=form_keys.key(at, "log.one.entry", "organisation")).input("Be My Eyes")
    at.selectbox(key="log.one.activity").set_value("visual assistance")
    at = at.button(key=ONE_SUBMIT).click().run()
    saved = newest(demo_url)
    assert (saved.person_id, saved.quantity, saved.organisation, saved.activity_type) == (
        agent.id,
        1.5,
        "Be My Eyes",
        "visual assistance",
    )


def test_pressing_save_twice_stores_one_entry(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    energy, agent = challenge_id(demo_url, "home-energy"), cedar_agent(demo_url)
    before = count(demo_url)
    at = fill_one(at, energy, agent.id, 2.0)
    first_ref = newest(demo_url).ref
    # The second press arrives with the same form reference as the first.
    at.session_state[form_keys.token(at, "log.one.entry")] = first_ref
    at = fill_one(at, energy, agent.id, 2.0)
    assert count(demo_url) == before + 1
    assert "already saved by your first click" in at.success[0].value


def test_a_second_identical_entry_for_a_person_asks_before_it_is_saved(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    energy, agent = challenge_id(demo_url, "home-energy"), cedar_agent(demo_url)
    at = fill_one(at, energy, agent.id, 2.75)
    first = newest(demo_url)
    before = count(demo_url)
    at = fill_one(at, energy, agent.id, 2.75)
    assert count(demo_url) == before, "nothing is saved before the lead answers"
    (warning,) = [w.value for w in at.warning if "already has" in w.value]
    assert warning.startswith(
        f"{agent.name} already has 2.75 kWh of Home energy saver for {first.occurred_on.isoformat()} "
        f"(entry #{first.id})"
    )
    at = at.button(key="log.one.repeat.yes").click().run()
    assert not at.exception and count(demo_url) == before + 1
    assert "Saved 2.75 kWh" in at.success[0].value


def test_an_admin_logs_for_the_team_they_choose(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as, Role.ADMIN)
    with store(demo_url) as s:
        birch = s.scalar(select(Team.id).where(Team.name == "Birch"))
        member = s.scalar(select(Person.id).where(Person.team_id == birch, Person.active).order_by(Person.name))
    at.selectbox(key="log.team").set_value(birch).run()
    assert "Birch" in at.caption[0].value
    at = fill_one(at, challenge_id(demo_url, "plant-a-tree"), member, 2.0)
    assert not at.error
    assert (newest(demo_url).person_id, newest(demo_url).quantity) == (member, 2.0)


# -- the whole team in a table -----------------------------------------------------


def seed_grid(at: AppTest, edits: dict[int, dict[str, object]]) -> AppTest:
    """Type into the team table: ``edits`` are by person id, turned into the editor's row positions."""
    editor = at.data_editor[0]
    positions = {int(pid): pos for pos, pid in enumerate(editor.value.index)}
    at.session_state[editor.key] = {
        "edited_rows": {positions[pid]: cells for pid, cells in edits.items()},
        "added_rows": [],
        "deleted_rows": [],
    }
    return at


def grid_entries(url: str) -> set[tuple[int, int, float, str]]:
    with store(url) as s:
        rows = s.execute(
            select(Result.person_id, Result.challenge_id, Result.quantity, Result.note).where(Result.source == "grid")
        ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def test_the_team_table_lists_every_active_member_by_person_id(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    lead = person(demo_url, "lead@example.com")
    with store(demo_url) as s:
        members = organisation.active_member_ids(s, [lead.team_id or 0])
    frame = at.data_editor[0].value
    assert set(frame.index) == members
    assert ENERGY in frame.columns and "Virtual volunteering (minutes)" in frame.columns


def test_the_team_table_saves_exactly_the_people_typed_for(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    energy, trees = challenge_id(demo_url, "home-energy"), challenge_id(demo_url, "plant-a-tree")
    volunteering = challenge_id(demo_url, "virtual-volunteering")
    first, second = cedar_agent(demo_url, 0), cedar_agent(demo_url, 3)
    before = count(demo_url)
    at = seed_grid(
        at,
        {
            first.id: {ENERGY: 4.0, "Note": "Washing line"},
            second.id: {"Plant a tree (trees)": 2.0, "Virtual volunteering (minutes)": 45.0, "Activity": "tutoring"},
        },
    )
    at = at.button(key=GRID_SUBMIT).click().run()
    assert not at.error, problems_shown(at)
    assert count(demo_url) == before + 3
    assert grid_entries(demo_url) == {
        (first.id, energy, 4.0, "Washing line"),
        (second.id, trees, 2.0, ""),
        (second.id, volunteering, 0.75, ""),
    }
    assert (
        at.success[0].value.replace("\\", "")
        == f"Saved 3 entries for {today().isoformat()}: {first.name}, {second.name}."
    )


def test_a_bad_cell_in_the_table_saves_nothing_and_names_the_person(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    good, bad = cedar_agent(demo_url, 0), cedar_agent(demo_url, 1)
    before = count(demo_url)
    at = seed_grid(at, {good.id: {ENERGY: 4.0}, bad.id: {ENERGY: 5000.0}})
    at = at.button(key=GRID_SUBMIT).click().run()
    shown = problems_shown(at)
    assert f"{bad.name}, {ENERGY}: 5,000 kWh is more than one entry can hold" in shown
    assert good.name not in shown
    assert count(demo_url) == before


def test_a_roster_change_while_typing_is_refused_and_keeps_what_was_typed(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    stays, leaves = cedar_agent(demo_url, 0), cedar_agent(demo_url, 1)
    at = seed_grid(at, {stays.id: {ENERGY: 4.0}, leaves.id: {ENERGY: 2.0}})
    with store(demo_url) as s:  # someone moves while the lead types
        organisation.move_person(s, SYSTEM, leaves.id, "Birch", today())
    before = count(demo_url)
    at = at.button(key=GRID_SUBMIT).click().run()
    assert count(demo_url) == before
    assert "the roster changed; re-check your entries" in at.warning[0].value
    frame = at.data_editor[0].value
    assert leaves.id not in set(frame.index)
    assert frame.loc[stays.id, ENERGY] == 4.0


def test_pressing_save_twice_on_the_table_stores_each_entry_once(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    agent = cedar_agent(demo_url, 2)
    at = seed_grid(at, {agent.id: {ENERGY: 1.5}}).button(key=GRID_SUBMIT).click().run()
    before = count(demo_url)
    # The second press carries the same form reference as the first.
    at.session_state[form_keys.token(at, "log.grid.table")] = (newest(demo_url).ref or "").split(":")[0]
    at = seed_grid(at, {agent.id: {ENERGY: 1.5}}).button(key=GRID_SUBMIT).click().run()
    assert count(demo_url) == before
    assert [q for p, _, q, _ in grid_entries(demo_url) if p == agent.id] == [1.5]


# -- CSV upload ------------------------------------------------------------------


def csv(*rows: str) -> bytes:
    return ("email,challenge,quantity,occurred_on,note\n" + "\n".join(rows) + "\n").encode()


def test_a_file_with_a_bad_row_is_named_and_nothing_is_saved_until_it_is_fixed(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    day = (today() - timedelta(days=1)).isoformat()
    a, b = cedar_agent(demo_url, 0), cedar_agent(demo_url, 1)
    before = count(demo_url)
    bad = csv(f"{a.email},home-energy,3,{day},ok", f"{b.email},home-energy,-2,{day},typo")
    at.file_uploader[0].set_value(("week.csv", bad, "text/csv")).run()
    problems = next(d.value for d in at.dataframe if list(d.value.columns) == ["Row", "Column", "Problem"])
    assert problems.to_dict("records") == [{"Row": 3, "Column": "quantity", "Problem": "must be greater than 0"}]
    assert at.button(key="log.csv.import").disabled
    assert count(demo_url) == before

    fixed = csv(f"{a.email},home-energy,3,{day},ok", f"{b.email},home-energy,2,{day},fixed")
    at.file_uploader[0].set_value(("week.csv", fixed, "text/csv")).run()
    button = at.button(key="log.csv.import")
    assert (button.label, button.disabled) == ("Import 2 rows", False)
    assert count(demo_url) == before
    at = button.click().run()
    assert count(demo_url) == before + 2
    assert at.success[0].value == "Imported 2 entries."
    # The uploader is a fresh one after the import, so a rerun cannot import the file again.
    assert at.file_uploader[0].key == "log.csv.1.file"
    at.run()
    assert count(demo_url) == before + 2


def test_a_lead_cannot_import_for_another_team(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    with store(demo_url) as s:
        outsider = s.scalar(
            select(Person.email).join(Team, Team.id == Person.team_id).where(Team.name == "Birch").limit(1)
        )
    before = count(demo_url)
    at.file_uploader[0].set_value(("x.csv", csv(f"{outsider},home-energy,3,{today().isoformat()},"), "text/csv")).run()
    problems = next(d.value for d in at.dataframe if list(d.value.columns) == ["Row", "Column", "Problem"])
    assert problems.to_dict("records") == [{"Row": 2, "Column": "email", "Problem": "not a member of your team"}]
    assert count(demo_url) == before


def test_the_teams_template_imports_as_it_is_through_the_upload(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    assert [d.label for d in at.download_button] == ["Download a CSV template"]
    lead = person(demo_url, "lead@example.com")
    with store(demo_url) as s:  # what the download button holds (AppTest does not read a download's content)
        template = imports.team_template(s, Actor.of(lead), lead.team_id or 0)
    rows = template.splitlines()[1:]
    assert rows, "the demo's Cedar has members and running challenges"
    at.file_uploader[0].set_value(("template.csv", template.encode(), "text/csv")).run()
    assert not at.error
    before = count(demo_url)
    button = at.button(key="log.csv.import")
    assert (button.label, button.disabled) == (f"Import {len(rows)} rows", False)
    at = button.click().run()
    assert count(demo_url) == before + len(rows)
    assert at.success[0].value == f"Imported {len(rows)} entries."


def test_the_upload_tab_lists_short_names_and_only_the_leads_own_teams_emails(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    lead = person(demo_url, "lead@example.com")
    with store(demo_url) as s:
        cedar = set(s.scalars(select(Person.email).where(Person.team_id == lead.team_id)))
        everyone = set(s.scalars(select(Person.email)))
        slugs = set(s.scalars(select(Challenge.slug)))
    assert cedar and everyone - cedar and slugs
    tables = {tuple(d.value.columns): d.value for d in at.dataframe}
    assert set(tables[("Email", "Name", "Status")]["Email"]) == cedar
    assert set(tables[("Short name", "Challenge", "Unit", "From", "To")]["Short name"]) == slugs


def test_a_challenge_named_by_its_full_name_gets_did_you_mean(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    agent, day = cedar_agent(demo_url), (today() - timedelta(days=1)).isoformat()
    at.file_uploader[0].set_value(("x.csv", csv(f"{agent.email},Home energy saver,2,{day},"), "text/csv")).run()
    problems = next(d.value for d in at.dataframe if list(d.value.columns) == ["Row", "Column", "Problem"])
    assert problems.to_dict("records") == [
        {
            "Row": 2,
            "Column": "challenge",
            "Problem": "no such challenge 'Home energy saver'; did you mean 'home-energy'? "
            "(challenges are named by their short name)",
        }
    ]


def test_a_file_uploaded_again_says_which_rows_are_already_stored_and_stores_none_twice(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    at = open_page(app_as)
    a, b, day = cedar_agent(demo_url, 0), cedar_agent(demo_url, 1), (today() - timedelta(days=1)).isoformat()
    week = csv(f"{a.email},home-energy,3.25,{day},re-upload", f"{b.email},home-energy,1.75,{day},re-upload")
    at.file_uploader[0].set_value(("week.csv", week, "text/csv")).run()
    at = at.button(key="log.csv.import").click().run()
    after_first = count(demo_url)
    at.file_uploader[0].set_value(("week.csv", week, "text/csv")).run()
    assert [i.value for i in at.info] == [
        "2 rows are already stored (rows 2, 3); importing again does not store them twice."
    ]
    button = at.button(key="log.csv.import")
    assert (button.label, button.disabled) == ("Import 0 new rows", True)
    assert count(demo_url) == after_first


# -- fixing and voiding ------------------------------------------------------------


def approved_cedar_entry(url: str) -> Result:
    lead = person(url, "lead@example.com")
    with store(url) as s:
        found = s.scalar(
            select(Result)
            .join(Challenge, Challenge.id == Result.challenge_id)
            .where(Result.team_id == lead.team_id, Result.status == Status.APPROVED, Challenge.slug == "home-energy")
            .where(Result.person_id != lead.id)  # the lead's own are another lead's or an admin's to change
            .where(Result.occurred_on >= today() - timedelta(days=7))
            .order_by(Result.id)
            .limit(1)
        )
        assert found is not None
        s.expunge(found)
        return found


def open_entry(at: AppTest, entry_id: int) -> AppTest:
    return at.selectbox(key="log.fix.entry").set_value(entry_id).run()


def test_an_entry_is_corrected_and_the_change_audited(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    entry = approved_cedar_entry(demo_url)
    at = open_entry(at, entry.id)
    tag = f"{entry.id}.{entry.version}"
    at.number_input(key=f"log.fix.quantity.{tag}").set_value(6.5)
    at.text_input(key=f"log.fix.why.{tag}").input("Typed 5 for 6.5")
    at = at.button(key=f"FormSubmitter:log.fix.edit.{tag}-Save changes").click().run()
    assert not at.error and not at.warning
    assert at.success[0].value == "Entry updated."
    with store(demo_url) as s:
        assert s.get(Result, entry.id).quantity == 6.5  # type: ignore[union-attr]
        audit = s.scalar(select(AuditEntry).where(AuditEntry.entity_id == entry.id).order_by(AuditEntry.id.desc()))
        assert audit is not None and (audit.action, audit.reason) == ("result.update", "Typed 5 for 6.5")


def test_saving_over_someone_elses_change_is_refused(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    entry = approved_cedar_entry(demo_url)
    at = open_entry(at, entry.id)
    with store(demo_url) as s:  # an admin corrects it meanwhile
        results.edit_result(s, SYSTEM, entry.id, entry.version, quantity=9.0)
    tag = f"{entry.id}.{entry.version}"
    at.number_input(key=f"log.fix.quantity.{tag}").set_value(2.0)
    at = at.button(key=f"FormSubmitter:log.fix.edit.{tag}-Save changes").click().run()
    assert "someone else changed this entry since you opened it" in at.warning[0].value
    with store(demo_url) as s:
        assert s.get(Result, entry.id).quantity == 9.0  # type: ignore[union-attr]
    # The form now shows the latest version.
    assert at.number_input(key=f"log.fix.quantity.{entry.id}.{entry.version + 1}").value == 9.0


def test_voiding_needs_a_reason(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    entry = approved_cedar_entry(demo_url)
    at = open_entry(at, entry.id)
    tag = f"{entry.id}.{entry.version}"
    at = at.button(key=f"FormSubmitter:log.fix.void.{tag}-Void entry").click().run()
    assert "reason: is required, so the person knows why" in problems_shown(at)
    with store(demo_url) as s:
        assert s.get(Result, entry.id).status is Status.APPROVED  # type: ignore[union-attr]
    at.text_input(key=f"log.fix.reason.{tag}").input("Logged twice")
    at = at.button(key=f"FormSubmitter:log.fix.void.{tag}-Void entry").click().run()
    assert at.success[0].value == "Entry voided."
    with store(demo_url) as s:
        voided = s.get(Result, entry.id)
        assert voided is not None and (voided.status, voided.decision_reason) == (Status.VOIDED, "Logged twice")


def volunteering_entry(url: str, lead: Person) -> Result:
    """A recent volunteering entry of the lead's team, of a number of minutes that is not a whole hour."""
    with store(url) as s:
        found = s.scalar(
            select(Result)
            .join(Challenge, Challenge.id == Result.challenge_id)
            .where(Result.team_id == lead.team_id, Challenge.slug == "virtual-volunteering")
            .where(Result.person_id != lead.id, Result.status == Status.APPROVED)
            .where(Result.occurred_on >= today() - timedelta(days=30))
            .order_by(Result.id.desc())
        )
        if found is None:
            return s.get(Result, log_volunteering(s, lead))  # type: ignore[return-value]
        s.expunge(found)
        return found


def log_volunteering(s: Session, lead: Person) -> int:
    """Twenty minutes for a member of the lead's team, so the tab has a volunteering entry to show."""
    member = s.scalar(select(Person.id).where(Person.team_id == lead.team_id, Person.id != lead.id).limit(1))
    challenge = challenges.by_slug(s, "virtual-volunteering")
    entry = results.ResultInput(member or 0, challenge.id, amounts.hours_from_minutes(20), today())
    return results.record_result(s, SYSTEM, entry).id


def test_the_fix_tab_writes_time_in_hours_and_minutes_and_edits_it_in_minutes(
    app_as: Callable[[Role], AppTest], demo_url: str
) -> None:
    """No "0.333333 hours" or "1 hours": the table and the picker use the house style, the form minutes."""
    entry = volunteering_entry(demo_url, person(demo_url, "lead@example.com"))
    at = open_page(app_as)
    amounts_shown = list(at.dataframe[-1].value["Amount"])
    assert amounts_shown
    assert not [a for a in amounts_shown if re.search(r"\d\.\d{3,}|\b1 hours|\b1 minutes", a)], amounts_shown
    assert amounts.in_words(entry.quantity, "hours") in amounts_shown
    picker = at.selectbox(key="log.fix.entry")
    assert picker.format_func(entry.id).endswith(amounts.in_words(entry.quantity, "hours"))
    at = open_entry(at, entry.id)
    minutes = at.number_input(key=f"log.fix.quantity.{entry.id}.{entry.version}")
    assert (minutes.label, minutes.value) == ("Minutes volunteered", amounts.minutes_from_hours(entry.quantity))


def test_trees_are_typed_whole(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = open_page(app_as)
    at.selectbox(key="log.one.ch").set_value(challenge_id(demo_url, "plant-a-tree")).run()
    trees = at.number_input(
        key=form_keys.key(at, "log.one.entry", f"quantity.{challenge_id(demo_url, 'plant-a-tree')}")
    )
    assert (trees.label, trees.step, trees.value) == ("How much (trees)", 1, None)
