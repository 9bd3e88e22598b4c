"""The Account page's Messages section: which messages I get and where, my quiet hours, my Slack or Teams.

Each change is one engagement call that works on the signed-in person only.
"""

from __future__ import annotations

from datetime import time

import streamlit as st

from engagement import periods, preferences, webhooks
from engagement.access import Actor
from engagement.vocabulary import Role
from ui import admin_messages, form_state
from ui.admin_forms import grid, save
from ui.admin_messages import time_choice
from ui.resources import read_fresh, write


def messages_section(actor: Actor) -> None:
    if actor.person_id is None:
        return
    st.subheader("Messages")
    st.caption(
        "Choose which messages Impact Board sends you and where. Every message also has a link at its foot "
        "to stop that kind."
    )
    hooks = [h for h in read_fresh(preferences.webhook_list, actor) if h.scope == "person"]
    _choices_form(actor, {h.channel for h in hooks})
    st.markdown("**Quiet hours**")
    _quiet_hours_form(actor)
    st.markdown("**My Slack or Teams**")
    _own_webhooks(actor, hooks)
    if actor.role is Role.LEAD:
        st.markdown("**My team's channel**")
        admin_messages.team_channels(actor)


def _choices_form(actor: Actor, have: set[str]) -> None:
    current = read_fresh(preferences.choices, actor)
    channels = ["email", *[c for c in webhooks.CHANNELS if c in have]]
    form = form_state.prefix("account.messages")
    chosen: dict[str, tuple[bool, str]] = {}
    with st.form(form):
        for choice in current:
            on_col, channel_col = st.columns([3, 2])
            enabled = on_col.toggle(choice.label, value=choice.enabled, key=f"{form}.{choice.kind}.on")
            options = channels if choice.channel in channels else [choice.channel, *channels]
            channel = channel_col.selectbox(
                f"{choice.label}: send by",
                options,
                index=options.index(choice.channel),
                format_func=preferences.CHANNELS.__getitem__,
                key=f"{form}.{choice.kind}.channel",
                label_visibility="collapsed",
            )
            chosen[choice.kind] = (enabled, channel)
        submitted = st.form_submit_button("Save my choices", type="primary")
    if len(channels) == 1:
        st.caption("Add your own Slack or Teams webhook below to get messages there instead of by email.")
    if not submitted:
        return
    changed = {c.kind: chosen[c.kind] for c in current if chosen[c.kind] != (c.enabled, c.channel)}
    if not changed:
        st.info("Nothing changed.")
        return
    save(lambda: write(preferences.choose_many, actor, changed), "Your choices are saved.", clear="account.messages")


def _quiet_hours_form(actor: Actor) -> None:
    window = read_fresh(preferences.quiet_hours, actor)
    form = form_state.prefix("account.quiet")
    with st.form(form):
        keep = st.checkbox("Hold messages back during my quiet hours", value=window is not None, key=f"{form}.on")
        start_col, end_col = st.columns(2)
        starts = time_choice(start_col, "Quiet from", window[0] if window else time(20, 0), f"{form}.starts")
        ends = time_choice(end_col, "Until", window[1] if window else time(8, 0), f"{form}.ends")
        submitted = st.form_submit_button("Save quiet hours")
    st.caption("In your own time zone. A message due in your quiet hours waits until they end.")
    if submitted:
        chosen = (starts, ends) if keep else (None, None)
        save(
            lambda: write(preferences.set_quiet_hours, actor, *chosen),
            "Quiet hours saved." if keep else "Quiet hours turned off.",
            clear="account.quiet",
            labels={"quiet_hours": "Quiet hours"},
        )


def _own_webhooks(actor: Actor, hooks: list[preferences.WebhookInfo]) -> None:
    assert actor.person_id is not None
    if hooks:
        grid([{"Channel": preferences.CHANNELS[h.channel], "Posts to": h.host} for h in hooks])
        for hook in hooks:
            st.button(
                f"Remove my {preferences.CHANNELS[hook.channel]} webhook",
                key=f"account.hooks.remove.{hook.channel}",
                on_click=_remove,
                args=(actor, hook.channel),
            )
    form = form_state.prefix("account.hooks")
    with st.form(form):
        channel = st.radio(
            "Channel",
            list(webhooks.CHANNELS),
            format_func=preferences.CHANNELS.__getitem__,
            horizontal=True,
            key=f"{form}.channel",
        )
        url = st.text_input(
            "Webhook URL",
            type="password",
            key=f"{form}.url",
            help="Slack: an incoming webhook to your own direct messages (https://hooks.slack.com/services/…). "
            "Teams: a Workflows 'post to a chat when a webhook request is received' URL. Kept secret.",
        )
        submitted = st.form_submit_button("Save my webhook")
    if submitted:
        save(
            lambda: write(preferences.set_webhook, actor, "person", actor.person_id, channel, url, periods.now_utc()),
            "Your webhook is saved. Choose it for any message above.",
            clear="account.hooks",
            labels={"webhook_url": "Webhook URL"},
        )


def _remove(actor: Actor, channel: str) -> None:
    assert actor.person_id is not None
    write(preferences.remove_webhook, actor, "person", actor.person_id, channel)
    form_state.tell("Your webhook is removed; those messages come by email again.")
