"""Each role's job, start to finish, in a real browser over a fresh demo database.

The agent and the lead each get their own server (the lead's journey changes
what the agent's would see); the manager only reads and the admin's changes
touch no figure the manager checks, so they share one. Every step is checked
twice: on the page, as the person sees it, and in the database, through the
product's own engagement functions. Screenshots of each step are saved under
``test-artifacts/screenshots/journey-<role>-<n>-<step>.png``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Kind, Person, Result, Role, Status
from engagement import (
    amounts,
    audit,
    challenges,
    exports,
    impact,
    leaderboards,
    morale,
    organisation,
    periods,
    pulse,
    results,
    settings,
)
from engagement.access import Actor, actor_for_email
from engagement.amounts import in_words, ordinal
from engagement.demo import DEMO_ACCOUNTS
from engagement.impact import ImpactBy
from engagement.leaderboards import Scope
from engagement.morale import GroupBy
from harness.browser import (
    SCREENSHOTS,
    exception_problems,
    grid_cell,
    grid_select,
    grid_tick,
    grid_type,
    open_page,
    press,
    screenshot,
    show_grid,
    signed_in_page,
    wait_for_app,
)
from harness.servers import Server, StartApp
from tests.factories import in_store
from tests.loops import each

REASON = "Checked with the organisation's log"


# -- helpers --------------------------------------------------------------------------


def actor(url: str, role: Role) -> Actor:
    found = in_store(url, lambda s: actor_for_email(s, DEMO_ACCOUNTS[role]))
    assert isinstance(found, Actor)
    return found


def today(url: str) -> date:
    return in_store(url, lambda s: periods.today(settings.load(s).zone))


def result_count(url: str) -> int:
    return in_store(url, lambda s: s.scalar(select(func.count()).select_from(Result)) or 0)


def challenge_id(url: str, kind: Kind) -> int:
    running = in_store(url, lambda s: challenges.list_challenges(s, open_on=periods.today(settings.load(s).zone)))
    return next(c.id for c in running if c.kind is kind)


def shot(page: Page, role: Role, step: str) -> None:
    assert exception_problems(page) == []
    screenshot(page, SCREENSHOTS / f"journey-{role.value}-{step}.png", full=True)


def metric(page: Page, label: str) -> str:
    """The value of the st.metric labelled ``label``."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.first.get_by_test_id("stMetricValue").inner_text().strip()


def row_with(scope: Locator, column: int, text: str, rows: int = 40) -> int:
    """The row of a grid whose cell in ``column`` reads ``text`` (the grid is scrolled into view first)."""
    show_grid(scope)
    for row in range(rows):
        cells = scope.locator(f"[data-testid='glide-cell-{column}-{row}']")
        if cells.count() and cells.first.inner_text().strip() == text:
            return row
    raise AssertionError(f"no row reads {text!r} in column {column}")


