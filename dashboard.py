"""Impact Board: the Streamlit entry point. Run with `streamlit run dashboard.py`.

Works out who is signed in (again on every rerun), draws the navigation for
their role and runs the chosen page. Pages check the role themselves as well.
"""

import streamlit as st

from ui.auth import ROLE_LABELS, current_actor, keep_signed_in, log_out
from ui.navigation import link_pages, pages_for
from ui.resources import SchemaOutOfDate
from ui.widgets import md

# An emoji icon is drawn in the browser; a Material icon would make every visitor's
# browser fetch the tab icon from fonts.gstatic.com.
st.set_page_config(page_title="Impact Board", page_icon="🌱", layout="wide")

try:
    actor = current_actor()
except SchemaOutOfDate as problem:
    st.error(str(problem))
    st.stop()

# Signed out there is nothing for the sidebar; without this a sidebar drawn earlier in the
# session (before signing out, or before single sign-on found no active account) stays open, empty.
st.set_page_config(initial_sidebar_state="collapsed" if actor is None else "auto")
sections = pages_for(actor)
# `client.showSidebarNavigation = false` (which keeps a fresh server's automatic
# `pages/` list out of sight) hides st.navigation's own sidebar menu as well, so
# the menu is drawn here from the same pages, with the same sections.
# The pages a message's link opens are reachable by URL, signed in or not, and are in no menu.
navigation = st.navigation({**sections, "Links": link_pages()}, position="hidden")
if actor is not None:
    with st.sidebar:
        for section, pages in sections.items():
            st.caption(section)
            for page in pages:
                st.page_link(page, width="stretch")
        st.divider()
        st.markdown(f"**{md(actor.name)}**")
        st.caption(ROLE_LABELS[actor.role])
        st.button("Sign out", on_click=log_out, icon=":material/logout:", key="nav.sign_out")
        keep_signed_in()
navigation.run()
