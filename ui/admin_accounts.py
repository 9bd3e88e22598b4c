"""The Admin page's accounts tab: built-in logins and password resets (Streamlit only)."""

from __future__ import annotations

import streamlit as st

from engagement import auth
from engagement.access import Actor
from ui import form_state
from ui.admin_forms import grid, save, yes
from ui.auth import ROLE_LABELS
from ui.resources import read_fresh, write
from ui.widgets import md, required

ISSUED = "admin.issued_password"


def accounts_tab(actor: Actor) -> None:
    issued = st.session_state.pop(ISSUED, None)
    if issued:
        name, password = issued
        st.success(
            f"Temporary password for {md(name)}, shown once. Give it to them privately; they choose "
            "their own at their first sign-in."
        )
        st.code(password, language=None)
    accounts = read_fresh(auth.list_accounts, actor)
    grid(
        [
            {
                "Name": a.name,
                "Email": a.email,
                "Role": ROLE_LABELS[a.role],
                "Active": yes(a.active),
                "Built-in login": yes(a.has_password),
                "Must change password": yes(a.must_change),
                "Password set": a.changed_at.strftime("%Y-%m-%d") if a.changed_at else "",
            }
            for a in accounts
        ]
    )
    st.caption("People who sign in with single sign-on need no built-in login.")
    names = {a.person_id: f"{a.name} ({a.email})" for a in accounts}
    without = [a.person_id for a in accounts if a.active and not a.has_password]
    with_login = [a.person_id for a in accounts if a.has_password and a.person_id != actor.person_id]
    create, reset = st.columns(2)
    with create:
        password_form(actor, "admin.account.create", "Give someone a login", without, names, create=True)
    with reset:
        password_form(actor, "admin.account.reset", "Reset a password", with_login, names, create=False)
        st.caption("Your own password is changed on the Account page.")


def password_form(
    actor: Actor, base: str, title: str, people: list[int], names: dict[int, str], *, create: bool
) -> None:
    st.subheader(title)
    form = form_state.prefix(base)
    if not people:
        st.caption("Nobody to choose.")
        return
    with st.form(form):
        person = required(st.selectbox("Person", people, format_func=names.__getitem__, key=f"{form}.person"))
        typed = st.text_input(
            f"Temporary password (at least {auth.MIN_LENGTH} characters; leave empty to make one up)",
            type="password",
            key=f"{form}.password",
            autocomplete="new-password",
        )
        submitted = st.form_submit_button("Create login" if create else "Reset password", type="primary")
    if not submitted:
        return
    password = typed or auth.temporary_password()
    action = auth.create_account if create else auth.set_password
    name = names[person].split(" (")[0]
    st.session_state[ISSUED] = (name, password)
    done = f"{name} can now sign in" if create else f"{name}'s password is reset; they are signed out everywhere"
    save(
        lambda: write(action, actor, person, password),
        f"{done} and must choose a new password.",
        clear=base,
        labels={"password": "Temporary password", "account": "Login"},
    )
    st.session_state.pop(ISSUED, None)  # reached only when the save failed
