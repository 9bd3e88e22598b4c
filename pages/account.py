"""Account: who I am signed in as, which messages I get and where, change my password, sign out."""

import streamlit as st

from engagement import auth
from engagement.vocabulary import Role
from ui import form_state
from ui.account_messages import messages_section
from ui.auth import ROLE_LABELS, change_password_form, log_out, require_role, sign_out_elsewhere, sso_configured
from ui.resources import read_fresh
from ui.widgets import md

actor = require_role(*Role)

st.title("Account")
form_state.show_notices()
st.markdown(f"Signed in as **{md(actor.name)}** ({md(actor.email)}), {ROLE_LABELS[actor.role].lower()}.")
messages_section(actor)
if read_fresh(auth.has_account, actor.person_id or 0):
    st.subheader("Change my password")
    change_password_form(actor)
    st.subheader("Other devices")
    st.caption("You stay signed in on each browser until you sign out there or the session runs out.")
    st.button("Sign out everywhere else", on_click=sign_out_elsewhere, args=(actor,), key="account.sign_out_elsewhere")
elif sso_configured():
    st.caption("You sign in with single sign-on; your password is managed there.")
st.button("Sign out", on_click=log_out, icon=":material/logout:", key="account.sign_out")
