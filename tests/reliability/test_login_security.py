"""Signing in: strong hashes, one message for every failure, a lockout no new tab resets, sessions that end.

The lockout holds under parallel guessers (each attempt is counted before its
password is checked) and covers the Account page's current-password check.

Also the configuration that keeps the server safe: Streamlit pinned past its
known advisories, XSRF protection and CORS on, error details off, and no page
that renders raw HTML.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from streamlit.testing.v1 import AppTest

from db.engine import PROJECT_ROOT, make_engine, unit_of_work
from db.models import Account, LoginThrottle, Person, Role
from engagement import auth, demo, organisation
from engagement.access import SYSTEM, Actor
from engagement.errors import PermissionDenied
from tests.app.conftest import DASHBOARD, TIMEOUT
from tests.factories import NOW, make_person, store

SIGN_IN = "FormSubmitter:login.form-Sign in"
AGENT = demo.DEMO_ACCOUNTS[Role.AGENT]
# GHSA-7p48-42j8-8846 / CVE-2026-33682 (SSRF via UNC paths) is the newest Streamlit advisory we know of,
# fixed in 1.54.0 (reliability catalogue §2.1).
NEWEST_ADVISORY_FIX = Version("1.54.0")
PASSWORD = "the right passphrase"
GUESSERS = 16
LOCKED = f"Too many failed attempts. Try again in {auth.LOCK_MINUTES} minutes."
CHANGE_PASSWORD = "FormSubmitter:account.password-Change password"
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


# -- parallel guessers, and the Account page's check -----------------------------------------------

# Two ways to try a password for one person: the sign-in form, and the Account page's "current password".
ATTEMPTS: dict[str, Callable[[Session, Actor, str], str]] = {
    "sign-in": lambda s, person, password: auth.log_in(s, person.email, password, now=NOW).message,
    "account page": lambda s, person, password: (
        auth.change_own_password(s, person, password, "a brand new passphrase", now=NOW) or ""
    ),
}
WRONG = {"sign-in": auth.LOGIN_FAILED, "account page": auth.NOT_CURRENT_PASSWORD}


def person_with_password(engine: Engine) -> Actor:
    with unit_of_work(engine) as session:
        person = make_person(session, email="ana@example.org")
        assert person.person_id is not None
        auth.create_account(session, SYSTEM, person.person_id, PASSWORD, must_change=False)
    return person


def count_verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password argon2 is asked to check, in order (appending to a list is atomic across threads)."""
    checked: list[str] = []
    real_verify = auth._verify

    def verify(password_hash: str, password: str) -> bool:
        checked.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "_verify", verify)
    return checked


def stored_hash(engine: Engine, person: Actor) -> str | None:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(select(Account.password_hash).where(Account.person_id == person.person_id))


def guess_in_parallel(url: str, attempt: Callable[[Session, Actor, str], str], person: Actor) -> list[str | Exception]:
    """GUESSERS wrong passwords at once, each on its own connection, all released by one barrier."""
    engine = make_engine(url, poolclass=NullPool)
    barrier = threading.Barrier(GUESSERS)
    outcomes: list[str | Exception] = [RuntimeError("never ran")] * GUESSERS

    def guess(n: int) -> None:
        barrier.wait(30)
        try:
            with unit_of_work(engine) as session:
                outcomes[n] = attempt(session, person, f"wrong guess {n:02d}")
        except Exception as e:  # the outcome is the assertion
            outcomes[n] = e

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.dispose()
    return outcomes


@pytest.mark.parametrize("earlier", [0, 3], ids=["new email", "3 failures before"])
@pytest.mark.parametrize("way", list(ATTEMPTS))
def test_parallel_guessers_get_no_more_than_five_passwords_checked(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, way: str, earlier: int
) -> None:
    person = person_with_password(engine)
    before = stored_hash(engine, person)
    for n in range(earlier):
        with unit_of_work(engine) as session:
            assert ATTEMPTS[way](session, person, f"earlier guess {n}") == WRONG[way]
    checked = count_verifications(monkeypatch)
    outcomes = guess_in_parallel(database_url, ATTEMPTS[way], person)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    checks_left = auth.MAX_FAILURES - earlier
    assert len(checked) == checks_left, "passwords checked after the lock"
    assert Counter(outcomes) == {WRONG[way]: checks_left - 1, LOCKED: GUESSERS - checks_left + 1}
    with unit_of_work(engine) as session:
        assert ATTEMPTS[way](session, person, PASSWORD) == LOCKED, "the right password during the lock"
    assert len(checked) == checks_left, "the right password was checked during the lock"
    assert stored_hash(engine, person) == before
    row = throttle(database_url, person.email)
    assert row is not None and row.locked_until == NOW + timedelta(minutes=auth.LOCK_MINUTES)


