"""Keyboard only: sign in, log a result, approve it and read the leaderboard without a mouse.

Every step is a key press through ``page.keyboard`` (Tab, Shift+Tab, Enter,
Space, arrows, typing); no click, no ``fill``. Each element reached on the way
must show that it has focus (``:focus-visible``), and at the main stops the
focus must look different from no focus (a ring, a border, a highlighted cell).
The agent logs 90 minutes of volunteering (above the 1-hour auto-approve
limit, so it waits), their lead ticks exactly that entry in the approvals grid
with the arrow keys and Space, approves it with a reason and reads both boards.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from db.models import Role, Status
from engagement import results
from engagement.access import Actor, actor_for_email
from engagement.amounts import in_words
from engagement.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from harness.browser import (
    SCREENSHOTS,
    Focus,
    focus_is_drawn,
    grid_cell,
    grid_move,
    grid_tick,
    named,
    open_url,
    screenshot,
    selected_cell,
    tab_to,
    wait_for_app,
)
from harness.servers import Server
from tests.factories import in_store

AGENT, LEAD = DEMO_ACCOUNTS[Role.AGENT], DEMO_ACCOUNTS[Role.LEAD]
MINUTES = 90
REASON = "Checked with the organisation: 90 minutes of tutoring"


def menu_link(title: str) -> Callable[[Focus], bool]:
    return lambda f: f.testid == "stPageLink-NavLink" and f.name == title


def sign_in_by_keyboard(page: Page, email: str) -> None:
    tab_to(page, named("Email"))
    assert focus_is_drawn(page), "the email field shows focus"
    page.keyboard.type(email)
    tab_to(page, named("Password"))
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")  # a form submits with Enter
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible()
    wait_for_app(page)


def open_by_keyboard(page: Page, title: str) -> None:
    tab_to(page, menu_link(title))
    assert focus_is_drawn(page), f"the {title} link shows focus"
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stMain").locator("h1")).to_have_text(title)
    wait_for_app(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the select box ``label``: focus it, type to filter, Enter."""
    tab_to(page, named(label))
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name=label, exact=True)).to_have_value(option)
    wait_for_app(page)


def enter_grid(page: Page) -> tuple[int, int, str]:
    """Tab into the next grid and press ArrowDown; the cell reached must be drawn highlighted."""
    tab_to(page, lambda f: f.testid == "data-grid-canvas")
    # The arrow moves focus from the canvas to a cell of the grid's accessible table.
    canvas = page.locator("canvas[data-testid='data-grid-canvas']:focus").element_handle()
    before = canvas.screenshot(animations="disabled")
    cell = grid_move(page, "ArrowDown")
    assert canvas.screenshot(animations="disabled") != before, "the grid shows which cell has focus"
    return cell


def log_volunteering_as_agent(page: Page) -> None:
    sign_in_by_keyboard(page, AGENT)
    choose(page, "Challenge", "Virtual volunteering")
    tab_to(page, named("Minutes volunteered"))
    page.keyboard.press("Control+A")
    page.keyboard.type(str(MINUTES))
    tab_to(page, named("Organisation (for example Be My Eyes)"))
    page.keyboard.type("Be My Eyes")
    tab_to(page, named("Submit"))
    assert focus_is_drawn(page), "the Submit button shows focus"
    page.keyboard.press("Enter")
    expect(page.get_by_text("Sent to your lead for approval.")).to_be_visible()
    wait_for_app(page)
    screenshot(page, SCREENSHOTS / "keyboard-1-agent-logged.png")
    tab_to(page, named("Sign out"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email", exact=True)).to_be_visible()
    wait_for_app(page)


def tick_the_agents_entry(page: Page, agent_name: str) -> None:
    """Arrow down the approvals grid to the agent's entry and tick it with Space."""
    _, row, _ = enter_grid(page)
    for _ in range(20):
        if grid_cell(page, 1, row) == agent_name and grid_cell(page, 3, row) == in_words(MINUTES / 60, "hours"):
            break
        _, row, _ = grid_move(page, "ArrowDown")
    else:
        raise AssertionError(f"the arrow keys never reached {agent_name}'s entry")
    if selected_cell(page)[0] != 0:
        grid_move(page, "Home")  # the first column: Decide
    assert selected_cell(page)[:2] == (0, row)
    grid_tick(page)
    # The grid's accessible table redraws a cell's value when the selection moves: step off and back.
    grid_move(page, "ArrowRight")
    grid_move(page, "ArrowLeft")
    expect(page.get_by_test_id(f"glide-cell-0-{row}")).to_have_text("true")


def approve_as_lead(page: Page, agent_name: str) -> None:
    sign_in_by_keyboard(page, LEAD)
    # A lead with entries waiting opens on Approvals.
    expect(page.get_by_test_id("stMain").locator("h1")).to_have_text("Approvals")
    tick_the_agents_entry(page, agent_name)
    tab_to(page, named("Reason (required to reject; the person sees it on My standing)"))
    page.keyboard.type(REASON)
    tab_to(page, named("Approve"))
    assert focus_is_drawn(page), "the Approve button shows focus"
    page.keyboard.press("Enter")
    expect(page.get_by_text("Approved 1 entry.")).to_be_visible()
    wait_for_app(page)
    screenshot(page, SCREENSHOTS / "keyboard-2-lead-approved.png")


def read_the_leaderboards(page: Page) -> None:
    open_by_keyboard(page, "Leaderboards")
    expect(page.get_by_test_id("stMain").get_by_text("Your team, Cedar, is")).to_be_visible()
    tab_to(page, lambda f: f.role == "tab" and f.name == "Teams")
    assert focus_is_drawn(page), "the Teams tab shows focus"
    page.keyboard.press("ArrowRight")
    people = page.get_by_role("tab", name="People")
    expect(people).to_be_focused()
    page.keyboard.press("Enter")
    expect(people).to_have_attribute("aria-selected", "true")
    summary = page.get_by_role("tabpanel").get_by_text("You are ")
    expect(summary).to_be_visible()
    enter_grid(page)  # the closed Teams tab's grid takes no focus: this is the people board
    assert grid_move(page, "ArrowUp")[:3:2] == (0, "1"), "the first row is rank 1"
    column, _, leader = grid_move(page, "ArrowRight")
    assert column == 1
    assert f"{leader} leads with" in summary.inner_text(), "the grid's first name is the leader the summary names"
    screenshot(page, SCREENSHOTS / "keyboard-3-lead-reads-the-board.png")


def test_log_approve_and_read_the_board_with_the_keyboard_only(app_server: Server, page: Page) -> None:
    assert app_server.database_url
    url = app_server.database_url
    agent = in_store(url, lambda s: actor_for_email(s, AGENT))
    assert isinstance(agent, Actor)
    open_url(page, app_server.url)

    log_volunteering_as_agent(page)
    newest = in_store(url, lambda s: results.entries_for_person(s, agent, agent.person_id or 0, limit=1))[0]
    assert (newest.quantity, newest.organisation, newest.status) == (MINUTES / 60, "Be My Eyes", Status.PENDING)

    approve_as_lead(page, agent.name)
    decided = in_store(url, lambda s: results.entries_for_person(s, agent, agent.person_id or 0, limit=1))[0]
    assert (decided.id, decided.status, decided.decision_reason) == (newest.id, Status.APPROVED, REASON)

    read_the_leaderboards(page)
