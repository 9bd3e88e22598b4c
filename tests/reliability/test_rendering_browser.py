"""In a real browser, hostile names, notes and reasons stay text: no dialog, no request, no element from data.

The demo database gets the payloads of :mod:`tests.reliability.markup` (an
``<img onerror>``, a ``<script>``, a ``javascript:`` link, a Markdown image and
link pointing at 127.0.0.2, ``:red[...]``, look-alike letters). Chromium then
opens every page where they appear, as the people who see them. Nothing may
open a dialog, ask for anything at 127.0.0.2, or put an ``<img>``, ``<script>``,
``<iframe>`` or ``javascript:`` link into the page from that data, and each
payload shown outside a table must be visible as typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Dialog, Page, Request, expect

from db.models import Role
from engagement import demo
from harness import browser as e2e
from harness import servers
from harness.servers import Server
from tests.loops import each
from tests.reliability.markup import CHALLENGE, PERSON, TEAM, plant

pytestmark = pytest.mark.slow

# Who sees the planted text where: (role, page title, Admin tab or None).
VISITS = (
    (Role.AGENT, "My standing", None),
    (Role.AGENT, "Leaderboards", None),
    (Role.LEAD, "Approvals", None),
    (Role.LEAD, "Log results", None),
    (Role.LEAD, "Challenges", None),
    (Role.ADMIN, "Admin", "Audit log"),
    (Role.ADMIN, "Admin", "People"),
)
FROM_DATA = """() => [
  ...document.querySelectorAll(
    "img[src*='127.0.0.2'], img[src='x'], iframe, a[href^='javascript:'], a[href*='127.0.0.2']"),
  ...[...document.querySelectorAll('script')].filter(s => (s.textContent || '').includes('alert(')),
].map(e => (e.closest('[data-testid]')?.dataset.testid || '?') + ': ' + e.outerHTML.slice(0, 160))"""


@pytest.fixture(scope="module")
def hostile_server(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("hostile-app")
    url = servers.copy_database(demo_database, folder / "impact.db")
    plant(url)
    with servers.dashboard(url, folder / "streamlit.log") as server:
        yield server


def test_planted_markup_stays_text_in_a_real_browser(hostile_server: Server, page: Page) -> None:
    dialogs: list[str] = []
    requests: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_request(request: Request) -> None:
        if urlsplit(request.url).hostname == "127.0.0.2" or request.url.startswith("javascript:"):
            requests.append(request.url)

    page.on("dialog", on_dialog)
    page.on("request", on_request)
    created: dict[str, list[str]] = {}
    seen_text = ""
    signed_in_as = None
    for role, title, tab in each(VISITS):
        if role is not signed_in_as:
            page.context.clear_cookies()  # a reload alone stays signed in as the last role
            e2e.open_url(page, hostile_server.url)
            e2e.sign_in(page, demo.DEMO_ACCOUNTS[role])
            signed_in_as = role
        e2e.open_page(page, title)
        if tab is not None:
            page.get_by_role("tab", name=tab, exact=True).click()
            expect(page.get_by_role("tab", name=tab, exact=True)).to_have_attribute("aria-selected", "true")
            e2e.wait_for_app(page)
        where = f"{role.value}: {title}" + (f" / {tab}" if tab else "")
        assert e2e.exception_problems(page) == [], where
        found = page.evaluate(FROM_DATA)
        if found:
            created[where] = found
        seen_text += page.evaluate("() => document.querySelector(\"[data-testid='stApp']\").textContent") + "\n"
    seen_text = seen_text.replace("\u2060", "")  # the invisible joiner md() puts into web addresses
    page.wait_for_timeout(300)  # a stray image request would be on its way by now
    assert dialogs == [], "a name or note ran a script"
    assert requests == [], "a name or note made the browser fetch something"
    assert created == {}, f"elements were made from data: {created}"
    # Tables draw on a canvas, so only text outside them can be read back here (AppTest checks the rest).
    for text in (PERSON, TEAM, CHALLENGE):
        assert text in seen_text, f"{text!r} should be on the page as typed"
    e2e.screenshot(page, Path(e2e.SCREENSHOTS) / "reliability-hostile-admin-people.png", full=True)
