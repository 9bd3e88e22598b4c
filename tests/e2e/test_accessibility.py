"""Accessibility, measured: axe-core on every page and tab of every role, in the light and the dark theme.

axe-core (``node_modules/axe-core``, pinned in package.json) is injected into
the real app over demo data and run against WCAG 2.0, 2.1 and 2.2 A and AA.
Any violation fails, whatever its impact, except the few listed in
``STREAMLIT_OWN``: elements inside Streamlit's own widgets that the app cannot
change, each named with its rule, its selector and the reason (the README's
Accessibility section lists them too). The theme is switched the way people
switch it, through the system's light or dark preference, which the app
follows. axe cannot read text drawn on a canvas (tables) or inside charts;
those colours are checked by eye in the screenshots and by the chart unit tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from db.models import Role
from engagement.demo import DEMO_ACCOUNTS
from harness.browser import (
    AXE,
    ColorScheme,
    Violation,
    axe_violations,
    open_page,
    open_url,
    set_color_scheme,
    sign_in,
    wait_for_app,
)
from harness.servers import Server
from ui.navigation import PAGES, PageSpec

pytestmark = pytest.mark.skipif(
    not AXE.exists(), reason=f"{AXE} is missing: run `npm ci` (scripts/run-tests does) for the accessibility checks"
)

SCHEMES: tuple[ColorScheme, ...] = ("light", "dark")
# (axe rule, CSS selector): failures inside Streamlit's own widgets that no page can change.
STREAMLIT_OWN = (
    # st.date_input (React Aria segments since streamlit/streamlit#16460) draws the month and the
    # day as 18 px spin buttons, under WCAG 2.5.8's 24 px. The field takes typed digits and arrow
    # keys, and its "Choose date" button (over 24 px) does the same job: the criterion's
    # "equivalent" exception. Streamlit draws the segments; the app cannot size them.
    ("target-size", "[data-testid='stDateInputField'] [role='spinbutton']"),
)


def tabs_opened_one_by_one(page: Page, every_tab: bool) -> Iterator[str]:
    """Yield once for the page as opened, then (``every_tab``) once with each other tab open.

    A closed tab's content is hidden, so axe would not see it otherwise.
    """
    yield "as opened"
    if not every_tab:
        return
    tabs = page.locator("[data-testid='stMain'] [role='tab']")
    i = 0
    while i < tabs.count():
        tab = tabs.nth(i)
        if tab.is_visible() and tab.get_attribute("aria-selected") != "true":
            name = tab.inner_text().strip()
            tab.click()
            wait_for_tab(page, tab)
            yield f"tab {name!r}"
        i += 1


def wait_for_tab(page: Page, tab: Locator) -> None:
    """Wait until the tab's panel has drawn (a tab that reruns the page draws its content only then)."""
    expect(tab).to_have_attribute("aria-selected", "true")
    panel = page.locator(f"[id='{tab.get_attribute('aria-controls')}']")
    expect(panel.locator("[data-testid='stElementContainer']").first).to_be_visible()
    wait_for_app(page)


def first_role_of(spec: PageSpec) -> Role:
    """The first demo role with the page: its tabs are opened one by one for that role only.

    A page's tabs differ little between roles (the viewer's own row), and each
    opened tab costs two axe runs; every role still gets every page as opened.
    """
    return next(role for role in DEMO_ACCOUNTS if role in spec.roles)


def check_both_themes(page: Page, where: str, found: dict[str, list[Violation]]) -> None:
    """Run axe in the theme the page is in, then in the other one (which it is left in)."""
    dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    for scheme in SCHEMES[::-1] if dark else SCHEMES:
        set_color_scheme(page, scheme)
        if violations := axe_violations(page, STREAMLIT_OWN):
            found[f"{where} ({scheme})"] = violations


def report(found: dict[str, list[Violation]]) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(map(str, violations)) for where, violations in found.items())


def test_the_sign_in_page_passes_wcag_aa_in_both_themes(app_server: Server, page: Page) -> None:
    open_url(page, app_server.url)
    found: dict[str, list[Violation]] = {}
    check_both_themes(page, "sign-in", found)
    assert not found, report(found)


@pytest.mark.parametrize("role", list(DEMO_ACCOUNTS), ids=lambda role: role.value)
def test_every_page_and_tab_of_the_role_passes_wcag_aa_in_both_themes(
    app_server: Server, page: Page, role: Role
) -> None:
    open_url(page, app_server.url)
    sign_in(page, DEMO_ACCOUNTS[role])
    found: dict[str, list[Violation]] = {}
    checked = 0
    for spec in [spec for spec in PAGES if role in spec.roles]:
        open_page(page, spec.title)
        for view in tabs_opened_one_by_one(page, every_tab=role is first_role_of(spec)):
            check_both_themes(page, f"{spec.title}, {view}", found)
            checked += 1
    assert checked >= sum(role in spec.roles for spec in PAGES)
    assert not found, report(found)