def test_the_account_page_and_sign_in_share_one_count(engine: Engine, database_url: str) -> None:
    person = person_with_password(engine)
    for n in range(auth.MAX_FAILURES - 1):
        with unit_of_work(engine) as session:
            assert auth.log_in(session, person.email, f"guess {n}", now=NOW).actor is None
    with unit_of_work(engine) as session:
        assert auth.change_own_password(session, person, "one more guess", "a brand new passphrase", now=NOW) == LOCKED
    with unit_of_work(engine) as session:
        assert auth.log_in(session, person.email.upper(), PASSWORD, now=NOW).message == LOCKED


def test_a_correct_current_password_resets_the_count(engine: Engine, database_url: str) -> None:
    person = person_with_password(engine)
    for n in range(auth.MAX_FAILURES - 1):
        with unit_of_work(engine) as session:
            assert auth.log_in(session, person.email, f"guess {n}", now=NOW).actor is None
    with unit_of_work(engine) as session:
        assert auth.change_own_password(session, person, PASSWORD, "a brand new passphrase", now=NOW) is None
    assert throttle(database_url, person.email) is None
    with unit_of_work(engine) as session:
        assert auth.log_in(session, person.email, "a brand new passphrase", now=NOW).actor == person


def test_the_lock_ends_after_its_window_and_the_count_starts_again(engine: Engine, database_url: str) -> None:
    person = person_with_password(engine)
    for n in range(auth.MAX_FAILURES):
        with unit_of_work(engine) as session:
            auth.log_in(session, person.email, f"guess {n}", now=NOW)
    almost = NOW + timedelta(minutes=auth.LOCK_MINUTES - 1)
    with unit_of_work(engine) as session:
        assert auth.log_in(session, person.email, PASSWORD, now=almost).message == LOCKED.replace(
            str(auth.LOCK_MINUTES), "1"
        )
    after = NOW + timedelta(minutes=auth.LOCK_MINUTES)
    with unit_of_work(engine) as session:
        assert auth.log_in(session, person.email, "a new guess", now=after).message == auth.LOGIN_FAILED
    row = throttle(database_url, person.email)
    assert row is not None and (row.failures, row.locked_until) == (1, None)
    with unit_of_work(engine) as session:
        assert auth.log_in(session, person.email, PASSWORD, now=after).actor == person


def change_password(at: AppTest, current: str, new: str = "a brand new passphrase") -> AppTest:
    current_box, new_box, again_box = [box for box in at.text_input if "password" in box.label.lower()]
    current_box.set_value(current)
    new_box.set_value(new)
    again_box.set_value(new)
    return at.button(key=CHANGE_PASSWORD).click().run()


def test_the_account_page_throttles_current_password_guesses(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)
    at.switch_page("pages/account.py").run()
    checked = count_verifications(monkeypatch)
    for n in range(1, auth.MAX_FAILURES):
        assert errors(change_password(at, f"guess number {n}")) == [auth.NOT_CURRENT_PASSWORD]
    assert errors(change_password(at, "the fifth guess")) == [LOCKED]
    right_but_locked = change_password(at, demo.DEMO_PASSWORD)
    assert errors(right_but_locked) == [LOCKED] and not right_but_locked.success
    assert len(checked) == auth.MAX_FAILURES
    assert "Too many failed attempts" in errors(sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD))[0]
    assert len(checked) == auth.MAX_FAILURES, "sign-in checked a password during the lock"


def test_your_own_password_changes_only_with_the_current_one(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        admin = make_person(session, team=None, role=Role.ADMIN, email="admin@example.org")
        assert admin.person_id is not None
        auth.create_account(session, SYSTEM, admin.person_id, PASSWORD, must_change=False)
    with pytest.raises(PermissionDenied, match="Account page"), unit_of_work(engine) as session:
        auth.set_password(session, admin, admin.person_id, "a password of my choice")


# -- sessions end when they should ----------------------------------------------------------


def test_changing_a_password_signs_out_the_other_tabs(demo_url: str) -> None:
    here = sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)
    there = sign_in(new_tab(), AGENT, demo.DEMO_PASSWORD)
    assert signed_in_page(here) == signed_in_page(there) == "My standing"
    here.switch_page("pages/account.py").run()
    current, new, again = [box for box in here.text_input if "password" in box.label.lower()]
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


def test_the_shipped_config_keeps_xsrf_cors_on_error_details_and_table_export_off() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    server, client = config.get("server", {}), config.get("client", {})
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    assert client.get("showErrorDetails") in ("none", False)
    assert client.get("disableDataExport") is True, "a table's own CSV export does not neutralise formulas"
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
