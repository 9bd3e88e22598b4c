"""Signing in: strong hashes, one message for every failure, a lockout no new tab resets, sessions that end.

Also the configuration that keeps the server safe: Streamlit pinned past its
known advisories, XSRF protection and CORS on, error details off, and no page
that renders raw HTML.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import PROJECT_ROOT, make_engine, unit_of_work
from db.models import Account, LoginThrottle, Person, Role
from engagement import auth, demo, organisation
from engagement.access import SYSTEM
from tests.app.conftest import DASHBOARD, TIMEOUT
from tests.factories import store

SIGN_IN = "FormSubmitter:login.form-Sign in"
AGENT = demo.DEMO_ACCOUNTS[Role.AGENT]
# GHSA-7p48-42j8-8846 / CVE-2026-33682 (SSRF via UNC paths) is the newest Streamlit advisory we know of,
# fixed in 1.54.0 (reliability catalogue §2.1).
NEWEST_ADVISORY_FIX = Version("1.54.0")
HASH = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")


def new_tab() -> AppTest:
    """A browser tab of its own: a new Streamlit session with empty session state."""
    return AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT).run()


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="login.email").input(email)
    at.text_input(key="login.password").set_value(password)
    return at.button(key=SIGN_IN).click().run()


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def signed_in_page(at: AppTest) -> str | None:
    """The page's title when signed in, None on the sign-in form."""
    assert not at.exception, at.exception
    title = at.title[0].value if at.title else None
    return None if title == "Impact Board" else title


def throttle(url: str, email: str) -> LoginThrottle | None:
    with store(url, write=False) as session:
        row = session.get(LoginThrottle, email)
        if row is not None:
            session.expunge(row)
        return row


# -- hashes ----------------------------------------------------------------------------


def test_stored_hashes_are_argon2id_at_owasp_parameters_or_above(demo_url: str) -> None:
    with store(demo_url, write=False) as session:
        hashes = list(session.scalars(select(Account.password_hash)))
    assert len(hashes) == len(demo.DEMO_ACCOUNTS)
    for stored in hashes:
        match = HASH.match(stored)
        assert match, stored[:30]
        memory, passes, lanes = map(int, match.groups())
        assert (memory >= 19_456, passes >= 2, lanes >= 1) == (True, True, True), stored[:40]


def test_an_older_weaker_hash_is_upgraded_at_the_next_sign_in(demo_url: str) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(demo.DEMO_PASSWORD)
    with store(demo_url) as session:
        person = session.scalars(select(Person).where(Person.email == AGENT)).one()
        session.get(Account, person.id).password_hash = weak  # type: ignore[union-attr]
    assert signed_in_page(sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)) == "My standing"
    with store(demo_url, write=False) as session:
        upgraded = session.scalar(select(Account.password_hash).join(Person).where(Person.email == AGENT))
    assert upgraded is not None and upgraded != weak and HASH.match(upgraded)


# -- one message, a stored lockout ------------------------------------------------------------


def test_every_failure_gets_the_same_message(demo_url: str) -> None:
    lead = demo.DEMO_ACCOUNTS[Role.LEAD]
    with store(demo_url) as session:
        person = organisation.person_by_email(session, lead)
        organisation.deactivate_person(session, SYSTEM, person.id, person.version)
    seen = {
        "wrong password": errors(sign_in(new_tab(), AGENT, "not the password at all")),
        "unknown email": errors(sign_in(new_tab(), "nobody@example.com", demo.DEMO_PASSWORD)),
        "deactivated account": errors(sign_in(new_tab(), lead, demo.DEMO_PASSWORD)),
        "email in another case": errors(sign_in(new_tab(), AGENT.upper(), "not the password at all")),
    }
    assert set(map(tuple, seen.values())) == {(auth.LOGIN_FAILED,)}, seen


def test_failures_are_counted_in_the_database_so_a_new_tab_does_not_reset_them(demo_url: str) -> None:
    for attempt in range(1, auth.MAX_FAILURES):
        at = sign_in(new_tab(), AGENT, f"guess number {attempt}")  # every guess from a fresh tab
        assert errors(at) == [auth.LOGIN_FAILED]
        assert throttle(demo_url, AGENT).failures == attempt  # type: ignore[union-attr]
    locked = sign_in(new_tab(), AGENT, "the fifth guess")
    assert errors(locked) == [f"Too many failed attempts. Try again in {auth.LOCK_MINUTES} minutes."]
    right_but_locked = sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)
    assert signed_in_page(right_but_locked) is None
    assert "Too many failed attempts" in errors(right_but_locked)[0]
    assert throttle(demo_url, AGENT).locked_until is not None  # type: ignore[union-attr]


def test_a_success_resets_the_count(demo_url: str) -> None:
    at = new_tab()
    for attempt in range(auth.MAX_FAILURES - 1):
        at = sign_in(at, AGENT, f"guess {attempt}")
    assert throttle(demo_url, AGENT).failures == auth.MAX_FAILURES - 1  # type: ignore[union-attr]
    assert signed_in_page(sign_in(at, AGENT, demo.DEMO_PASSWORD)) == "My standing"
    assert throttle(demo_url, AGENT) is None
    sign_in(new_tab(), AGENT, "one more guess")
    assert throttle(demo_url, AGENT).failures == 1  # type: ignore[union-attr]


