"""The Admin page's people and teams tabs, with the roster import (Streamlit only)."""

from __future__ import annotations

import streamlit as st

from engagement import amounts, csvio, imports, organisation
from engagement.access import Actor
from engagement.imports import ImportKind
from engagement.organisation import PeoplePage, PersonInput, PersonRow
from engagement.vocabulary import Role, WorkMode
from ui import form_state
from ui.admin_forms import grid, save, save_edit
from ui.auth import ROLE_LABELS
from ui.resources import get_engine, read_fresh, write
from ui.widgets import attempt, csv_download, md, org_today, required

NEW_TEAM = "A new team…"
NO_TEAM = "No team"
TEAM_SITE = "The team's site"
NO_SITE = "No site"
NEW_SITE = "A new site…"
WORK_MODES = {WorkMode.HOME: "Home", WorkMode.CENTRE: "Contact centre"}
PAGE_SIZE = organisation.PAGE_SIZE
PEOPLE_PAGE = "admin.people.page"  # which page of the people list, from 0 (not a widget: the buttons move it)


def team_choice(label: str, teams: list[str], key: str, *, allow_none: bool = True) -> tuple[str, str]:
    """A team picker: an existing team, or a new team named in the box below it. Read with :func:`chosen_team`."""
    options = ([NO_TEAM] if allow_none else []) + teams + [NEW_TEAM]
    choice = st.selectbox(label, options, key=f"{key}.team")
    new_name = st.text_input("New team's name (only when you chose a new team)", key=f"{key}.new_team", max_chars=100)
    return choice, new_name.strip()


def chosen_team(choice: str, new_name: str) -> tuple[str | None, str | None]:
    """(team name or None for no team, problem or None) from :func:`team_choice`'s answer."""
    if choice == NEW_TEAM:
        return (new_name, None) if new_name else (None, "Type the new team's name, or pick an existing team.")
    if new_name:
        return None, f"You typed a new team's name but picked {choice}: choose “{NEW_TEAM}” or clear the name."
    return (None if choice == NO_TEAM else choice), None


# -- people ------------------------------------------------------------------------


def people_tab(actor: Actor) -> None:
    shown = people_table(actor)
    teams = [t.name for t in read_fresh(organisation.list_teams)]
    sites = read_fresh(organisation.list_sites)
    with st.expander("Add a person", icon=":material/person_add:"):
        add_person(actor, teams, sites)
    st.subheader("Change a person")
    by_id = {p.id: p for p in shown}
    chosen = st.selectbox(
        "Person",
        list(by_id),
        index=None,
        key="admin.person.pick",
        placeholder="Choose someone from the list above",
        format_func=lambda pid: f"{by_id[pid].name} ({by_id[pid].email})" + ("" if by_id[pid].active else ", left"),
        help="Only the people on the list's page above: search to find someone else.",
    )
    if chosen is not None:
        person = by_id[chosen]
        details, move, status = st.tabs(["Details", "Move to another team", "Active or left"])
        with details:
            edit_person(actor, person, sites)
        with move:
            move_person(actor, person, teams)
        with status:
            set_active(actor, person)
    with st.expander("Import a roster (CSV)", icon=":material/upload_file:"):
        import_roster(actor)


def people_table(actor: Actor) -> list[PersonRow]:
    """Search people and show one page of them; return that page (the people the picker offers).

    The search, the count and the paging all run in the database, so the tab
    reads one page of people however large the organisation is.
    """
    search_col, left_col = st.columns([3, 1])
    search = search_col.text_input("Find by name, email or team", key="admin.people.search", on_change=_first_page)
    show_left = left_col.checkbox("Include people who have left", key="admin.people.left", on_change=_first_page)
    found, page = _people_page(actor, search, show_left)
    grid(
        [
            {
                "Name": p.name,
                "Email": p.email,
                "Role": ROLE_LABELS[p.role],
                "Team": p.team or "",
                "Site": p.site or "",
                "Works from": WORK_MODES[p.work_mode],
                "Time zone": p.timezone or "",
                "Status": "Active" if p.active else "Left",
            }
            for p in found.rows
        ]
    )
    _pager(page, found)
    return found.rows


