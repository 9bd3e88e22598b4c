"""Deep links on a freshly started server show the sign-in form, never data.

While a ``pages/`` folder exists, a freshly started Streamlit server serves
``/<page>`` straight from that folder (dashboard.py does not run) until some
session has run dashboard.py and so ``st.navigation``. Until then only the
page's own guard stands between a stranger and its data. Each test here starts
its own server so that its visitors really are the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser

from harness.browser import new_context, sign_in_form_shown, signed_out_problems, wait_for_app
from harness.servers import Server, StartApp
from ui.navigation import PAGES

PAGE_PATHS = [spec.path.removeprefix("pages/").removesuffix(".py") for spec in PAGES]


@pytest.fixture
def fresh_server(start_app: StartApp) -> Iterator[Server]:
    """A server nobody has visited yet (not shared with any other test)."""
    with start_app() as server:
        yield server


def visit_signed_out(browser: Browser, urls: list[str]) -> list[tuple[str, list[str]]]:
    """Open the URLs at once, each in a new browser profile; say where each landed and what it wrongly showed."""
    contexts = [new_context(browser) for _ in urls]
    try:
        pages = [context.new_page() for context in contexts]
        for page, url in zip(pages, urls, strict=True):
            page.goto(url, wait_until="commit")
        seen = []
        for page in pages:
            wait_for_app(page)
            problems = signed_out_problems(page)
            if not sign_in_form_shown(page):
                problems.append("no sign-in form")
            if page.title() != "Impact Board":
                problems.append(f"tab titled {page.title()!r}")
            seen.append((urlsplit(page.url).path, problems))
        return seen
    finally:
        for context in contexts:
            context.close()


def test_first_visitors_to_each_page_url_see_only_the_sign_in(browser: Browser, fresh_server: Server) -> None:
    urls = [f"{fresh_server.url}/{path}" for path in PAGE_PATHS]
    seen = dict(zip(PAGE_PATHS, visit_signed_out(browser, urls), strict=True))
    assert {path: problems for path, (_, problems) in seen.items() if problems} == {}
    # The premise: these visits took the pages/ route, so the guards (not the navigation) kept them out.
    served_from_folder = [path for path, (landed, _) in seen.items() if landed == f"/{path}"]
    assert served_from_folder == PAGE_PATHS, (
        "Streamlit no longer serves pages/ files before dashboard.py has run; "
        f"only {served_from_folder} were. Revisit this test's premise."
    )


def test_page_query_parameter_and_links_after_the_first_run_show_only_the_sign_in(
    browser: Browser, fresh_server: Server
) -> None:
    assert visit_signed_out(browser, [f"{fresh_server.url}/?page=morale"]) == [("/", [])]
    # dashboard.py has now run, so page URLs fall back to the sign-in page.
    later = visit_signed_out(browser, [f"{fresh_server.url}/morale", f"{fresh_server.url}/admin"])
    assert later == [("/", []), ("/", [])]
