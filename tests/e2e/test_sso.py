"""Single sign-on for real: Streamlit's ``st.login`` against a local OpenID Connect provider.

``oidc-provider-mock`` runs on 127.0.0.1 and signs in whoever's email is typed
into its authorize form, with the claims last stored for that subject
(``PUT /users/<sub>``); without any it sends only ``email``, no
``email_verified``. The app runs from a temporary copy of the code with its own
``.streamlit/secrets.toml``, so no secret is ever written into the repo.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from db.engine import make_engine, unit_of_work
from db.models import Person
from engagement import auth, organisation
from engagement.access import SYSTEM
from harness.browser import SCREENSHOTS, menu_link, nav_titles, open_url, screenshot, signed_out_problems, wait_for_app
from harness.servers import Server, copy_app, copy_database, dashboard, free_port, serve

CLIENT_ID = "impact-board-e2e"
VERIFIED: Mapping[str, object] = {"email_verified": True}


@dataclass(frozen=True)
class SsoApp:
    """The app configured for single sign-on, the provider it trusts, and the app's database."""

    app: Server
    provider: Server
    database_url: str


def secrets_toml(app_url: str, provider_url: str) -> str:
    return f"""[auth]
redirect_uri = "{app_url}/oauth2callback"
cookie_secret = "{secrets.token_urlsafe(48)}"
client_id = "{CLIENT_ID}"
client_secret = "{secrets.token_urlsafe(32)}"
server_metadata_url = "{provider_url}/.well-known/openid-configuration"
"""


@pytest.fixture(scope="module")
def sso(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoApp]:
    folder = tmp_path_factory.mktemp("e2e-sso")
    app_dir = copy_app(folder / "app")
    database_url = copy_database(demo_database, folder / "impact.db")
    provider_port, app_port = free_port(), free_port()
    provider_url, app_url = f"http://127.0.0.1:{provider_port}", f"http://127.0.0.1:{app_port}"
    (app_dir / ".streamlit" / "secrets.toml").write_text(secrets_toml(app_url, provider_url))
    provider_command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(provider_port)]
    with (
        serve(
            provider_command,
            cwd=folder,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            log=folder / "provider.log",
            url=provider_url,
            health="/.well-known/openid-configuration",
        ) as provider,
        dashboard(database_url, folder / "streamlit.log", app_dir=app_dir, port=app_port) as app,
    ):
        yield SsoApp(app, provider, database_url)


def provider_claims(sso: SsoApp, sub: str, claims: Mapping[str, object]) -> None:
    """Make the provider issue exactly ``claims`` (beside ``sub``) for ``sub`` from now on."""
    request = urllib.request.Request(
        f"{sso.provider.url}/users/{sub}",
        data=json.dumps(claims).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def sign_in_with_sso(page: Page, sso: SsoApp, email: str, claims: Mapping[str, object] = VERIFIED) -> None:
    """Sign in at the provider as ``email`` with ``claims`` beside it, and wait for the app."""
    provider_claims(sso, email, {"email": email, **claims})
    open_url(page, sso.app.url)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.wait_for_url(f"{sso.provider.url}/**")
    page.locator("input[name=sub]").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{sso.app.url}/**")
    wait_for_app(page)


def deactivate(database_url: str, email: str) -> None:
    """Deactivate a person the way an admin does, straight on the app's database."""
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            person = session.scalars(select(Person).where(Person.email == email)).one()
            organisation.update_person(session, SYSTEM, person.id, person.version, active=False)
    finally:
        engine.dispose()


def refused(page: Page, message: str) -> None:
    """Only the sign-in page with ``message`` and a way to sign out: no menu, no data."""
    expect(page.get_by_text(message)).to_be_visible()
    wait_for_app(page)
    assert signed_out_problems(page) == []
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_sso_signs_the_demo_manager_in_with_their_role(sso: SsoApp, page: Page) -> None:
    sign_in_with_sso(page, sso, "manager@example.com")
    assert "Morale" in nav_titles(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("Demo Manager")).to_be_visible()
    screenshot(page, SCREENSHOTS / "sso-manager.png")


def test_sso_email_matches_whatever_its_case(sso: SsoApp, page: Page) -> None:
    sign_in_with_sso(page, sso, "Manager@Example.com")
    assert "Morale" in nav_titles(page)


def test_sso_identity_without_an_account_gets_a_message_and_no_data(sso: SsoApp, page: Page) -> None:
    sign_in_with_sso(page, sso, "stranger@example.com")
    refused(page, "There is no active Impact Board account for stranger@example.com")
    screenshot(page, SCREENSHOTS / "sso-no-account.png")


def test_a_person_deactivated_while_signed_in_is_shut_out_at_the_next_click(sso: SsoApp, page: Page) -> None:
    sign_in_with_sso(page, sso, "agent@example.com")
    assert "Leaderboards" in nav_titles(page)
    deactivate(sso.database_url, "agent@example.com")
    menu_link(page, "Leaderboards").click()
    refused(page, "There is no active Impact Board account for agent@example.com")
    screenshot(page, SCREENSHOTS / "sso-deactivated.png")


@pytest.mark.parametrize(
    "claims", [{"email_verified": False}, {}], ids=["email_verified false", "email_verified missing"]
)
def test_sso_identity_whose_email_is_not_verified_is_refused(
    sso: SsoApp, page: Page, claims: dict[str, object]
) -> None:
    """The demo manager has an account; an address the provider does not vouch for still opens nothing."""
    sign_in_with_sso(page, sso, "manager@example.com", claims)
    refused(page, auth.SSO_UNVERIFIED)
    expect(page.get_by_text("Demo Manager")).to_have_count(0)