def _people_page(actor: Actor, search: str, show_left: bool) -> tuple[PeoplePage, int]:
    def read_page(page: int) -> PeoplePage:
        offset = page * PAGE_SIZE
        return read_fresh(
            organisation.find_people, actor, search, include_inactive=show_left, limit=PAGE_SIZE, offset=offset
        )

    page = st.session_state.get(PEOPLE_PAGE, 0)
    found = read_page(page)
    if page and not found.rows:  # the list shrank under this page (someone left, or was renamed): show its last page
        page = st.session_state[PEOPLE_PAGE] = max(0, (found.total - 1) // PAGE_SIZE)
        found = read_page(page)
    return found, page


def _pager(page: int, found: PeoplePage) -> None:
    first = page * PAGE_SIZE
    matches = f"{found.total:,} {'person matches' if found.total == 1 else 'people match'}"
    back, where, forward = st.columns([1, 3, 1], vertical_alignment="center")
    back.button(
        "Previous",
        key="admin.people.previous",
        icon=":material/chevron_left:",
        disabled=page == 0,
        on_click=_turn,
        args=(-1,),
        width="stretch",
    )
    shown = f"; showing {first + 1:,}–{first + len(found.rows):,}" if found.total > len(found.rows) else ""
    where.caption(f"{matches}{shown}.")
    forward.button(
        "Next",
        key="admin.people.next",
        icon=":material/chevron_right:",
        disabled=first + PAGE_SIZE >= found.total,
        on_click=_turn,
        args=(1,),
        width="stretch",
    )


def _turn(step: int) -> None:
    st.session_state[PEOPLE_PAGE] = max(0, st.session_state.get(PEOPLE_PAGE, 0) + step)


def _first_page() -> None:
    st.session_state[PEOPLE_PAGE] = 0


def add_person(actor: Actor, teams: list[str], sites: list[str]) -> None:
    base = "admin.add"
    form = form_state.prefix(base)
    with st.form(form):
        email = st.text_input("Email", key=f"{form}.email", max_chars=254)
        name = st.text_input("Full name", key=f"{form}.name", max_chars=100)
        role: Role = required(st.selectbox("Role", list(Role), format_func=ROLE_LABELS.__getitem__, key=f"{form}.role"))
        picked = team_choice("Team (agents and team leads need one)", teams, form)
        site = st.selectbox("Site", [TEAM_SITE, *sites], key=f"{form}.site")
        mode: WorkMode = required(
            st.radio(
                "Works from", list(WorkMode), format_func=WORK_MODES.__getitem__, horizontal=True, key=f"{form}.mode"
            )
        )
        zone = st.text_input("Time zone (optional)", placeholder="e.g. Europe/London", key=f"{form}.zone")
        submitted = st.form_submit_button("Add person", type="primary")
    if not submitted:
        return
    team, problem = chosen_team(*picked)
    if problem:
        st.error(problem)
        return
    data = PersonInput(email, name, role, team, None if site == TEAM_SITE else site, mode, zone or None)
    # Someone added today joins their team today: past boards keep the rosters they had.
    save(
        lambda: write(organisation.add_person, actor, data, since=org_today()),
        f"Added {name.strip()}.",
        clear=base,
        labels={"email": "Email", "name": "Full name", "team": "Team", "timezone": "Time zone"},
    )


def edit_person(actor: Actor, person: PersonRow, sites: list[str]) -> None:
    base = f"admin.person.{person.id}"
    form = form_state.prefix(base)
    version = form_state.seen_version(base, person.version)
    with st.form(f"{form}.form"):
        name = st.text_input("Full name", value=person.name, key=f"{form}.name", max_chars=100)
        role = st.selectbox(
            "Role",
            list(Role),
            index=list(Role).index(person.role),
            format_func=ROLE_LABELS.__getitem__,
            key=f"{form}.role",
        )
        site_options = [TEAM_SITE, *sites]
        site = st.selectbox(
            "Site",
            site_options,
            key=f"{form}.site",
            index=site_options.index(person.site) if person.site in site_options else 0,
        )
        mode = st.radio(
            "Works from",
            list(WorkMode),
            index=list(WorkMode).index(person.work_mode),
            format_func=WORK_MODES.get,
            horizontal=True,
            key=f"{form}.mode",
        )
        zone = st.text_input("Time zone (optional)", value=person.timezone or "", key=f"{form}.zone")
        submitted = st.form_submit_button("Save changes", type="primary")
    st.caption("A change of role applies at the person's next click.")
    if submitted:
        save_edit(
            lambda: write(
                organisation.update_person,
                actor,
                person.id,
                version,
                name=name,
                role=role,
                work_mode=mode,
                timezone=zone,
                site="" if site == TEAM_SITE else site,
            ),
            f"Saved {name.strip()}.",
            base,
            labels={"name": "Full name", "timezone": "Time zone"},
        )


def move_person(actor: Actor, person: PersonRow, teams: list[str]) -> None:
    base = f"admin.move.{person.id}"
    form = form_state.prefix(base)
    st.markdown(f"{md(person.name)} is in **{md(person.team or 'no team')}**.")
    with st.form(form):
        others = [t for t in teams if t != person.team]
        picked = team_choice("Move to", others, form, allow_none=False)
        since = st.date_input(
            "From (results from this day on count for the new team)",
            value=org_today(),
            format="YYYY-MM-DD",
            key=f"{form}.since",
        )
        submitted = st.form_submit_button("Move", type="primary")
    if not submitted:
        return
    team, problem = chosen_team(*picked)
    if problem or team is None:
        st.error(problem or "Choose a team.")
        return
    save(
        lambda: write(organisation.move_person, actor, person.id, team, since),
        f"Moved {person.name} to {team} from {since.isoformat()}.",
        clear=base,
        labels={"team": "Move to"},
    )


def set_active(actor: Actor, person: PersonRow) -> None:
    if person.id == actor.person_id:
        st.caption("You cannot deactivate yourself here; ask another admin.")
        return
    if person.active:
        st.markdown(
            f"Deactivating {md(person.name)} signs them out at their next click and takes them off the boards "
            "and the roster. Their history stays, and you can reactivate them later."
        )
        last_day = st.date_input(
            "Last day (their results up to it can still be imported as history)",
            value=org_today(),
            max_value=org_today(),
            format="YYYY-MM-DD",
            key=f"admin.deactivate.{person.id}.last_day",
        )
        if st.button(f"Deactivate {person.name}", key=f"admin.deactivate.{person.id}", icon=":material/person_off:"):
            save(
                lambda: write(organisation.deactivate_person, actor, person.id, person.version, left_on=last_day),
                f"{person.name} is deactivated.",
            )
    else:
        left = f" (last day {person.left_on.isoformat()})" if person.left_on else ""
        st.markdown(
            f"{md(person.name)} has left{left}. Reactivating lets them sign in and puts them back on the boards."
        )
        if st.button(f"Reactivate {person.name}", key=f"admin.reactivate.{person.id}", icon=":material/person:"):
            save(
                lambda: write(organisation.update_person, actor, person.id, person.version, active=True),
                f"{person.name} is active again.",
            )


def import_roster(actor: Actor) -> None:
    required, optional = imports.COLUMNS[ImportKind.PEOPLE]
    st.markdown(
        f"Columns: {', '.join(required)} (required) and {', '.join(optional)} (optional). Known emails are "
        "updated, new ones added, and new team names create teams. Every row is checked first: if any row is "
        "wrong, nothing is saved and each problem is listed with its row number (the header is row 1)."
    )
    csv_download(
        "Download a template", imports.template(ImportKind.PEOPLE), "people-template.csv", key="admin.import.template"
    )
    upload = st.file_uploader("Roster file", type=["csv", "txt"], key=f"{form_state.prefix('admin.import')}.file")
    if upload is None:
        return
    data = upload.getvalue()
    preview = attempt(lambda: csvio.read_table(data, required, optional))
    if preview is None:
        return
    st.caption(f"{len(preview.rows)} rows in {md(upload.name)}; the first 20:")
    grid([{"Row": number, **row} for number, row in preview.rows[:20]])
    check, go = st.columns(2)
    if check.button("Check the file (saves nothing)", key="admin.import.check"):
        report = attempt(lambda: imports.run_import(get_engine(), actor, ImportKind.PEOPLE, data, dry_run=True))
        if report is not None:
            st.success(
                f"The file is ready to import: {report.created} new, {report.updated} changed, "
                f"{report.unchanged} unchanged. Nothing has been saved yet."
            )
    if go.button("Import", type="primary", key="admin.import.go"):
        with st.spinner("Importing…"):
            report = attempt(lambda: imports.run_import(get_engine(), actor, ImportKind.PEOPLE, data))
        if report is not None:
            st.cache_data.clear()
            form_state.renew("admin.import")
            form_state.tell(
                f"Imported {amounts.count(report.rows, 'rows')}: {report.created} new, "
                f"{report.updated} changed, {report.unchanged} unchanged."
            )
            st.rerun()


# -- teams -------------------------------------------------------------------------


def teams_tab(actor: Actor) -> None:
    teams = read_fresh(organisation.list_teams, include_inactive=True)
    sites = read_fresh(organisation.list_sites)
    grid(
        [
            {
                "Team": t.name,
                "Site": t.site or "",
                "Active members": t.members,
                "Status": "Active" if t.active else "Retired",
            }
            for t in teams
        ]
    )
    st.caption("New teams are made when you add or move someone into them, or by a roster import.")
    by_id = {t.id: t for t in teams}
    chosen = st.selectbox(
        "Team",
        list(by_id),
        index=None,
        key="admin.team.pick",
        placeholder="Choose a team",
        format_func=lambda tid: by_id[tid].name,
    )
    if chosen is None:
        return
    team = by_id[chosen]
    base = f"admin.team.{team.id}"
    form = form_state.prefix(base)
    with st.form(form):
        name = st.text_input("Name", value=team.name, key=f"{form}.name", max_chars=100)
        options = [NO_SITE, *sites, NEW_SITE]
        site = st.selectbox(
            "Site", options, index=options.index(team.site) if team.site in options else 0, key=f"{form}.site"
        )
        new_site = st.text_input("New site's name (only when you chose a new site)", key=f"{form}.new_site")
        submitted = st.form_submit_button("Save team", type="primary")
    if submitted:
        if site == NEW_SITE and not new_site.strip():
            st.error("Type the new site's name, or pick an existing site.")
        else:
            value = new_site if site == NEW_SITE else ("" if site == NO_SITE else site)
            save(
                lambda: write(organisation.rename_team, actor, team.id, name, value),
                f"Saved team {name.strip()}.",
                clear=base,
                labels={"team": "Name", "site": "Site"},
            )
    if team.active:
        st.caption("A team can be retired once nobody active is in it; it then leaves the boards.")
        if st.button(f"Retire {team.name}", key=f"admin.team.retire.{team.id}", icon=":material/archive:"):
            save(lambda: write(organisation.set_team_active, actor, team.id, False), f"{team.name} is retired.")
    elif st.button(f"Bring back {team.name}", key=f"admin.team.restore.{team.id}", icon=":material/unarchive:"):
        save(lambda: write(organisation.set_team_active, actor, team.id, True), f"{team.name} is active again.")
