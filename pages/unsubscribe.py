"""Stop one kind of message from the link at the foot of it, without signing in.

The link is the capability (engagement.preferences.unsubscribe): it turns off
this kind of message for the person it was made for, and nothing else. The
page asks for one click first, so a link scanner or a preview that opens the
page changes nothing; mail programs use the one-click POST instead (RFC 8058).
"""

import streamlit as st

from engagement import periods, preferences
from engagement.capabilities import LinkRefused
from ui.resources import write

DONE_KEY = "unsubscribe.done"

st.title("Stop messages")
token = st.query_params.get("t", "")
if not token:
    st.info("This page stops a kind of message from the link at the foot of it. Open that link.")
    st.stop()
done = st.session_state.get(DONE_KEY)
if done is not None and done[0] == token:
    st.success(f"Done: you will no longer receive “{done[1]}”.")
    st.markdown("You can turn it back on, or choose Slack or Teams instead, on [Account](/account) after signing in.")
    st.stop()
st.markdown("Stop receiving this kind of message from Impact Board? You can turn it back on at any time in Account.")
if st.button("Stop these messages", type="primary", key="unsubscribe.confirm"):
    try:
        stopped = write(preferences.unsubscribe, token, periods.now_utc())
    except LinkRefused as refused:
        st.error(f"{refused.message} Nothing was changed.")
        st.markdown("You can choose which messages you get on [Account](/account) after signing in.")
    else:
        st.session_state[DONE_KEY] = (token, stopped.label)
        st.rerun()
