"""Who is using the dashboard, worked out again on every rerun.

Identity comes from single sign-on (``st.user``, when ``[auth]`` is configured)
or from a built-in login kept in this browser tab's session; never from a
widget, the URL or a header. Either way the person is looked up in the
database on every rerun, so a deactivation, role change or password reset
takes effect at the next click.
"""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy.orm import Session

from engagement import auth, settings
from engagement.access import Actor, actor_for_email
from engagement.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from engagement.errors import ValidationError
from engagement.vocabulary import Role
from ui.resources import read_fresh, write
from ui.widgets import md

SESSION_KEY = "ib.auth"
IDLE_SECONDS = 30 * 60
ROLE_LABELS = {Role.AGENT: "Agent", Role.LEAD: "Team lead", Role.MANAGER: "Manager", Role.ADMIN: "Admin"}


def sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _sso_identity() -> auth.SsoIdentity | None:
    """Who single sign-on vouches for in this browser, or None when nobody signed in that way."""
    if not st.user.get("is_logged_in", False):
        return None
    return auth.sso_identity(st.user)


def current_actor() -> Actor | None:
    """The logged-in, active person, or None."""
    sso = _sso_identity()
    if sso is not None:
        return None if sso.refusal else read_fresh(actor_for_email, sso.email)
    login = st.session_state.get(SESSION_KEY)
    if not login:
        return None
    if time.monotonic() - login["seen"] > IDLE_SECONDS:
        _forget("You were signed out after 30 minutes without activity.")
        return None
    actor = read_fresh(_still_valid, login["email"], login["person_id"], login["epoch"])
    if actor is None:
        _forget("Your session has ended. Please sign in again.")
        return None
    login["seen"] = time.monotonic()
    return actor


def _still_valid(session: Session, email: str, person_id: int, epoch: int) -> Actor | None:
    actor = actor_for_email(session, email)
    if actor is None or actor.person_id != person_id or not auth.session_is_current(session, person_id, epoch):
        return None
    return actor


def _forget(message: str) -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state["ib.notice"] = message


def require_role(*roles: Role) -> Actor:
    """Stop the page unless a logged-in person with one of ``roles`` is present.

    Every page calls this first: a page reached directly (a deep link on a
    freshly started server) shows the login instead of data.
    """
    actor = current_actor()
    if actor is None:
        login_form()
        st.stop()
    assert actor is not None
    if actor.role not in roles:
        allowed = ", ".join(ROLE_LABELS[r].lower() + "s" for r in roles)
        st.error(f"This page is for {allowed}.")
        st.stop()
    if st.session_state.get(SESSION_KEY, {}).get("must_change"):
        change_password_form(actor, forced=True)
        st.stop()
    return actor


def login_form() -> None:
    """The sign-in page: SSO button when configured, built-in accounts, demo accounts if loaded."""
    # A fresh server can serve a page file before dashboard.py has set the tab's
    # title; without this the tab of a signed-out visitor would read "morale".
    st.set_page_config(page_title="Impact Board")
    st.title("Impact Board")
    st.caption("Challenges, volunteering and team morale for people who work apart.")
    notice = st.session_state.pop("ib.notice", None)
    if notice:
        st.info(notice)
    sso = _sso_identity()
    if sso is not None:
        st.error(
            sso.refusal or f"There is no active Impact Board account for {md(sso.email)}. Ask an admin to add you."
        )
        st.button("Sign out", on_click=st.logout, key="login.sso_logout")
        return
    if sso_configured():
        st.button("Sign in with single sign-on", on_click=st.login, type="primary", key="login.sso")
        st.divider()
    with st.form("login.form"):
        email = st.text_input("Email", key="login.email", autocomplete="username")
        password = st.text_input("Password", type="password", key="login.password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        _log_in(email, password)
    if read_fresh(settings.load).demo:
        _demo_accounts()


def _log_in(email: str, password: str) -> None:
    result = write(auth.log_in, email, password)
    if result.actor is None:
        st.error(result.message)
        return
    st.session_state[SESSION_KEY] = {
        "email": result.actor.email,
        "person_id": result.actor.person_id,
        "epoch": result.epoch,
        "must_change": result.must_change,
        "seen": time.monotonic(),
    }
    st.rerun()


def _demo_accounts() -> None:
    st.subheader("Demo accounts")
    st.caption(f"This database holds demo data. Every demo account uses the password `{DEMO_PASSWORD}`.")
    st.table(
        [{"Role": ROLE_LABELS[role], "Email": email} for role, email in DEMO_ACCOUNTS.items()],
    )


def change_password_form(actor: Actor, *, forced: bool = False) -> None:
    """Let people change their own password (required after an admin reset)."""
    if forced:
        st.warning("An admin reset your password. Choose a new one to continue.")
    with st.form("account.password", clear_on_submit=True):
        current = st.text_input("Current password", type="password", autocomplete="current-password")
        new = st.text_input(
            f"New password (at least {auth.MIN_LENGTH} characters)", type="password", autocomplete="new-password"
        )
        again = st.text_input("New password again", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Change password")
    if not submitted:
        return
    if new != again:
        st.error("The two new passwords are different.")
        return
    try:
        refusal = write(auth.change_own_password, actor, current, new)
    except ValidationError as e:
        st.error(str(e.problems[0]).replace("_", " ").capitalize())
        return
    if refusal:
        st.error(refusal)
        return
    epoch = read_fresh(auth.session_epoch, actor.person_id)
    login = st.session_state.get(SESSION_KEY)
    if login:
        login.update(epoch=epoch, must_change=False)
    st.success("Password changed. Your other sessions have been signed out.")


def log_out() -> None:
    """Sign out of this tab (and of single sign-on, if that is how you came in)."""
    st.session_state.pop(SESSION_KEY, None)
    if _sso_identity() is not None:
        st.logout()