def upload(page: Page, scope: Locator, name: str, text: str) -> None:
    scope.locator("input[type='file']").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )
    expect(scope.get_by_text(name)).to_be_visible()
    wait_for_app(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the select box ``label`` (type to filter, Enter) and wait for the rerun."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    expect(box).to_have_value(option)
    wait_for_app(page)


def panel(page: Page, tab: str, *, reruns: bool = True) -> Locator:
    """Open the tab called ``tab``, wait for the run it starts, and return its panel.

    Log results', Morale's and Admin's tabs rerun the page when chosen (``reruns``)
    and their panel fills only in that run: a form typed into before the run ends
    could be drawn afresh, so the test waits for the run's end.
    """
    handle = page.get_by_role("tab", name=tab, exact=True)
    if handle.get_attribute("aria-selected") != "true":
        if reruns:
            press(page, handle)
        else:
            handle.click()
    opened = page.get_by_role("tabpanel", name=tab)
    expect(opened).to_be_visible()
    wait_for_app(page)
    return opened


# -- agent ----------------------------------------------------------------------------


def test_agent_sees_their_standing_logs_volunteering_answers_the_pulse_and_sees_it_approved(
    start_app: StartApp, browser: Browser
) -> None:
    with start_app() as server:
        assert server.database_url
        url, role = server.database_url, Role.AGENT
        agent, lead = actor(url, Role.AGENT), actor(url, Role.LEAD)
        with signed_in_page(browser, server.url, agent.email) as page:
            week = in_store(url, lambda s: periods.this_week(periods.today(settings.load(s).zone)))
            mine = in_store(url, lambda s: leaderboards.standing(s, agent, Scope(start=week.start, end=week.end)))
            assert mine.me is not None and mine.team is not None
            assert metric(page, "My points, this week") == f"{mine.me.points:,.1f}"
            assert metric(page, "My team, this week") == f"{ordinal(mine.team.rank)} of {mine.teams_ranked}"
            expect(page.get_by_text(f"You are {ordinal(mine.me.rank)} of {mine.people_ranked} people")).to_be_visible()
            shot(page, role, "1-standing")

            before = result_count(url)
            form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Submit"))
            choose(page, "Challenge", "Virtual volunteering")
            expect(form.get_by_label("Minutes volunteered")).to_be_visible()
            wait_for_app(page)
            form.get_by_label("Minutes volunteered").fill("90")
            form.get_by_label("Organisation (for example Be My Eyes)").fill("Be My Eyes")
            press(page, form.get_by_role("button", name="Submit"))
            expect(page.get_by_text("Sent to your lead for approval.")).to_be_visible()
            wait_for_app(page)
            assert result_count(url) == before + 1
            logged = in_store(url, lambda s: results.entries_for_person(s, agent, agent.person_id or 0, limit=1))[0]
            assert (logged.quantity, logged.organisation, logged.status) == (1.5, "Be My Eyes", Status.PENDING)

            # The same again by mistake: the form asks first, and "No" saves nothing.
            form.get_by_label("Minutes volunteered").fill("90")
            form.get_by_label("Organisation (for example Be My Eyes)").fill("Be My Eyes")
            press(page, form.get_by_role("button", name="Submit"))
            expect(
                page.get_by_text(f"You already logged {in_words(1.5, 'hours')} of Virtual volunteering")
            ).to_be_visible()
            wait_for_app(page)
            shot(page, role, "2a-repeat-asked")
            press(page, page.get_by_role("button", name="No, it was the same one"))
            expect(page.get_by_text("Nothing was saved: the entry you logged before stands.")).to_be_visible()
            wait_for_app(page)
            assert result_count(url) == before + 1
            # While it waits the agent may correct or withdraw it.
            box = page.get_by_role("combobox", name="Entry to correct or withdraw", exact=True)
            box.click()
            page.keyboard.type(f"#{logged.id} ")
            page.keyboard.press("Enter")
            wait_for_app(page)
            expect(page.get_by_role("button", name="Withdraw entry")).to_be_visible()
            expect(page.get_by_role("button", name="Save the correction")).to_be_visible()
            shot(page, role, "2b-waiting-entry-opened")

            pulse_form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Send my answer"))
            pulse_form.get_by_text("4 Good").click()
            pulse_form.get_by_label("Anything to add? (optional)").fill("A good week, thanks")
            press(page, pulse_form.get_by_role("button", name="Send my answer"))
            expect(page.get_by_text("Thank you, you have answered this week's pulse.")).to_be_visible()
            wait_for_app(page)
            assert in_store(url, lambda s: pulse.answered_this_week(s, agent))

            entries = page.get_by_test_id("stDataFrame").first
            newest = row_with(entries, 2, in_words(1.5, "hours"))
            assert grid_cell(entries, 3, newest) == "Waiting for your lead"
            shot(page, role, "2-logged-and-answered")

            # The lead approves in their own browser (their journey does it through the page).
            in_store(url, lambda s: results.decide(s, lead, [logged.id], True, REASON), write=True)
            open_page(page, "Leaderboards")  # away and back, as the agent would look again later
            open_page(page, "My standing")
            entries = page.get_by_test_id("stDataFrame").first
            newest = row_with(entries, 2, in_words(1.5, "hours"))
            assert (grid_cell(entries, 3, newest), grid_cell(entries, 4, newest)) == ("Approved", REASON)
            shot(page, role, "3-approved")


# -- lead -----------------------------------------------------------------------------


def test_lead_logs_for_the_team_imports_a_file_after_fixing_it_and_approves_with_a_reason(
    start_app: StartApp, browser: Browser
) -> None:
    with start_app() as server:
        assert server.database_url
        url, role = server.database_url, Role.LEAD
        lead, agent = actor(url, Role.LEAD), actor(url, Role.AGENT)
        day = today(url)
        # The agent's submission waiting for the lead: 90 minutes, above the 1-hour auto-approve limit.
        volunteering = challenge_id(url, Kind.VOLUNTEERING)
        entry = results.ResultInput(agent.person_id or 0, volunteering, 1.5, day, "", "Be My Eyes", "tutoring")
        waiting = in_store(url, lambda s: results.record_result(s, agent, entry, source="dashboard").id, write=True)
        team = in_store(url, lambda s: organisation.list_people(s, lead, team_id=lead.team_id))
        with signed_in_page(browser, server.url, lead.email) as page:
            open_page(page, "Log results")

            # Three team members in the bulk grid, typed into the real data editor.
            whole = panel(page, "Whole team")
            grid = whole.get_by_test_id("stDataFrame")
            show_grid(grid)
            # The table's toolbar offers search but no CSV export of its own (it would not neutralise formulas).
            grid.hover()
            expect(grid.get_by_role("button", name=re.compile("^Search"))).to_be_visible()
            expect(grid.get_by_role("button", name=re.compile("Download as CSV"))).to_have_count(0)
            headers = grid.locator("[role='columnheader']").all_inner_texts()
            column = next(i for i, h in enumerate(headers) if h.startswith("Home energy saver"))
            typed = {0: "1.5", 1: "2", 2: "3.5"}
            grid_select(page, grid, column, 0)
            for value in typed.values():
                grid_type(page, value)
            names = {row: grid_cell(grid, 0, row) for row in typed}
            press(page, whole.get_by_role("button", name="Save the table"))
            expect(page.get_by_text(f"Saved 3 entries for {day.isoformat()}")).to_be_visible()
            wait_for_app(page)
            stored = in_store(url, lambda s: results.team_entries(s, lead, lead.team_id, day, day))
            by_name = {(e.person, e.challenge_slug): e for e in stored if e.logged_by == lead.email}
            assert {names[r]: by_name[(names[r], "home-energy")].quantity for r in typed} == {
                names[r]: float(v) for r, v in typed.items()
            }
            assert all(by_name[(names[r], "home-energy")].status is Status.APPROVED for r in each(typed))
            shot(page, role, "1-whole-team")

            # A file with one bad row: every problem named by row, nothing saved; then fixed and imported.
            rows = [(p.email, "home-energy", q) for p, q in zip(team[3:6], ("1", "-2", "2.5"), strict=True)]
            bad = "email,challenge,quantity,occurred_on\n" + "".join(f"{e},{c},{q},{day}\n" for e, c, q in rows)
            before = result_count(url)
            file_tab = panel(page, "Upload a file")
            upload(page, file_tab, "team-bad.csv", bad)
            expect(file_tab.get_by_text("Rows with problems: 1.")).to_be_visible()
            # The first table outside "Names to use" (whose expander holds the short names and emails).
            problems = file_tab.locator(
                "[data-testid='stDataFrame']:not([data-testid='stExpander'] [data-testid='stDataFrame'])"
            ).first
            assert grid_cell(problems, 0, 0) == "3", "the bad row is named: the header is row 1"
            assert grid_cell(problems, 1, 0) == "quantity"
            expect(file_tab.get_by_role("button", name="Import 3 rows")).to_be_disabled()
            assert result_count(url) == before, "nothing is saved while a row is wrong"
            shot(page, role, "2-bad-file")
            upload(page, file_tab, "team-fixed.csv", bad.replace(",-2,", ",2,"))
            press(page, file_tab.get_by_role("button", name="Import 3 rows"))
            expect(page.get_by_text("Imported 3 entries.")).to_be_visible()
            wait_for_app(page)
            assert result_count(url) == before + 3
            shot(page, role, "3-imported")

            # The agent's submission, approved with a reason.
            open_page(page, "Approvals")
            queue = page.get_by_test_id("stDataFrame").first
            row = row_with(queue, 1, agent.name)
            assert grid_cell(queue, 3, row) == in_words(1.5, "hours")
            grid_select(page, queue, 0, row)
            grid_tick(page)
            page.get_by_label("Reason (required to reject; the person sees it on My standing)").fill(REASON)
            press(page, page.get_by_role("button", name="Approve"))
            expect(page.get_by_text("Approved 1 entry.")).to_be_visible()
            wait_for_app(page)
            decided = in_store(url, lambda s: results.entries_for_person(s, lead, agent.person_id or 0, limit=5))
            approved = next(e for e in decided if e.id == waiting)
            assert (approved.status, approved.decision_reason) == (Status.APPROVED, REASON)
            shot(page, role, "4-approved")


# -- manager --------------------------------------------------------------------------


def test_manager_sees_small_teams_withheld_and_the_impact_csv_matches_the_page(
    app_server: Server, browser: Browser
) -> None:
    assert app_server.database_url
    url, role = app_server.database_url, Role.MANAGER
    manager = actor(url, role)
    with signed_in_page(browser, app_server.url, manager.email) as page:
        open_page(page, "Morale")

        this_monday = periods.week_start(today(url))
        start, end = this_monday - timedelta(weeks=8), this_monday - timedelta(days=1)
        cells = in_store(url, lambda s: morale.weekly_morale(s, manager, GroupBy.TEAM, start, end))
        teams = {c.group for c in cells}
        # Teams too small to show in any week: every figure of theirs is withheld.
        small = sorted(
            t for t in teams if all(c.suppressed and c.reason == morale.TOO_FEW for c in cells if c.group == t)
        )
        assert small, "the demo has a team too small to show"
        heat = panel(page, "Team × week")
        table = heat.get_by_test_id("stDataFrame")
        for team in small:
            row = row_with(table, 0, team)
            shown = table.locator(f"[data-testid^='glide-cell-'][data-testid$='-{row}']").all_inner_texts()
            assert shown[0] == team and set(shown[1:]) == {"Not enough responses"}, shown
        expect(heat.get_by_text("n/a means not enough responses", exact=False)).to_be_visible()
        shot(page, role, "1-morale")

        open_page(page, "Impact report")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download this report (CSV)").click()
        text = download.value.path().read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        total = rows[-1]
        assert total["team"] == "Total"
        report = in_store(url, lambda s: impact.impact_report(s, manager, ImpactBy.TEAM))
        company = in_store(url, lambda s: impact.impact_report(s, manager, ImpactBy.COMPANY))
        labels = {
            "kwh_saved": "Energy saved (kWh)",
            "kg_co2e_avoided": "CO2e avoided (kg)",
            "trees_planted": "Trees planted",
            "kg_co2e_per_year": "Trees' CO2e (kg a year)",
            "volunteer_hours": "Volunteer hours",
            "volunteer_value": f"Hours' value ({report.currency})",
        }
        for field, label in each(labels.items()):
            exact = getattr(report.total, field)
            assert exact == getattr(company.total, field), f"{field}: teams add up to the company, exactly"
            assert float(total[field]) == float(amounts.rounded(exact, exports.IMPACT_PLACES[field])), field
            assert metric(page, label) == amounts.headline(exact, amounts.MEASURE_UNITS[field]), label
        shot(page, role, "2-impact")


# -- admin ----------------------------------------------------------------------------


def test_admin_creates_a_challenge_imports_a_roster_deactivates_someone_and_finds_it_all_audited(
    app_server: Server, browser: Browser
) -> None:
    assert app_server.database_url
    url, role = app_server.database_url, Role.ADMIN
    admin = actor(url, role)
    with signed_in_page(browser, app_server.url, admin.email) as page:
        open_page(page, "Admin")

        tab = panel(page, "Challenges")
        tab.get_by_text("Create a challenge").click()
        form = tab.get_by_test_id("stForm").first
        form.get_by_label("Short name (letters, digits and hyphens, e.g. home-energy-2027)").fill("lights-off-2027")
        form.get_by_label("Name", exact=True).fill("Lights off week")
        # Leave the field first, as a person does before reaching for the button: a text field's
        # value is committed on blur, and a click that also blurs it can land mid-redraw.
        form.get_by_label("Name", exact=True).press("Tab")
        press(page, form.get_by_role("button", name="Create challenge"))
        expect(page.get_by_text("Created Lights off week.")).to_be_visible()
        wait_for_app(page)
        created = next(c for c in in_store(url, challenges.list_challenges) if c.slug == "lights-off-2027")
        shot(page, role, "1-challenge")

        people = panel(page, "People")
        people.get_by_text("Import a roster (CSV)").click()
        roster = (
            "email,name,team,role\n"
            "nia.jones@example.com,Nia Jones,Cedar,agent\n"
            "omar.reed@example.com,Omar Reed,Cedar,agent\n"
        )
        upload(page, people, "roster.csv", roster)
        press(page, people.get_by_role("button", name="Import", exact=True))
        expect(page.get_by_text("Imported 2 rows: 2 new, 0 changed, 0 unchanged.")).to_be_visible()
        wait_for_app(page)

        def person(s: Session, email: str) -> Person:
            found = s.scalar(select(Person).where(Person.email == email))
            assert found is not None
            return found

        assert in_store(url, lambda s: person(s, "nia.jones@example.com").active)
        shot(page, role, "2-roster")

        people = panel(page, "People")
        choose(page, "Person", "Nia Jones (nia.jones@example.com)")
        status = panel(page, "Active or left", reruns=False)
        press(page, status.get_by_role("button", name="Deactivate Nia Jones"))
        expect(page.get_by_text("Nia Jones is deactivated.")).to_be_visible()
        wait_for_app(page)
        nia_id = in_store(url, lambda s: person(s, "nia.jones@example.com").id)
        assert not in_store(url, lambda s: person(s, "nia.jones@example.com").active)
        shot(page, role, "3-deactivated")

        log = panel(page, "Audit log")
        table = log.get_by_test_id("stDataFrame")
        show_grid(table)
        # Newest first: the deactivation, the two people the import added, the challenge.
        newest = [tuple(grid_cell(table, column, row) for column in range(5)) for row in range(4)]
        whos = {who for _, who, _, _, _ in newest}
        assert len(whos) == 1 and whos <= {admin.email, admin.name}, whos
        assert {(action, what) for _, _, action, what, _ in newest} == {
            ("person.deactivate", "person Nia Jones"),
            ("person.create", "person Nia Jones"),
            ("person.create", "person Omar Reed"),
            ("challenge.create", "challenge Lights off week"),
        }
        stored = in_store(url, lambda s: audit.audit_entries(s, admin, limit=4))
        assert {(r.action, r.entity_id) for r in stored} == {
            ("person.deactivate", nia_id),
            ("person.create", nia_id),
            ("person.create", in_store(url, lambda s: person(s, "omar.reed@example.com").id)),
            ("challenge.create", created.id),
        }
        shot(page, role, "4-audit")
