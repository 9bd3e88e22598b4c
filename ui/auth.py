"""Who is using the dashboard, worked out again on every rerun.

Identity comes from single sign-on (``st.user``, when ``[auth]`` is configured)
or from a built-in sign-in: a server-side session (:mod:`engagement.sessions`)
whose random token the browser keeps in a cookie (:mod:`ui.session_cookie`),
so a reload or a new tab stays signed in until the session expires or is
ended. Never from a widget, the URL or a header. Either way the person and
their session are looked up in the database on every rerun, so signing out,
a deactivation, role change or password reset takes effect at the next click,
in every tab and on every device.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from engagement import auth, sessions, settings
from engagement.access import Actor, actor_for_email
from engagement.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from engagement.errors import ValidationError
from engagement.vocabulary import Role
from ui import form_state, session_cookie
from ui.resources import note, read_fresh, write
from ui.widgets import md

SESSION_KEY = "ib.auth"
# Set once this tab has tried the token its browser sent on connecting, so it is tried only once.
COOKIE_TRIED = "ib.cookie_tried"
# A token this tab knows is over, for the sign-in page to take out of the browser.
FORGET = "ib.forget"
ENDED = "Your session has ended. Please sign in again."
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
    """The signed-in, active person, or None."""
    sso = _sso_identity()
    if sso is not None:
        return None if sso.refusal else read_fresh(actor_for_email, sso.email)
    login = st.session_state.get(SESSION_KEY)
    if login:
        token = login["token"]
    elif not st.session_state.get(COOKIE_TRIED):
        st.session_state[COOKIE_TRIED] = True
        token = session_cookie.browser_token()
    else:
        return None
    if not token:
        return None
    resumed = read_fresh(sessions.resume, token)
    if resumed is None:
        _forget(token)
        return None
    if resumed.seen_due:
        note(sessions.seen, token)
    st.session_state[SESSION_KEY] = _login(token, resumed.expires_at, resumed.must_change)
    return resumed.actor


def _login(token: str, expires_at: datetime | None, must_change: bool) -> dict[str, object]:
    return {"token": token, "expires_at": expires_at, "must_change": must_change}


def _forget(token: str) -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[FORGET] = token
    form_state.tell(ENDED, "info")


def keep_signed_in() -> None:
    """Have the browser keep this tab's built-in sign-in (drawn on every signed-in page, in the sidebar)."""
    login = st.session_state.get(SESSION_KEY)
    if login and login["expires_at"] is not None:
        session_cookie.keep(login["token"], login["expires_at"])


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
    form_state.show_notices()
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
    ended = st.session_state.get(FORGET)
    if ended:
        session_cookie.forget(ended)


def _log_in(email: str, password: str) -> None:
    result = write(auth.log_in, email, password)
    if result.actor is None:
        st.error(result.message)
        return
    st.session_state[SESSION_KEY] = _login(result.token, result.expires_at, result.must_change)
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
    login = st.session_state.get(SESSION_KEY)
    try:
        refusal = write(auth.change_own_password, actor, current, new, keep_token=login["token"] if login else None)
    except ValidationError as e:
        st.error(str(e.problems[0]).replace("_", " ").capitalize())
        return
    if refusal:
        st.error(refusal)
        return
    if login:
        login["must_change"] = False
    st.success("Password changed. Your other sessions have been signed out.")


def sign_out_elsewhere(actor: Actor) -> None:
    """End the person's other built-in sessions (a lost phone, a shared computer left signed in); keep this one."""
    login = st.session_state.get(SESSION_KEY)
    if not login or actor.person_id is None:
        return
    ended = write(sessions.end_all, actor.person_id, sessions.EndReason.SIGNED_OUT, keep=login["token"])
    form_state.tell(f"Signed out of {ended} other session{'' if ended == 1 else 's'}.", "success")


def log_out() -> None:
    """Sign out: end the session on the server (every tab holding it is out at its next click), drop the cookie.

    With single sign-on, sign out of Streamlit's identity cookie in this browser.
    """
    login = st.session_state.pop(SESSION_KEY, None)
    if login:
        write(sessions.end, login["token"])
        st.session_state[FORGET] = login["token"]
    if _sso_identity() is not None:
        st.logout()
