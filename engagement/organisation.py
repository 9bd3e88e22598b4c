"""Sites, teams, people and who was in which team when.

A person's team history decides which team a result credits: the team they
belonged to on the day of the activity. Moving someone (even back-dated)
rewrites that credit for their results from the move onwards, in the same
transaction, so boards never mix the old and new answer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, SQLColumnExpression, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from db import search as db_search
from db.models import Membership, Person, Result, Role, Site, Team, WorkMode
from engagement import audit, periods, sessions, settings, text
from engagement.access import Actor, normalise_email, require, require_team
from engagement.errors import Conflict, NotFound, Problem, ValidationError

EMAIL_MAX = 254
PAGE_SIZE = 50
PAGE_MAX = 500  # one page of a people search at most: enough for any screen, bounded at any size


@dataclass(frozen=True)
class PersonInput:
    """What an admin (or a roster import) says about a person."""

    email: str
    name: str
    role: Role
    team: str | None = None
    site: str | None = None
    work_mode: WorkMode = WorkMode.HOME
    timezone: str | None = None
    active: bool = True
    left_on: date | None = None  # the last day of someone who has left (only with active=False)


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    site: str | None
    active: bool
    members: int


@dataclass(frozen=True)
class PersonRow:
    id: int
    email: str
    name: str
    role: Role
    team: str | None
    site: str | None
    work_mode: WorkMode
    timezone: str | None
    active: bool
    version: int
    left_on: date | None = None  # the last day of someone who has left


@dataclass(frozen=True)
class PeoplePage:
    """One page of a people search, and how many people match it in all."""

    rows: list[PersonRow]
    total: int


# -- validation -------------------------------------------------------------------


def validate_email(value: str, field: str = "email") -> str:
    email = normalise_email(value)
    local, _, domain = email.partition("@")
    if not email:
        raise text.TextProblem(Problem(field, "is required"))
    if len(email) > EMAIL_MAX or not local or "." not in domain or any(c.isspace() for c in email):
        raise text.TextProblem(Problem(field, f"{value.strip()!r} is not an email address"))
    return email


def validate_timezone(value: str | None, field: str = "timezone") -> str | None:
    if value is None or not value.strip():
        return None
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        message = f"unknown time zone {value.strip()!r} (use e.g. Europe/London)"
        raise text.TextProblem(Problem(field, message)) from None
    return value.strip()


def check_person(data: PersonInput) -> list[Problem]:
    """Every problem with ``data`` on its own (not yet against the database)."""
    problems: list[Problem] = []
    checks: tuple[Callable[[], object], ...] = (
        lambda: validate_email(data.email),
        lambda: text.clean(data.name, "name", text.NAME_MAX) or _required("name"),
        lambda: validate_timezone(data.timezone),
        lambda: data.team and text.clean(data.team, "team", text.NAME_MAX),
        lambda: data.site and text.clean(data.site, "site", text.NAME_MAX),
    )
    for check in checks:
        try:
            check()
        except text.TextProblem as e:
            problems.append(e.problem)
    if data.role in (Role.AGENT, Role.LEAD) and not (data.team or "").strip():
        article = "an" if data.role is Role.AGENT else "a"
        problems.append(Problem("team", f"is required for {article} {data.role.value}"))
    if data.left_on is not None and data.active:
        problems.append(Problem("left_on", "is only for someone who has left (active: no)"))
    return problems


def _required(field: str) -> str:
    raise text.TextProblem(Problem(field, "is required"))


# -- lookups ----------------------------------------------------------------------


def find_team(session: Session, name: str) -> Team | None:
    """The team called ``name``, ignoring case, spacing and how its accents were typed.

    Names are stored in NFC (:func:`engagement.text.clean`); "e" + U+0301 typed in a
    file must find "é", or the new team it would create collides with the stored one.
    """
    wanted = unicodedata.normalize("NFC", " ".join(name.split())).casefold()
    for team in session.scalars(select(Team)):
        if unicodedata.normalize("NFC", team.name).casefold() == wanted:
            return team
    return None


def resolve_team(session: Session, actor: Actor, name: str, site: Site | None) -> Team:
    """The existing team called ``name``, or a new one (admins only); refuse a look-alike of another team."""
    require(actor, Role.ADMIN)
    team = find_team(session, name)
    if team is not None:
        return team
    clean_name = text.clean(name, "team", text.NAME_MAX)
    similar = text.look_alike(clean_name, session.scalars(select(Team.name)))
    if similar is not None:
        message = f"{clean_name!r} looks like the existing team {similar!r}; use that name"
        raise text.TextProblem(Problem("team", message))
    team = Team(name=clean_name, site=site, active=True)
    session.add(team)
    session.flush()
    audit.record(session, actor, "team.create", "team", team.id, None, audit.snapshot(team))
    return team


def resolve_site(session: Session, actor: Actor, name: str) -> Site:
    """The existing site called ``name`` (ignoring case), or a new one (admins only)."""
    require(actor, Role.ADMIN)
    clean_name = text.clean(name, "site", text.NAME_MAX)  # NFC, as stored names are
    existing = list(session.scalars(select(Site)))
    for site in existing:
        if unicodedata.normalize("NFC", site.name).casefold() == clean_name.casefold():
            return site
    similar = text.look_alike(clean_name, [s.name for s in existing])
    if similar is not None:
        message = f"{clean_name!r} looks like the existing site {similar!r}; use that name"
        raise text.TextProblem(Problem("site", message))
    site = Site(name=clean_name)
    session.add(site)
    session.flush()
    audit.record(session, actor, "site.create", "site", site.id, None, audit.snapshot(site))
    return site


def team_on(session: Session, person_id: int, day: date) -> int | None:
    """The team ``person_id`` belonged to on ``day`` (None if in no team then)."""
    return session.scalar(
        select(Membership.team_id).where(
            Membership.person_id == person_id,
            Membership.valid_from <= day,
            or_(Membership.valid_to.is_(None), Membership.valid_to > day),
        )
    )


def teams_on(session: Session, pairs: Iterable[tuple[int, date]]) -> dict[tuple[int, date], int | None]:
    """:func:`team_on` for many (person, day) pairs with one query."""
    wanted = set(pairs)
    people = {person_id for person_id, _ in wanted}
    history: dict[int, list[Membership]] = {}
    for start in range(0, len(people), 500):
        chunk = list(people)[start : start + 500]
        for m in session.scalars(select(Membership).where(Membership.person_id.in_(chunk))):
            history.setdefault(m.person_id, []).append(m)
    out: dict[tuple[int, date], int | None] = {}
    for person_id, day in wanted:
        out[(person_id, day)] = next(
            (
                m.team_id
                for m in history.get(person_id, [])
                if m.valid_from <= day and (m.valid_to is None or m.valid_to > day)
            ),
            None,
        )
    return out


def person_by_email(session: Session, email: str) -> Person:
    person = session.scalar(select(Person).where(Person.email == normalise_email(email)))
    if person is None:
        raise NotFound(f"no person with email {email.strip()!r}")
    return person


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    return person


# -- reading ----------------------------------------------------------------------


def site_id(session: Session, name: str) -> int:
    """The id of the site called ``name`` (ignoring case)."""
    found = session.scalar(select(Site.id).where(func.lower(Site.name) == name.strip().lower()))
    if found is None:
        raise NotFound(f"no site called {name!r}")
    return found


def list_sites(session: Session) -> list[str]:
    return list(session.scalars(select(Site.name).order_by(Site.name)))


def list_teams(session: Session, *, include_inactive: bool = False) -> list[TeamRow]:
    """Teams with their site and number of active members; anyone may read this."""
    members = (
        select(Person.team_id, func.count().label("n"))
        .where(Person.active, Person.team_id.is_not(None))
        .group_by(Person.team_id)
        .subquery()
    )
    query = (
        select(Team.id, Team.name, Site.name, Team.active, func.coalesce(members.c.n, 0))
        .outerjoin(Site, Site.id == Team.site_id)
        .outerjoin(members, members.c.team_id == Team.id)
        .order_by(Team.name)
    )
    if not include_inactive:
        query = query.where(Team.active)
    return [TeamRow(*row) for row in session.execute(query)]


def list_people(
    session: Session, actor: Actor, *, team_id: int | None = None, include_inactive: bool = False
) -> list[PersonRow]:
    """People with their details: admins see everyone, leads their own team (a roster, not a search)."""
    if actor.role is not Role.ADMIN:
        require_team(actor, team_id)
    query = _people_query()
    if team_id is not None:
        query = query.where(Person.team_id == team_id)
    if not include_inactive:
        query = query.where(Person.active)
    return [PersonRow(*row) for row in session.execute(query)]


def find_people(
    session: Session,
    actor: Actor,
    search: str = "",
    *,
    include_inactive: bool = False,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> PeoplePage:
    """One page of the people whose name, email or team contains ``search`` (any case), by name; admins only.

    ``%`` and ``_`` in ``search`` match themselves. The page is ``limit`` people
    from ``offset`` (at most :data:`PAGE_MAX`), with how many match in all, so
    the work is the same whether the organisation has fifty people or fifty thousand.
    """
    require(actor, Role.ADMIN)
    if not 1 <= limit <= PAGE_MAX or offset < 0:
        raise ValueError(f"a page is 1 to {PAGE_MAX} people from an offset of 0 or more (got {limit} from {offset})")
    where: list[SQLColumnExpression[bool]] = [] if include_inactive else [Person.active]
    if search.strip():
        like = db_search.pattern(search)
        teams = select(Team.id).where(db_search.contains(Team.name, like))
        where.append(
            or_(
                db_search.contains(Person.name, like),
                # Emails are stored lower-cased, so they need no folding (a full scan less on SQLite).
                db_search.contains(Person.email, like, fold=False),
                Person.team_id.in_(teams),
            )
        )
    total = session.scalar(select(func.count()).select_from(Person).where(*where)) or 0
    rows = session.execute(_people_query().where(*where).limit(limit).offset(offset))
    return PeoplePage([PersonRow(*row) for row in rows], total)


def person_names(session: Session, actor: Actor, person_ids: Iterable[int]) -> dict[int, str]:
    """The names of just these people, by id (admins only: the audit log names whom each entry is about)."""
    require(actor, Role.ADMIN)
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    return {pid: name for pid, name in session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))}


def _people_query() -> Select[*tuple[Any, ...]]:
    """Every :class:`PersonRow` column, people ordered by name (columns, not entities: no eager loads)."""
    return (
        select(
            Person.id,
            Person.email,
            Person.name,
            Person.role,
            Team.name,
            Site.name,
            Person.work_mode,
            Person.timezone,
            Person.active,
            Person.version,
            Person.left_on,
        )
        .outerjoin(Team, Team.id == Person.team_id)
        .outerjoin(Site, Site.id == func.coalesce(Person.site_id, Team.site_id))
        .order_by(Person.name, Person.email)
    )


# -- changing ---------------------------------------------------------------------


def add_person(session: Session, actor: Actor, data: PersonInput, *, since: date = periods.EARLIEST) -> Person:
    """Create a person (admins only). Their team history starts ``since``."""
    require(actor, Role.ADMIN)
    problems = check_person(data)
    if problems:
        raise ValidationError(problems)
    email = validate_email(data.email)
    if session.scalar(select(Person.id).where(Person.email == email)) is not None:
        raise ValidationError.single("email", f"{email} already belongs to someone")
    try:
        site = resolve_site(session, actor, data.site) if data.site and data.site.strip() else None
        team = resolve_team(session, actor, data.team, site) if data.team and data.team.strip() else None
    except text.TextProblem as e:
        raise ValidationError([e.problem]) from None
    person = Person(
        email=email,
        name=text.clean(data.name, "name", text.NAME_MAX),
        role=data.role,
        team=team,
        site=site if site is not None else (team.site if team else None),
        work_mode=data.work_mode,
        timezone=validate_timezone(data.timezone),
        active=data.active,
        left_on=None if data.active else data.left_on,
    )
    session.add(person)
    session.flush()
    if team is not None:
        session.add(Membership(person_id=person.id, team_id=team.id, valid_from=since))
    audit.record(session, actor, "person.create", "person", person.id, None, audit.snapshot(person))
    return person


def update_person(
    session: Session,
    actor: Actor,
    person_id: int,
    expected_version: int,
    *,
    name: str | None = None,
    role: Role | None = None,
    work_mode: WorkMode | None = None,
    timezone: str | None = None,
    site: str | None = None,
    active: bool | None = None,
    left_on: date | None = None,
) -> Person:
    """Edit a person's details (admins only). Team changes go through :func:`move_person`.

    ``expected_version`` is the version the editor saw; a newer one means someone
    else saved first, and this save is refused instead of overwriting theirs.
    Deactivating records ``left_on`` as their last day (default: today in the
    organisation's zone); it can be corrected while they stay inactive, and
    reactivating clears it. Results up to that day import as their history.
    """
    require(actor, Role.ADMIN)
    person = get_person(session, person_id)
    if person.version != expected_version:
        raise Conflict(f"{person.name} was changed by someone else since you opened it; reload and try again")
    before = audit.snapshot(person)
    try:
        if name is not None:
            person.name = text.clean(name, "name", text.NAME_MAX) or _required("name")
        if timezone is not None:
            person.timezone = validate_timezone(timezone)
        if site is not None:
            person.site = resolve_site(session, actor, site) if site.strip() else None
    except text.TextProblem as e:
        raise ValidationError([e.problem]) from None
    if role is not None:
        if role in (Role.AGENT, Role.LEAD) and person.team_id is None:
            raise ValidationError.single("role", f"a {role.value} needs a team; move them to one first")
        _keep_an_admin(session, person, role if active is not False else None)
        person.role = role
    if active is not None:
        if not active:
            _keep_an_admin(session, person, None)
        person.active = active
    _record_leaving(session, person, before["active"], left_on)
    if work_mode is not None:
        person.work_mode = work_mode
    session.flush()
    after = audit.snapshot(person)
    if after != before:
        deactivated = before["active"] and not after["active"]
        if deactivated:  # signed in on any device: out at the next click
            sessions.end_all(session, person.id, sessions.EndReason.DEACTIVATED)
        action = "person.deactivate" if deactivated else "person.update"
        audit.record(session, actor, action, "person", person.id, before, after)
    return person


def _record_leaving(session: Session, person: Person, was_active: bool, left_on: date | None) -> None:
    """Keep ``left_on`` to the inactive: set on leaving (or corrected), cleared on coming back."""
    if person.active:
        if left_on is not None:
            raise ValidationError.single("left_on", "is only for someone who has left (active: no)")
        person.left_on = None
        return
    if left_on is None and not was_active:
        return  # already gone; their recorded day stands
    today = periods.today(settings.load(session).zone)
    if left_on is not None and left_on > today:
        message = f"{left_on.isoformat()} is in the future; record a leaver on their last day or after it"
        raise ValidationError.single("left_on", message)
    person.left_on = left_on or today


def _keep_an_admin(session: Session, person: Person, new_role: Role | None) -> None:
    """Refuse to remove the last active admin, which would lock everyone out of admin work."""
    if person.role is not Role.ADMIN or not person.active or new_role is Role.ADMIN:
        return
    others = session.scalar(
        select(func.count()).where(Person.role == Role.ADMIN, Person.active, Person.id != person.id)
    )
    if not others:
        raise ValidationError.single("role", "this is the last active admin; make someone else an admin first")


def deactivate_person(
    session: Session, actor: Actor, person_id: int, expected_version: int, *, left_on: date | None = None
) -> Person:
    """Take a person off every board and out of login; their history stays.

    ``left_on`` is their last day (default today): results dated up to it can
    still be imported as their history.
    """
    return update_person(session, actor, person_id, expected_version, active=False, left_on=left_on)


def move_person(session: Session, actor: Actor, person_id: int, team_name: str, effective_from: date) -> Person:
    """Move a person to another team from ``effective_from`` (admins only).

    Their results from that day on credit the new team; earlier results keep
    the team they were earned in.
    """
    require(actor, Role.ADMIN)
    person = get_person(session, person_id)
    try:
        team = resolve_team(session, actor, team_name, person.site)
    except text.TextProblem as e:
        raise ValidationError([e.problem]) from None
    before = {"team_id": person.team_id, "history": _history(session, person_id)}
    _rewrite_history(session, person_id, team.id, effective_from)
    person.team_id = team.id
    session.execute(
        update(Result)
        .where(Result.person_id == person_id, Result.occurred_on >= effective_from)
        .values(team_id=team.id)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    after = {"team_id": team.id, "history": _history(session, person_id)}
    audit.record(session, actor, "person.move", "person", person_id, before, after, reason=f"from {effective_from}")
    return person


def _rewrite_history(session: Session, person_id: int, team_id: int, effective_from: date) -> None:
    session.execute(
        delete(Membership).where(Membership.person_id == person_id, Membership.valid_from >= effective_from)
    )
    session.execute(
        update(Membership)
        .where(
            Membership.person_id == person_id,
            or_(Membership.valid_to.is_(None), Membership.valid_to > effective_from),
        )
        .values(valid_to=effective_from)
        .execution_options(synchronize_session=False)
    )
    session.add(Membership(person_id=person_id, team_id=team_id, valid_from=effective_from))


def _history(session: Session, person_id: int) -> list[dict[str, object]]:
    rows = session.scalars(select(Membership).where(Membership.person_id == person_id).order_by(Membership.valid_from))
    return [
        {"team_id": m.team_id, "from": m.valid_from.isoformat(), "to": m.valid_to and m.valid_to.isoformat()}
        for m in rows
    ]


def rename_team(
    session: Session, actor: Actor, team_id: int, name: str, site: str | None = None, now: datetime | None = None
) -> Team:
    """Rename a team or change its site (admins only).

    A site change applies to pulse weeks that close after it, so the weeks ended by
    ``now`` (default: the clock) close first.
    """
    require(actor, Role.ADMIN)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    if site is not None:
        from engagement import publication  # publication reads the organisation: import here, not at the top

        publication.close_weeks(session, now)
    before = audit.snapshot(team)
    try:
        clean_name = text.clean(name, "team", text.NAME_MAX) or _required("team")
        others = [n for n in session.scalars(select(Team.name).where(Team.id != team_id))]
        if any(n.casefold() == clean_name.casefold() for n in others):
            raise text.TextProblem(Problem("team", f"another team is already called {clean_name!r}"))
        similar = text.look_alike(clean_name, others)
        if similar is not None:
            raise text.TextProblem(Problem("team", f"{clean_name!r} looks like the existing team {similar!r}"))
        team.name = clean_name
        if site is not None:
            team.site = resolve_site(session, actor, site) if site.strip() else None
    except text.TextProblem as e:
        raise ValidationError([e.problem]) from None
    session.flush()
    audit.record(session, actor, "team.update", "team", team.id, before, audit.snapshot(team))
    return team


def set_team_active(session: Session, actor: Actor, team_id: int, active: bool) -> Team:
    """Retire a team (it leaves the boards) or bring it back; it must have no active members to retire."""
    require(actor, Role.ADMIN)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    if not active:
        members = session.scalar(select(func.count()).where(Person.team_id == team_id, Person.active))
        if members:
            raise ValidationError.single("team", f"{team.name} still has {members} active members; move them first")
    before = audit.snapshot(team)
    team.active = active
    audit.record(session, actor, "team.update", "team", team.id, before, audit.snapshot(team))
    return team


def active_member_ids(session: Session, team_ids: Sequence[int]) -> set[int]:
    return set(session.scalars(select(Person.id).where(and_(Person.team_id.in_(team_ids), Person.active))))


def site_names(session: Session) -> dict[int, str]:
    """Every site's name by id (for filters and readable audit entries)."""
    return {site_id: name for site_id, name in session.execute(select(Site.id, Site.name))}


def todays(session: Session, person_ids: Sequence[int], now: datetime | None = None) -> dict[int, date]:
    """Each person's today (:func:`engagement.periods.today_for`), as the engine counts it for them.

    The forms offer this day and no later one, so a person in Honolulu at 23:30
    (already tomorrow in London) is offered their own day, and the engine,
    checking the same rule, accepts it.
    """
    rows = session.execute(
        select(Person.id, Person.timezone, settings.zone_column()).where(Person.id.in_(list(person_ids)))
    )
    return {pid: periods.today_for(own, settings.zone_of_value(org), now) for pid, own, org in rows}
