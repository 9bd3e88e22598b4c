"""The Admin page's challenges, impact factors and settings tabs (Streamlit only)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import available_timezones

import streamlit as st

from engagement import amounts, challenges, impact, settings
from engagement.access import Actor
from engagement.challenges import ChallengeInput
from engagement.impact import FactorInput
from engagement.vocabulary import Challenge, Kind
from ui import form_state
from ui.admin_forms import grid, save, save_edit
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
    form = form_state.prefix(base)
    version = form_state.seen_version(base, challenge.version) if challenge is not None else 0
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
    form = form_state.prefix(base)
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

SCOPES = {False: "Every site without a factor of its own region", True: "Only sites in the factor's region"}


def factors_tab(actor: Actor) -> None:
    factors = read_fresh(impact.list_factors, actor)
    uses = read_fresh(impact.factor_uses, actor)
    st.caption(
        "A factor converts its kind from the first day of a month on, for the sites of its region or as the "
        "default for every other site. Months before keep the factor they had, so past reports do not change."
    )
    if uses:
        st.subheader("Factors in use")
        grid(
            [
                {
                    "Kind": KIND_LABELS[u.kind],
                    "Applies to": u.applies_to,
                    "From": u.since,
                    "Until": u.until or "today and on",
                    "Factor": u.factor.name,
                    "Value": f"{u.factor.value:g} {u.factor.unit}",
                }
                for u in uses
            ]
        )
    if factors:
        for kind in Kind:
            choose_in_use(actor, kind, [f for f in factors if f.kind is kind], uses)
        st.subheader("Every stored factor")
        grid(
            [
                {
                    "Kind": KIND_LABELS[f.kind],
                    "Name": f.name,
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
    else:
        st.info(
            "No impact factors yet. Add a sourced factor below, or run `python -m engagement init` for the defaults."
        )
    with st.expander("Add a sourced factor", icon=":material/add_circle:"):
        add_factor(actor)
    with st.expander("Sites and their regions", icon=":material/public:"):
        site_regions(actor, sorted({f.region for f in factors}))


def choose_in_use(actor: Actor, kind: Kind, of_kind: list[impact.Factor], uses: list[impact.FactorUse]) -> None:
    """Put one factor of ``kind`` in use from a month on; the picker starts on the default in use today."""
    if not of_kind:
        return
    today = org_today()
    base = f"admin.factor.use.{kind.value}"
    form = form_state.prefix(base)  # a new generation after each save: the picker then shows what is really in use
    # What this admin saw when the form was drawn: a choice made against it is refused if another admin changed it.
    seen = form_state.snapshot(base, "seen", lambda: uses)
    by_id = {f.id: f for f in of_kind}
    now = impact.applying(uses, kind, None, today)
    ids = list(by_id)
    with st.form(form):
        st.markdown(f"**{KIND_LABELS[kind]}**: now {md(now.factor.label) if now else 'no factor'}")
        pick, scope, start = st.columns([3, 2, 1], vertical_alignment="bottom")
        chosen: int = required(
            pick.selectbox(
                "Factor",
                ids,
                index=ids.index(now.factor.id) if now and now.factor.id in by_id else 0,
                format_func=lambda fid: by_id[fid].label,
                key=f"{form}.factor",
            )
        )
        regional: bool = required(
            scope.radio("Applies to", list(SCOPES), format_func=SCOPES.__getitem__, key=f"{form}.scope")
        )
        first = start.date_input(
            "From (the 1st of a month)", value=today.replace(day=1), format="YYYY-MM-DD", key=f"{form}.from"
        )
        restate = st.checkbox(
            "Also restate months before this one (changes figures already reported)", key=f"{form}.restate"
        )
        submitted = st.form_submit_button("Use this factor", type="primary")
    if not submitted:
        return
    factor = by_id[chosen]
    region = factor.region if regional else None
    before = next(
        (u for u in seen if u.kind is kind and u.region == (region or "") and u.covers(first)),
        None,
    )
    save_edit(
        lambda: write(
            impact.use_factor,
            actor,
            chosen,
            first,
            today=today,
            regional=regional,
            restate=restate,
            expected_in_use=before.factor.id if before else 0,
        ),
        f"From {first.isoformat()}, {factor.name} converts {kind.value} for "
        f"{('sites in ' + factor.region) if regional else 'every site without its own region factor'}.",
        base,
        labels={"valid_from": "From"},
    )


def add_factor(actor: Actor) -> None:
    base = "admin.factor.new"
    form = form_state.prefix(base)
    with st.form(form):
        kind: Kind = required(st.selectbox("Kind", list(Kind), format_func=KIND_LABELS.__getitem__, key=f"{form}.kind"))
        name = st.text_input("Name (as reports cite it)", placeholder="e.g. UK DESNZ grid 2026", key=f"{form}.name")
        left, right = st.columns(2)
        value = left.number_input("Value", value=None, min_value=0.0, format="%.4f", key=f"{form}.value")
        unit = right.text_input("Unit", placeholder="kg CO2e per kWh, or USD per hour", key=f"{form}.unit")
        region = left.text_input("Region", placeholder="e.g. United Kingdom", key=f"{form}.region")
        year = right.number_input("Year of the data", value=org_today().year, step=1, key=f"{form}.year")
        source = st.text_area("Source (publisher, title, link)", key=f"{form}.source", max_chars=1000)
        submitted = st.form_submit_button("Add factor", type="primary")
    if submitted:
        data = FactorInput(kind, name, value if value is not None else float("nan"), unit, region, int(year), source)
        save(
            lambda: write(impact.add_factor, actor, data),
            f"Added {name.strip()}. Put it in use above, from the month it applies.",
            clear=base,
        )


def site_regions(actor: Actor, known: list[str]) -> None:
    """Which region each site is in: its results are converted with that region's factors, else the default."""
    sites = read_fresh(impact.site_regions, actor)
    if not sites:
        st.caption("No sites yet: they come with the people import.")
        return
    grid([{"Site": s.name, "Region": s.region or "none: default factors"} for s in sites])
    base = "admin.site.region"
    form = form_state.prefix(base)
    by_id = {s.id: s for s in sites}
    with st.form(form):
        left, right = st.columns(2)
        site = left.selectbox("Site", list(by_id), format_func=lambda sid: by_id[sid].name, key=f"{form}.site")
        region = right.selectbox(
            "Region (empty: none)",
            known,
            index=None,
            accept_new_options=True,
            placeholder="e.g. United Kingdom",
            key=f"{form}.region",
        )
        submitted = st.form_submit_button("Save region")
    if submitted:
        save(
            lambda: write(impact.set_site_region, actor, site, region),
            f"{by_id[site].name}: {region or 'no region (default factors)'}.",
            clear=base,
        )


# -- settings ----------------------------------------------------------------------


def settings_tab(actor: Actor) -> None:
    current = org_settings()
    zones = sorted(available_timezones())
    form = form_state.prefix("admin.settings")
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
