"""The Admin page's challenges, impact factors and settings tabs (Streamlit only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from zoneinfo import available_timezones

import streamlit as st

from engagement import amounts, challenges, impact, settings
from engagement.access import Actor
from engagement.challenges import ChallengeInput
from engagement.impact import FactorInput
from engagement.vocabulary import Challenge, Kind
from ui.admin_forms import fresh, grid, save, save_edit, seen_version, yes
from ui.resources import read_fresh, write
from ui.widgets import md, org_settings, org_today, required

KIND_LABELS = {
    Kind.ENERGY: "Home energy (kWh saved)",
    Kind.TREES: "Tree planting (trees)",
    Kind.VOLUNTEERING: "Virtual volunteering (hours)",
}
PHASES = {
    challenges.Phase.RUNNING: "Running",
    challenges.Phase.UPCOMING: "Not started",
    challenges.Phase.ENDED: "Ended",
}
CHALLENGE_LABELS = {
    "slug": "Short name",
    "name": "Name",
    "points_per_unit": "Points per unit",
    "daily_cap": "Daily cap",
    "team_target": "Team target",
    "auto_approve_up_to": "Auto-approve up to",
    "ends_on": "Ends on",
    "unit": "Unit",
    "description": "Description",
}


# -- challenges --------------------------------------------------------------------


def challenges_tab(actor: Actor) -> None:
    today = org_today()
    rows = read_fresh(challenges.list_challenges)
    if rows:
        grid(
            [
                {
                    "Name": c.name,
                    "Short name": c.slug,
                    "Status": PHASES[challenges.phase_on(c, today)],
                    "Window": f"{c.starts_on.isoformat()} to {c.ends_on.isoformat()}",
                    "Points": f"{amounts.number(c.points_per_unit)} {amounts.per(c.unit)}",
                    "Daily cap": amount(c.daily_cap, c.unit),
                    "Team target": amount(c.team_target, c.unit),
                    "Auto-approved up to": amount(c.auto_approve_up_to, c.unit),
                }
                for c in rows
            ]
        )
    else:
        st.info("No challenges yet. Create the first one below; people can log activity once it starts.")
    with st.expander("Create a challenge", icon=":material/add_circle:"):
        challenge_form(actor, None, today)
    by_id = {c.id: c for c in rows}
    chosen = st.selectbox(
        "Change a challenge",
        list(by_id),
        index=None,
        key="admin.challenge.pick",
        placeholder="Choose a challenge",
        format_func=lambda cid: by_id[cid].name,
    )
    if chosen is not None:
        challenge_form(actor, by_id[chosen], today)
        close_form(actor, by_id[chosen], today)


def amount(value: float | None, unit: str) -> str | None:
    """E.g. "20 trees", "1 hour"; None (shown as a dash) when there is no limit."""
    return None if value is None else amounts.in_words(value, unit)


def challenge_form(actor: Actor, challenge: Challenge | None, today: date) -> None:
    """Create (``challenge`` None) or edit a challenge; optional numbers left empty mean "no limit"."""
    base = "admin.challenge.new" if challenge is None else f"admin.challenge.{challenge.id}"
    form = fresh(base)
    version = seen_version(base, challenge.version) if challenge is not None else 0
    with st.form(form):
        if challenge is None:
            slug = st.text_input("Short name (letters, digits and hyphens, e.g. home-energy-2027)", key=f"{form}.slug")
            kind: Kind = required(
                st.selectbox("Kind", list(Kind), format_func=KIND_LABELS.__getitem__, key=f"{form}.kind")
            )
        else:
            slug, kind = challenge.slug, challenge.kind
            st.markdown(f"**{md(challenge.slug)}**, {KIND_LABELS[challenge.kind].lower()}")
        name = st.text_input("Name", value=challenge.name if challenge else "", key=f"{form}.name", max_chars=100)
        unit = f"{challenge.unit}" if challenge else "the kind's unit: kWh, trees or hours"
        left, right = st.columns(2)
        starts = left.date_input(
            "Starts on", value=challenge.starts_on if challenge else today, format="YYYY-MM-DD", key=f"{form}.starts"
        )
        ends = right.date_input(
            "Ends on (both days count)",
            value=challenge.ends_on if challenge else today + timedelta(days=27),
            format="YYYY-MM-DD",
            key=f"{form}.ends",
        )
        points = left.number_input(
            f"Points {amounts.per(challenge.unit)}" if challenge else "Points per unit (kWh, tree or hour)",
            value=challenge.points_per_unit if challenge else 1.0,
            step=0.5,
            key=f"{form}.points",
        )
        cap = right.number_input(
            f"Daily cap per person, in {unit} (empty: none)",
            value=challenge.daily_cap if challenge else None,
            key=f"{form}.cap",
        )
        target = left.number_input(
            f"Team target, in {unit} (empty: none)",
            value=challenge.team_target if challenge else None,
            key=f"{form}.target",
        )
        auto = right.number_input(
            f"Approve entries up to this many {unit} at once (empty: leads approve all)",
            value=challenge.auto_approve_up_to if challenge else None,
            key=f"{form}.auto",
        )
        description = st.text_area(
            "Description and rules",
            value=challenge.description if challenge else "",
            key=f"{form}.description",
            max_chars=2000,
        )
        submitted = st.form_submit_button("Create challenge" if challenge is None else "Save changes", type="primary")
    if not submitted:
        return
    data = ChallengeInput(slug, name, kind, points, starts, ends, None, cap, target, auto, description)
    if challenge is None:
        save(
            lambda: write(challenges.create_challenge, actor, data),
            f"Created {name.strip()}.",
            clear=base,
            labels=CHALLENGE_LABELS,
        )
    else:
        save_edit(
            lambda: write(challenges.update_challenge, actor, challenge.id, version, data),
            f"Saved {name.strip()}.",
            base,
            labels=CHALLENGE_LABELS,
        )


def close_form(actor: Actor, challenge: Challenge, today: date) -> None:
    base = f"admin.close.{challenge.id}"
    form = fresh(base)
    with st.form(form):
        st.markdown("**End early.** Nothing after this day can be logged; what was logged stays.")
        on = st.date_input("Last day", value=min(today, challenge.ends_on), format="YYYY-MM-DD", key=f"{form}.on")
        submitted = st.form_submit_button("Close challenge")
    if submitted:
        save(
            lambda: write(challenges.close_challenge, actor, challenge.id, on),
            f"{challenge.name} now ends on {on.isoformat()}.",
            clear=base,
            labels={"ends_on": "Last day"},
        )


# -- impact factors ----------------------------------------------------------------


def factors_tab(actor: Actor) -> None:
    factors = read_fresh(impact.list_factors, actor)
    st.caption("The impact report converts kWh, trees and hours with the factor in use for each kind.")
    if factors:
        grid(
            [
                {
                    "Kind": KIND_LABELS[f.kind],
                    "In use": yes(f.in_use),
                    "Value": f.value,
                    "Unit": f.unit,
                    "Region": f.region,
                    "Year": f.year,
                    "Source": f.source,
                }
                for f in factors
            ],
            Source=st.column_config.TextColumn(width="large"),
        )
        choose_in_use(actor, factors)
    else:
        st.info(
            "No impact factors yet. Add a sourced factor below, or run `python -m engagement init` for the defaults."
        )
    with st.expander("Add a sourced factor", icon=":material/add_circle:"):
        add_factor(actor)


def choose_in_use(actor: Actor, factors: list[impact.Factor]) -> None:
    st.subheader("Choose the factor in use")
    for kind in Kind:
        of_kind = {f.id: f for f in factors if f.kind is kind}
        if not of_kind:
            continue
        current = next((i for i, f in enumerate(of_kind.values()) if f.in_use), 0)
        form = f"admin.factor.use.{kind.value}"
        # The factor in use when this admin first saw the list: switching refuses if another admin changed it.
        seen = seen_version(form, next((f.id for f in of_kind.values() if f.in_use), 0)) or None
        pick, button = st.columns([4, 1], vertical_alignment="bottom")
        chosen: int = required(
            pick.selectbox(
                KIND_LABELS[kind],
                list(of_kind),
                index=current,
                key=f"admin.factor.use.{kind.value}",
                format_func=_labels(of_kind),
            )
        )
        if button.button("Use", key=f"admin.factor.use.{kind.value}.go", disabled=of_kind[chosen].in_use):
            save_edit(
                partial(write, impact.use_factor, actor, chosen, expected_in_use=seen),
                f"The impact report now uses {of_kind[chosen].value:g} {of_kind[chosen].unit}.",
                form,
            )


def _labels(factors: dict[int, impact.Factor]) -> Callable[[int], str]:
    return lambda fid: f"{factors[fid].value:g} {factors[fid].unit}, {factors[fid].region} {factors[fid].year}"


def add_factor(actor: Actor) -> None:
    base = "admin.factor.new"
    form = fresh(base)
    with st.form(form):
        kind: Kind = required(st.selectbox("Kind", list(Kind), format_func=KIND_LABELS.__getitem__, key=f"{form}.kind"))
        left, right = st.columns(2)
        value = left.number_input("Value", value=None, min_value=0.0, format="%.4f", key=f"{form}.value")
        unit = right.text_input("Unit", placeholder=" or ".join(impact.FACTOR_UNITS.values()), key=f"{form}.unit")
        region = left.text_input("Region", placeholder="e.g. United Kingdom", key=f"{form}.region")
        year = right.number_input("Year of the data", value=org_today().year, step=1, key=f"{form}.year")
        source = st.text_area("Source (publisher, title, link)", key=f"{form}.source", max_chars=1000)
        use = st.checkbox("Use this factor from now on", key=f"{form}.use")
        submitted = st.form_submit_button("Add factor", type="primary")
    if submitted:
        data = FactorInput(kind, value if value is not None else float("nan"), unit, region, int(year), source)
        save(lambda: write(impact.add_factor, actor, data, use=use), "Factor added.", clear=base)


# -- settings ----------------------------------------------------------------------


def settings_tab(actor: Actor) -> None:
    current = org_settings()
    zones = sorted(available_timezones())
    form = fresh("admin.settings")
    with st.form(form):
        zone = st.selectbox(
            "Organisation time zone",
            zones,
            index=zones.index(current.timezone) if current.timezone in zones else 0,
            key=f"{form}.zone",
            help="Weeks run Monday to Sunday in this time zone; boards reset at its midnight.",
        )
        threshold = st.number_input(
            "Anonymity threshold",
            value=current.anonymity_threshold,
            min_value=1,
            max_value=settings.MAX_THRESHOLD,
            step=1,
            key=f"{form}.threshold",
            help=f"Morale is shown only for groups with at least this many answers; never below "
            f"{settings.MIN_THRESHOLD}.",
        )
        hours = st.number_input(
            "Stay signed in for (hours)",
            value=current.session_hours,
            min_value=1,
            max_value=settings.MAX_SESSION_HOURS,
            step=1,
            key=f"{form}.session_hours",
            help="A built-in sign-in lasts this long across reloads and new tabs; applies to sign-ins from now on.",
        )
        submitted = st.form_submit_button("Save settings", type="primary")
    st.caption(
        f"Morale figures are shown only for groups of {current.anonymity_threshold} or more answers. A "
        f"higher number protects people better; {settings.MIN_THRESHOLD} is the least allowed."
    )
    if not submitted:
        return
    changes: dict[str, object] = {}
    if zone != current.timezone:
        changes["timezone"] = zone
    if int(threshold) != current.anonymity_threshold:
        changes["anonymity_threshold"] = int(threshold)
    if int(hours) != current.session_hours:
        changes["session_hours"] = int(hours)
    if not changes:
        st.info("Nothing changed.")
        return
    save(
        lambda: write(settings.update, actor, **changes),
        "Settings saved.",
        clear="admin.settings",
        labels={
            "timezone": "Time zone",
            "anonymity_threshold": "Anonymity threshold",
            "session_hours": "Stay signed in for",
        },
    )
