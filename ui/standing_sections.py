"""The My standing page's sections: ranks this week and month, running challenges, quick logging, the pulse.

Ranks come from the board everyone shares (read as :data:`ui.resources.VIEWER`),
one ranking per period and process rather than one per person; the month's
and a challenge's are read only when asked for, so the page's reads stay small
however large the organisation.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from engagement import amounts, impact, leaderboards, pulse, results
from engagement.access import Actor
from engagement.amounts import ordinal
from engagement.challenges import ACTIVITY_TYPES
from engagement.leaderboards import Scope, Standing
from engagement.periods import Period
from engagement.vocabulary import Challenge, Kind, Status
from ui import form_state, own_entries
from ui.log_forms import amount_input
from ui.own_entries import repeat_sentence
from ui.resources import VIEWER, read, read_fresh, write
from ui.widgets import attempt, md, org_settings, reset_note, table

QUICK = "standing.log.entry"  # my quick log: its reference, renewed after each save
REPEAT = "standing.log.repeat"  # an entry held until I confirm it is not a repeat
# What the quick log offers before anything is typed: 30 minutes, one tree, 1 kWh (in the stored unit).
QUICK_DEFAULT = {Kind.VOLUNTEERING: amounts.hours_from_minutes(30), Kind.TREES: 1.0, Kind.ENERGY: 1.0}
STATUS_LABELS = {
    Status.PENDING: "Waiting for your lead",
    Status.APPROVED: "Approved",
    Status.REJECTED: "Not approved",
    Status.VOIDED: "Withdrawn",
}


def standing_sentence(s: Standing) -> str:
    """One plain sentence about the team, e.g. "Cedar is 3rd of 8, 4.2 points per member behind Birch"."""
    if s.team is None:
        return "Your team has no ranking yet."
    sentence = f"{md(s.team.team)} is {ordinal(s.team.rank)} of {s.teams_ranked} teams"
    if s.team_above is not None and s.gap_to_team_above is not None:
        sentence += f", {s.gap_to_team_above:,.1f} points per member behind {md(s.team_above.team)}"
    elif s.team.rank == 1:
        sentence += ", at the top"
    return sentence + "."


def show_standing(actor: Actor, label: str, s: Standing) -> None:
    """My points and rank beside my team's place, for the period or challenge named by ``label``."""
    mine, team = st.columns(2)
    if s.me is None:
        mine.metric(f"My points, {label}", "0", help="Log an activity to get on the board.")
    else:
        mine.metric(f"My points, {label}", f"{s.me.points:,.1f}", help=None)
        mine.caption(f"You are {ordinal(s.me.rank)} of {s.people_ranked} people with points.")
    if actor.team_id is None:
        team.caption("You are not on a team, so only your own points show here. Teams are on Leaderboards.")
        return
    if s.team is not None:
        team.metric(f"My team, {label}", f"{ordinal(s.team.rank)} of {s.teams_ranked}")
    team.caption(standing_sentence(s))


def shared_standing(actor: Actor, scope: Scope) -> Standing:
    """My standing from the board everyone shares: one ranking per period and process, not one per person."""
    return read(leaderboards.ranking, VIEWER, scope).standing_of(actor)


def this_week(actor: Actor, week: Period) -> None:
    """This week's points and ranks, shown at once."""
    with st.container(border=True):
        st.subheader(week.label)
        show_standing(actor, "this week", shared_standing(actor, Scope(start=week.start, end=week.end)))
        st.caption(reset_note(week))


def this_month(actor: Actor, month: Period) -> None:
    """This month's points; the ranks only when asked for."""
    with st.container(border=True):
        # Ranking everyone over a whole month is the page's heaviest read, so it waits until asked for.
        st.subheader(month.label)
        if st.toggle("Show my rank and my team's place this month", key="standing.month_rank"):
            show_standing(actor, "this month", shared_standing(actor, Scope(start=month.start, end=month.end)))
        else:
            points = read(leaderboards.my_period_points, actor, month.start, month.end)
            st.metric("My points, this month", f"{points:,.1f}")
        st.caption(reset_note(month))


def running_challenges(actor: Actor, running: list[Challenge]) -> None:
    """Every running challenge at a glance (my points, my team's target), and my rank in one I choose.

    Points and targets come from my own and my team's figures only; ranking
    everyone is done for the one challenge asked about, so the page stays
    quick however large the organisation.
    """
    ids = tuple(c.id for c in running)
    mine = read(leaderboards.my_points, actor, ids)
    team_done = read(impact.team_totals, VIEWER, actor.team_id, ids) if actor.team_id is not None else {}
    for challenge in running:
        with st.container(border=True):
            points = amounts.in_words(challenge.points_per_unit, "points")
            st.markdown(f"**{md(challenge.name)}** · {points} {amounts.per(challenge.unit)}")
            st.metric("My points, this challenge", f"{mine.get(challenge.id, 0.0):,.1f}")
            if challenge.team_target and actor.team_id is not None:
                done, target = team_done.get(challenge.id, 0.0), challenge.team_target
                # The bar stops at full; the words say how far past the target the team went.
                progress = amounts.target_progress(done, target, challenge.unit)
                st.progress(min(done / target, 1.0), text=f"Team target: {progress}")
    names = {c.id: c.name for c in running}
    picked = st.selectbox(
        "See where you and your team stand in a challenge",
        list(names),
        index=None,
        format_func=names.__getitem__,
        placeholder="Choose a challenge",
        key="standing.rank_in",
    )
    if picked is not None:
        with st.container(border=True):
            show_standing(actor, names[picked], shared_standing(actor, Scope(picked)))


