"""Admin's Messages and Deliveries tabs: when the weekly messages go, the defaults, team channels, what went.

Every change is one engagement call that checks the admin role again. The
Deliveries tab lists failed messages with their reason, except reminders,
which it counts only: nobody learns who was reminded.
"""

from __future__ import annotations

from datetime import time

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from engagement import deliveries, periods, preferences, settings, webhooks
from engagement.access import Actor
from engagement.settings import WEEKDAYS, Moment
from ui import form_state
from ui.admin_forms import grid, save
from ui.resources import read, read_fresh, write
from ui.widgets import org_settings

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MOMENTS = {
    "invite_at": "Weekly pulse invitation",
    "remind_at": "One reminder to those who have not answered",
    "digest_at": "Weekly digests",
}
DEFAULT_CHOICES = {**{key: f"On, by {label}" for key, label in preferences.CHANNELS.items()}, preferences.OFF: "Off"}


def time_choice(where: DeltaGenerator, label: str, value: time, key: str) -> time:
    """A time of day in quarter hours, as a list to pick from (the built-in time box's parts are too small to tap)."""
    times = [time(h, m) for h in range(24) for m in (0, 15, 30, 45)]
    if value not in times:
        times = sorted([*times, value])
    return where.selectbox(label, times, index=times.index(value), format_func=lambda t: f"{t:%H:%M}", key=key)


def messages_tab(actor: Actor) -> None:
    st.subheader("When the weekly messages go")
    st.caption("In each person's own time zone (their profile's, else the organisation's).")
    _moments_form(actor)
    st.subheader("Defaults")
    st.caption(
        "What people receive until they choose for themselves on their Account page. "
        "Slack or Teams reaches those who added their own webhook; the rest get email."
    )
    _defaults_form(actor)
    st.subheader("Team channels")
    st.caption(
        "A team's Slack or Teams channel gets the team's weekly place. Nothing personal is ever posted "
        "there: invitations, digests and decisions go to each person."
    )
    team_channels(actor)


def _moments_form(actor: Actor) -> None:
    current = org_settings()
    form = form_state.prefix("admin.moments")
    chosen: dict[str, Moment] = {}
    with st.form(form):
        for key, label in MOMENTS.items():
            moment: Moment = getattr(current, key)
            day_col, time_col = st.columns(2)
            day = day_col.selectbox(
                f"{label}: day",
                range(7),
                index=moment.weekday,
                format_func=DAY_NAMES.__getitem__,
                key=f"{form}.{key}.day",
            )
            at = time_choice(time_col, f"{label}: time", moment.at, f"{form}.{key}.time")
            chosen[key] = Moment(int(day), at)
        submitted = st.form_submit_button("Save times", type="primary")
    if not submitted:
        return
    changes = {key: f"{WEEKDAYS[m.weekday]} {m.at:%H:%M}" for key, m in chosen.items() if m != getattr(current, key)}
    if not changes:
        st.info("Nothing changed.")
        return
    save(lambda: write(settings.update, actor, **changes), "Times saved.", clear="admin.moments", labels=MOMENTS)


def _defaults_form(actor: Actor) -> None:
    current = read_fresh(preferences.defaults)
    form = form_state.prefix("admin.defaults")
    options = list(DEFAULT_CHOICES)
    with st.form(form):
        chosen = {
            kind: st.selectbox(
                label,
                options,
                index=options.index(current[kind]),
                format_func=DEFAULT_CHOICES.__getitem__,
                key=f"{form}.{kind}",
            )
            for kind, label in preferences.KINDS.items()
        }
        submitted = st.form_submit_button("Save defaults", type="primary")
    if not submitted:
        return
    changed = {kind: value for kind, value in chosen.items() if value != current[kind]}
    if not changed:
        st.info("Nothing changed.")
        return
    save(lambda: write(preferences.set_defaults, actor, changed), "Defaults saved.", clear="admin.defaults")


def team_channels(actor: Actor) -> None:
    """The team webhooks the actor may manage (admins: every team; a lead: their own), and a form to add one."""
    hooks = [h for h in read_fresh(preferences.webhook_list, actor) if h.scope == "team"]
    if hooks:
        grid([{"Team": h.owner, "Channel": preferences.CHANNELS[h.channel], "Posts to": h.host} for h in hooks])
        for hook in hooks:
            st.button(
                f"Remove {hook.owner}'s {preferences.CHANNELS[hook.channel]} channel",
                key=f"team_hooks.remove.{hook.id}",
                on_click=_remove_team_hook,
                args=(actor, hook.owner_id, hook.channel),
            )
    else:
        st.caption("No team channel yet.")
    teams = read(preferences.manageable_teams, actor)
    if not teams:
        return
    form = form_state.prefix("team_hooks.add")
    with st.form(form):
        team_id = st.selectbox("Team", list(teams), format_func=teams.__getitem__, key=f"{form}.team")
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
            help="Slack: an incoming webhook (https://hooks.slack.com/services/…). Teams: a Workflows "
            "'post to a channel when a webhook request is received' URL. It is kept secret and shown by host only.",
        )
        submitted = st.form_submit_button("Add the channel", type="primary")
    if submitted:
        save(
            lambda: write(preferences.set_webhook, actor, "team", int(team_id), channel, url, periods.now_utc()),
            "Team channel saved.",
            clear="team_hooks.add",
            labels={"webhook_url": "Webhook URL"},
        )


def _remove_team_hook(actor: Actor, team_id: int, channel: str) -> None:
    write(preferences.remove_webhook, actor, "team", team_id, channel)
    form_state.tell("Team channel removed.")


def deliveries_tab(actor: Actor) -> None:
    now = periods.now_utc()
    seen = read_fresh(deliveries.overview, actor, deliveries.default_since(now))
    st.caption("Messages queued in the last 14 days. `notify` sends them; see the README for cron and systemd.")
    if not seen.kinds:
        st.info("No messages in the last 14 days.")
        return
    grid(
        [
            {
                "Message": k.label,
                "Sent": k.counts["sent"],
                "Waiting": k.counts["pending"] + k.counts["sending"],
                "Failed": k.counts["failed"],
            }
            for k in seen.kinds
        ]
    )
    st.caption("Reminders are counted only: nobody, admins included, can see who was reminded.")
    st.subheader(f"Failed ({seen.failed_total})")
    if not seen.failed:
        st.caption("Nothing failed.")
        return
    grid(
        [
            {
                "Message": deliveries.KIND_LABELS.get(f.kind, f.kind),
                "For": f.to,
                "Channel": f.channel,
                "Tries": f.tries,
                "Reason": f.reason,
                "Queued": f"{f.queued_at:%Y-%m-%d %H:%M} UTC",
            }
            for f in seen.failed
        ]
    )
    if st.button("Try the failed ones again", key="deliveries.retry", type="primary"):
        count = write(deliveries.retry, actor, [f.id for f in seen.failed], periods.now_utc())
        form_state.tell(f"{count} message(s) queued again; the next notify run sends them.")
        st.rerun()