def test_a_megabyte_password_is_refused_before_any_hashing(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[int] = []
    real_verify, real_hash = auth._verify, auth._hash
    monkeypatch.setattr(auth, "_verify", lambda h, p: (hashed.append(len(p)), real_verify(h, p))[1])
    monkeypatch.setattr(auth, "_hash", lambda p: (hashed.append(len(p)), real_hash(p))[1])
    huge = "p" * 1_000_000
    engine = make_engine(demo_url)
    try:
        with unit_of_work(engine) as session:
            assert auth.log_in(session, AGENT, huge).actor is None
        with pytest.raises(auth.ValidationError, match="at most"), unit_of_work(engine) as session:
            auth.set_password(session, SYSTEM, organisation.person_by_email(session, AGENT).id, huge)
    finally:
        engine.dispose()
    assert all(n <= auth.MAX_LENGTH for n in hashed), "a long password reached argon2"
    at = sign_in(new_tab(), AGENT, huge)
    assert errors(at) == [auth.LOGIN_FAILED]


# -- sessions end when they should ----------------------------------------------------------


def test_changing_a_password_signs_out_the_other_tabs(demo_url: str) -> None:
    here = sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)
    there = sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)
    assert signed_in_page(here) == signed_in_page(there) == "My standing"
    here.switch_page("pages/account.py").run()
    current, new, again = here.text_input
    current.set_value(demo.DEMO_PASSWORD)
    new.set_value("a brand new passphrase")
    again.set_value("a brand new passphrase")
    here.button(key="FormSubmitter:account.password-Change password").click().run()
    assert [s.value for s in here.success] == ["Password changed. Your other sessions have been signed out."]
    assert signed_in_page(here.run()) == "Account", "the tab that changed it stays signed in"
    there.run()  # the other tab's next click
    assert signed_in_page(there) is None
    assert [i.value for i in there.info] == ["Your session has ended. Please sign in again."]


def test_an_admin_reset_signs_out_every_tab_of_that_person(demo_url: str) -> None:
    tab = sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)
    assert signed_in_page(tab) == "My standing"
    with store(demo_url) as session:
        auth.set_password(session, SYSTEM, organisation.person_by_email(session, AGENT).id, "temporary password 1")
    assert signed_in_page(tab.run()) is None


def test_a_deactivated_person_is_shut_out_at_their_next_click(demo_url: str) -> None:
    tab = sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)
    assert signed_in_page(tab) == "My standing"
    with store(demo_url) as session:
        person = organisation.person_by_email(session, AGENT)
        organisation.deactivate_person(session, SYSTEM, person.id, person.version)
    tab.run()
    assert signed_in_page(tab) is None
    assert not tab.metric and not tab.dataframe


def test_identity_never_comes_from_the_url(demo_url: str) -> None:
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    for name, value in (("user", demo.DEMO_ACCOUNTS[Role.ADMIN]), ("email", AGENT), ("role", "admin")):
        at.query_params[name] = value
    at.run()
    assert signed_in_page(at) is None
    assert not at.metric and not at.dataframe


# -- configuration ---------------------------------------------------------------------------


def test_streamlit_is_pinned_past_every_known_advisory() -> None:
    lines = (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
    pins = [Requirement(line.split("#")[0].strip()) for line in lines if line.strip().startswith("streamlit")]
    assert len(pins) == 1, pins
    floors = [Version(s.version) for s in pins[0].specifier if s.operator in (">=", "==", "~=")]
    assert floors and min(floors) >= NEWEST_ADVISORY_FIX, f"requirements.txt allows {pins[0].specifier}"
    assert Version(installed_version("streamlit")) >= NEWEST_ADVISORY_FIX


def test_the_shipped_config_keeps_xsrf_cors_on_and_error_details_off() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    server, client = config.get("server", {}), config.get("client", {})
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    assert client.get("showErrorDetails") in ("none", False)
    assert not server.get("trustedUserHeaders"), "identity from headers is only safe behind a proxy that sets them"


RAW_HTML = re.compile(r"unsafe_allow_html\s*=\s*True|\bst\.html\(|components\.v1\.html\(|\bcomponents\.html\(")


def test_no_page_renders_raw_html() -> None:
    sources = [
        PROJECT_ROOT / "dashboard.py",
        *sorted((PROJECT_ROOT / "pages").glob("*.py")),
        *sorted((PROJECT_ROOT / "ui").glob("*.py")),
    ]
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{n}"
        for path in sources
        for n, line in enumerate(Path(path).read_text().splitlines(), 1)
        if RAW_HTML.search(line)
    ]
    assert offenders == []


def test_app_signed_out_shows_only_the_form(app_signed_out: Callable[[], AppTest]) -> None:
    at = app_signed_out()
    assert signed_in_page(at) is None
    assert {t.key for t in at.text_input} == {"login.email", "login.password"}
