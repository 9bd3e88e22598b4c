"""The Admin page's audit log tab: who changed what, when, filtered and readable (Streamlit only)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from engagement import audit, challenges, csvio, organisation
from engagement.access import Actor
from ui.resources import read_fresh
from ui.widgets import csv_download, org_settings, org_today

ANY = "Any"
PERSON_ENTITIES = ("person", "account")  # audit entities whose id is a person's


def audit_tab(actor: Actor) -> None:
    facets = read_fresh(audit.audit_facets, actor)
    zone = org_settings().zone
    today = org_today()
    # The date range needs more room than a quarter of the row: its last day was cut off at 1280 px.
    entity_col, action_col, actor_col, dates_col = st.columns([1, 1, 1, 1.5])
    entity = entity_col.selectbox("What", [ANY, *facets.entities], key="admin.audit.entity")
    action = action_col.selectbox("Action", [ANY, *facets.actions], key="admin.audit.action")
    who = actor_col.selectbox("Who", [ANY, *facets.actors], key="admin.audit.actor")
    picked = dates_col.date_input(
        "Between", value=(today - timedelta(days=30), today), format="YYYY-MM-DD", key="admin.audit.dates"
    )
    first, last = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else (today, today)
    rows = read_fresh(
        audit.audit_entries,
        actor,
        entity=None if entity == ANY else entity,
        action=None if action == ANY else action,
        actor_label=None if who == ANY else who,
        since=datetime.combine(first, time.min, zone),
        until=datetime.combine(last + timedelta(days=1), time.min, zone),
    )
    if not rows:
        st.info("No audit entries match these filters.")
        return
    labels = {
        "team_id": {t.id: t.name for t in read_fresh(organisation.list_teams, include_inactive=True)},
        "site_id": read_fresh(organisation.site_names),
    }
    # Name only the people these entries are about: one small query, however many people there are.
    about = [r.entity_id for r in rows if r.entity in PERSON_ENTITIES and r.entity_id is not None]
    people = read_fresh(organisation.person_names, actor, about)
    challenge_names = {c.id: c.name for c in read_fresh(challenges.list_challenges)}
    records = [
        {
            "When": r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "Who": r.actor,
            "Action": r.action,
            "What": _subject(r, people, labels, challenge_names),
            "Changes": audit.describe_change(r.before, r.after, labels),
            "Reason": r.reason or "",
        }
        for r in rows
    ]
    st.caption(
        f"{len(rows)} entries, newest first, times in {zone.key}."
        + (" Only the newest 500 are shown: narrow the filters for older ones." if len(rows) >= 500 else "")
    )
    st.dataframe(
        records,
        hide_index=True,
        width="stretch",
        height=560,
        column_config={"Changes": st.column_config.TextColumn(width="large")},
    )
    csv_download(
        "Download these entries (CSV)",
        csvio.write_csv(records, list(records[0])),
        "audit-log.csv",
        key="admin.audit.download",
    )


def _subject(row: audit.AuditRow, people: dict[int, str], labels: audit.Labels, challenge_names: dict[int, str]) -> str:
    if row.entity_id is None:
        return row.entity
    names = {
        **dict.fromkeys(PERSON_ENTITIES, people),
        "team": labels["team_id"],
        "site": labels["site_id"],
        "challenge": challenge_names,
    }
    name = names.get(row.entity, {}).get(row.entity_id)
    return f"{row.entity} {name}" if name else f"{row.entity} #{row.entity_id}"
