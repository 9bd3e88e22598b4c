"""Answer the pulse from a link in the invitation: the click records the score, then eNPS and a comment.

Opened signed in or not: the link is the capability, for this person's answer
this week and nothing else (engagement.pulse_links), so the guard is the link
itself. Without a valid one the page says why and shows no data. The score is
recorded when the page runs in a browser, once; a rerun of this session shows
the same thanks instead of using the link again.
"""

import streamlit as st

from engagement import periods, pulse_links
from engagement.capabilities import LinkRefused
from ui.resources import write
from ui.widgets import attempt

DONE_KEY = "pulse_answer.done"  # token -> Answered, for this browser session only
FOLLOWED_KEY = "pulse_answer.followed"

st.title("Weekly pulse")
token = st.query_params.get("t", "")
done: dict[str, pulse_links.Answered] = st.session_state.setdefault(DONE_KEY, {})
if not token:
    st.info("This page records a pulse answer from the link in your invitation email. Open one of its links.")
    st.stop()
if token not in done:
    try:
        done[token] = write(pulse_links.answer, token, periods.now_utc())
    except LinkRefused as refused:
        st.error(refused.message)
        st.markdown(
            "Nothing was recorded. You can still answer this week's pulse on "
            "[My standing](/my_standing) after signing in."
        )
        st.stop()
answered = done[token]
label = pulse_links.SCORES[answered.score]
st.success(f"Thank you. Your answer for the week of {answered.week:%d %B %Y} is recorded: {answered.score} – {label}.")
if st.session_state.get(FOLLOWED_KEY) == token:
    st.success("Thank you, that is saved too.")
    st.stop()
st.caption("Two more questions if you have a moment, both optional. Your managers only ever see groups of answers.")
with st.form("pulse_answer.follow_up"):
    enps = st.select_slider(
        "How likely are you to recommend working here to a friend? (0 not at all, 10 very likely)",
        options=list(range(11)),
        value=7,
    )
    comment = st.text_area("Anything to add? (optional)", max_chars=2000)
    sent = st.form_submit_button("Add to my answer", type="primary")
if sent:
    try:
        # follow_up returns nothing: "or True" tells a save from attempt()'s None on bad input.
        saved = attempt(
            lambda: write(pulse_links.follow_up, answered.follow_up, int(enps), comment, periods.now_utc()) or True
        )
    except LinkRefused as refused:
        st.error(f"{refused.message} Your score is kept.")
    else:
        if saved:
            st.session_state[FOLLOWED_KEY] = token
            st.rerun()