def quick_log(actor: Actor, open_challenges: list[Challenge], today: date) -> None:
    """Log one activity for myself; the form's token makes a repeated submit hand back the first entry, not a second."""
    st.subheader("Log my activity")
    if not open_challenges:
        st.caption("There is nothing to log until a challenge starts.")
        return
    by_name = {c.name: c for c in open_challenges}
    name = st.selectbox("Challenge", list(by_name), key="standing.log.challenge")
    challenge = by_name[name]
    with st.form("standing.log", clear_on_submit=True):
        quantity = amount_input(challenge.unit, None, QUICK_DEFAULT[challenge.kind])
        if challenge.kind is Kind.VOLUNTEERING:
            organisation = st.text_input("Organisation (for example Be My Eyes)", max_chars=100)
            activity = st.selectbox("Activity", ACTIVITY_TYPES)
        else:
            organisation, activity = "", None
        last_day = min(today, challenge.ends_on)  # a challenge in its late-entry window ended before today
        day = st.date_input(
            "Day", value=last_day, min_value=challenge.starts_on, max_value=last_day, format="YYYY-MM-DD"
        )
        note = st.text_input("Note (optional)", max_chars=500)
        submitted = st.form_submit_button("Submit", type="primary")
    if submitted and quantity is None:
        st.error(f"Nothing was saved: type how much ({challenge.unit}).")
    elif submitted and quantity is not None:
        entry = results.ResultInput(
            actor.person_id or 0,
            challenge.id,
            quantity,
            day,
            note,
            organisation or None,
            activity,
            ref=form_state.token(QUICK),
        )
        own_entries.hold_if_repeat(actor, entry, REPEAT, repeat_sentence(None, entry, challenge.name, challenge.unit))
        save_mine(actor, entry)
    own_entries.repeat_prompt(REPEAT, lambda held: save_mine(actor, held))


def save_mine(actor: Actor, entry: results.ResultInput) -> None:
    """Store my entry and say where it stands: waiting for my lead, or approved at once."""
    saved = attempt(lambda: write(results.record_result, actor, entry, source="dashboard"))
    if saved is not None:
        form_state.renew(QUICK)
        waiting = saved.status is Status.PENDING
        form_state.tell(
            "Sent to your lead for approval." if waiting else "Saved and approved. Your points are updated."
        )
        st.rerun()


def recent_entries(actor: Actor) -> None:
    """My last entries, with where each stands and the lead's reason when one was not approved."""
    st.subheader("My recent entries")
    entries = read_fresh(results.entries_for_person, actor, actor.person_id or 0, limit=15)
    if not entries:
        st.caption("No entries yet. Log your first activity above.")
        return
    table(
        [
            {
                "Day": e.occurred_on.isoformat(),
                "Challenge": e.challenge,
                "Amount": amounts.in_words(e.quantity, e.unit),
                "Status": STATUS_LABELS[e.status],
                "Lead's note": e.decision_reason or "",
                "Your note": e.note,
            }
            for e in entries
        ],
        # The lead's reason (why an entry was not approved) must be readable without dragging the column wider.
        **{"Lead's note": st.column_config.TextColumn(width="medium")},
    )


def weekly_pulse(actor: Actor) -> None:
    """This week's pulse form for a team member, or thanks once they have answered."""
    st.subheader("This week's pulse")
    if actor.team_id is None:
        st.caption("The weekly pulse is answered by members of a team.")
        return
    if read_fresh(pulse.answered_this_week, actor):
        st.success("Thank you, you have answered this week's pulse. You can answer again next Monday.")
        return
    k = org_settings().anonymity_threshold
    st.caption(f"Anonymous to your managers: they only see groups of {k} or more answers, never yours.")
    with st.form("standing.pulse", clear_on_submit=True):
        score = st.radio(
            "How was your week at work?",
            [1, 2, 3, 4, 5],
            index=None,
            horizontal=True,
            format_func=lambda v: {1: "1 Very bad", 2: "2 Bad", 3: "3 OK", 4: "4 Good", 5: "5 Very good"}[v],
        )
        enps = st.select_slider(
            "How likely are you to recommend working here to a friend? (0 not at all, 10 very likely)",
            options=list(range(11)),
            value=7,
        )
        comment = st.text_area("Anything to add? (optional)", max_chars=2000)
        sent = st.form_submit_button("Send my answer", type="primary")
    if sent:
        if score is None:
            st.error("Choose how your week was (1 to 5).")
        elif attempt(lambda: write(pulse.answer_pulse, actor, int(score), int(enps), comment)) is not None:
            form_state.tell("Thank you. Your answer is saved.")
            st.rerun()


def pulse_history(actor: Actor) -> None:
    """My own past answers, folded away; nobody else sees them."""
    history = read_fresh(pulse.my_history, actor)
    if history:
        with st.expander("My pulse history (only you can see this)"):
            table(
                [
                    {"Week of": h.week.isoformat(), "Score": h.score, "Recommend (0-10)": h.enps, "Comment": h.comment}
                    for h in history
                ]
            )
