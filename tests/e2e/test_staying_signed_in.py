"""A built-in sign-in survives a reload and a new tab, and signing out ends it everywhere.

The browser keeps only a random token in a first-party cookie; the server keeps
its hash and whether it has ended, so what the cookie says is checked on every
new tab and every click.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from db.models import Person, Role, SignInSession
from engagement import auth, sessions
from engagement.access import SYSTEM
from engagement.demo import DEMO_ACCOUNTS
from harness.browser import (
    SCREENSHOTS,
    new_context,
    open_url,
    screenshot,
    sign_in,
    sign_in_form_shown,
    signed_out_problems,
    wait_for_app,
)
from harness.servers import Server
from tests.factories import in_store
from ui.session_cookie import COOKIE

AGENT, LEAD = DEMO_ACCOUNTS[Role.AGENT], DEMO_ACCOUNTS[Role.LEAD]
ENDED = "Your session has ended. Please sign in again."


def session_cookie(context: BrowserContext, *, present: bool = True, timeout_s: float = 10) -> dict[str, Any] | None:
    """The browser's session cookie once it is there (``present``) or gone; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = next((dict(c) for c in context.cookies() if c.get("name") == COOKIE), None)
        if (found is not None) == present:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"the {COOKIE} cookie was {'never set' if present else 'never removed'}")
        time.sleep(0.1)


def title(page: Page) -> str:
    return page.get_by_test_id("stMain").locator("h1").first.inner_text().strip()


def signed_in_as(page: Page) -> bool:
    return page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").is_visible()


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_test_id("stForm").get_by_label("Email", exact=True)).to_be_visible()
    wait_for_app(page)
    assert sign_in_form_shown(page)
    assert signed_out_problems(page) == []


def test_a_reload_and_a_second_tab_stay_signed_in_until_signing_out(
    context: BrowserContext, page: Page, app_server: Server
) -> None:
    open_url(page, app_server.url)
    sign_in(page, AGENT)
    cookie = session_cookie(context)
    assert cookie is not None
    assert (cookie["sameSite"], cookie["path"], cookie["secure"]) == ("Strict", "/", False)  # http here, https: Secure
    hours_left = (cookie["expires"] - time.time()) / 3600
    assert 11.9 < hours_left <= 12, "the cookie lasts as long as the server's session: 12 hours"
    assert COOKIE not in page.url and cookie["value"] not in page.url, "the token never goes in the URL"

    page.reload()
    wait_for_app(page)
    assert signed_in_as(page), "a reload keeps the person signed in"
    assert title(page) == "My standing"
    screenshot(page, SCREENSHOTS / "staying-signed-in-after-reload.png")

    second = context.new_page()
    open_url(second, f"{app_server.url}/leaderboards")
    assert signed_in_as(second), "a new tab is signed in too"
    assert title(second) == "Leaderboards"

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    expect_signed_out(page)
    session_cookie(context, present=False)
    ended = in_store(
        app_server.database_url,
        lambda s: (
            s.query(SignInSession.end_reason)
            .join(Person, Person.id == SignInSession.person_id)
            .filter(Person.email == AGENT, SignInSession.token_hash == sessions.hash_token(str(cookie["value"])))
            .scalar()
        ),
    )
    assert ended == "signed_out", "signing out ends the session on the server, not only the cookie"

    # The other tab's next click finds its session over; a reload finds no cookie.
    second.get_by_test_id("stSidebar").get_by_role("link", name="Challenges").click()
    expect_signed_out(second)
    expect(second.get_by_text(ENDED)).to_be_visible()
    screenshot(second, SCREENSHOTS / "staying-signed-in-other-tab-after-sign-out.png")
    second.reload()
    expect_signed_out(second)
    page.reload()
    expect_signed_out(page)


def test_a_stolen_cookie_stops_working_when_its_session_ends(browser: Any, app_server: Server) -> None:
    """A copy of the cookie in another browser works only while the server's session does."""
    own = new_context(browser)
    thief = new_context(browser)
    try:
        page = own.new_page()
        open_url(page, app_server.url)
        sign_in(page, LEAD)
        cookie = session_cookie(own)
        assert cookie is not None
        thief.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])  # type: ignore[list-item]
        copy = thief.new_page()
        open_url(copy, app_server.url)
        assert signed_in_as(copy), "the cookie is the sign-in: whoever holds it is in until it ends"

        # An admin resets the password (a lead who suspects a stolen cookie changes theirs): every session ends.
        person_id = in_store(app_server.database_url, _person_id(LEAD))
        reset = "a new temporary one"
        in_store(app_server.database_url, lambda s: auth.set_password(s, SYSTEM, person_id, reset), write=True)
        copy.reload()
        expect_signed_out(copy)
        page.reload()
        expect_signed_out(page)
        expect(page.get_by_text(ENDED)).to_be_visible()
    finally:
        own.close()
        thief.close()


def _person_id(email: str) -> Callable[[Any], int]:
    return lambda s: int(s.query(Person.id).filter(Person.email == email).scalar())
