"""Admin: people and teams, challenges, impact factors, accounts, settings, messages, deliveries, the audit log.

Only the open tab runs, so a visit reads only what it shows. Each tab's
drawing lives in the ``ui.admin_*`` modules; every change is
one engagement call, which checks the admin role again.
"""

import streamlit as st

from engagement.vocabulary import Role
from ui import admin_accounts, admin_audit, admin_config, admin_messages, admin_sections, form_state
from ui.auth import require_role

actor = require_role(Role.ADMIN)

TABS = {
    "People": admin_sections.people_tab,
    "Teams": admin_sections.teams_tab,
    "Challenges": admin_config.challenges_tab,
    "Impact factors": admin_config.factors_tab,
    "Accounts": admin_accounts.accounts_tab,
    "Settings": admin_config.settings_tab,
    "Messages": admin_messages.messages_tab,
    "Deliveries": admin_messages.deliveries_tab,
    "Audit log": admin_audit.audit_tab,
}

st.title("Admin")
form_state.show_notices()
for tab, draw in zip(st.tabs(list(TABS), key="admin.tab", on_change="rerun"), TABS.values(), strict=True):
    with tab:
        if tab.open:
            draw(actor)
