"""Every page of every demo role, in a real browser: it opens from the menu and draws without an exception.

Each page is saved as ``test-artifacts/screenshots/<role>-<page>.png`` (whole
page) for people to look at. The pages come from ``ui.navigation.PAGES``, so a
new page is covered as soon as it is in the menu.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request

from db.models import Role
from engagement.demo import DEMO_ACCOUNTS
from harness.browser import (
    LOCAL_HOSTS,
    SCREENSHOTS,
    exception_problems,
    headings,
    nav_titles,
    open_page,
    open_url,
    screenshot,
    sign_in,
)
from harness.servers import Server
from ui.navigation import PAGES


def requests_leaving_the_machine(page: Page) -> list[str]:
    """A list that fills with the URL of every request the page makes beyond this machine."""
    seen: list[str] = []

    def note(request: Request) -> None:
        if not request.url.startswith(("data:", "blob:")) and urlsplit(request.url).hostname not in LOCAL_HOSTS:
            seen.append(request.url)

    page.on("request", note)
    return seen


def file_name(role: Role, title: str) -> str:
    return f"{role.value}-{title.lower().replace(' ', '-')}.png"


@pytest.mark.parametrize("role", list(DEMO_ACCOUNTS), ids=lambda role: role.value)
def test_every_page_of_the_role_opens_from_the_menu_without_an_exception(
    app_server: Server, page: Page, role: Role
) -> None:
    left_the_machine = requests_leaving_the_machine(page)
    open_url(page, app_server.url)
    sign_in(page, DEMO_ACCOUNTS[role])
    titles = [spec.title for spec in PAGES if role in spec.roles]
    assert sorted(nav_titles(page)) == sorted(titles), "the menu lists exactly the role's pages"
    wrong: dict[str, list[str]] = {}
    for title in titles:
        open_page(page, title)
        problems = exception_problems(page)
        if headings(page)[:1] != [title]:
            problems.append(f"the page's first heading is {headings(page)[:1]}, its menu link says {title!r}")
        refused = page.get_by_test_id("stAlertContentError").filter(has_text="This page is for")
        if refused.count():
            problems.append(f"the page refused its own menu's role: {refused.first.inner_text()}")
        screenshot(page, SCREENSHOTS / file_name(role, title), full=True)
        if problems:
            wrong[title] = problems
    assert not wrong, f"{wrong}\n--- server log ---\n{app_server.log_tail()}"
    assert left_the_machine == [], "the app asked the browser to fetch from outside this machine"
