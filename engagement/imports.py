"""CSV imports of people, challenges, results and pulse answers: all or nothing.

Each importer reads the whole file, checks every row, and writes only if every
row is valid, in the caller's transaction; otherwise it raises one
:class:`ValidationError` listing each bad row as ``row N: column: problem``.
The same importers serve the command line and the dashboard's upload.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from db.engine import WRITE_ATTEMPTS, must_retry, unit_of_work
from db.models import Challenge, Kind, Person, Role, Status, WorkMode
from engagement import challenges, import_guide, organisation, periods, pulse, results, settings, text
from engagement.access import Actor, normalise_email, require
from engagement.csvio import Table, read_table, write_csv
from engagement.errors import Problem, ValidationError
from engagement.parsing import (
    FieldError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_optional_positive,
    parse_positive,
)

P = ParamSpec("P")
T = TypeVar("T")


class ImportKind(enum.StrEnum):
    PEOPLE = "people"
    CHALLENGES = "challenges"
    RESULTS = "results"
    PULSE = "pulse"


COLUMNS: dict[ImportKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ImportKind.PEOPLE: (("email", "name", "team", "role"), ("site", "work_mode", "timezone", "active", "left_on")),
    ImportKind.CHALLENGES: (
        ("slug", "name", "kind", "unit", "points_per_unit", "starts_on", "ends_on"),
        ("daily_cap", "team_target", "auto_approve_up_to", "description"),
    ),
    ImportKind.RESULTS: (
        ("email", "challenge", "quantity", "occurred_on"),
        ("ref", "note", "status", "organisation", "activity_type"),
    ),
    ImportKind.PULSE: (("email", "week_of", "score"), ("enps", "comment")),
}


@dataclass
class ImportReport:
    kind: ImportKind
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    former: int = 0  # results: rows of people who have left (their history: impact counts it, boards do not)
    already_stored_rows: list[int] = field(default_factory=list)  # results: the file's rows stored before

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        parts = [f"{self.rows} rows read", f"{self.created} {verb}"]
        if self.updated:
            parts.append(f"{self.updated} {'would update' if self.dry_run else 'updated'}")
        if self.unchanged:
            parts.append(f"{self.unchanged} already stored")
        if self.former:
            parts.append(f"{self.former} of people who have left (history: in impact, not on boards)")
        return f"{self.kind.value}: " + ", ".join(parts)


def template(kind: ImportKind) -> str:
    """A header line plus one example row, for people to fill in."""
    required, optional = COLUMNS[kind]
    examples = {
        ImportKind.PEOPLE: "ana@example.org,Ana Silva,Cedar,agent,Leeds,home,Europe/London,yes,",
        ImportKind.CHALLENGES: "home-energy,Home energy saver,energy,kWh,1,2026-01-05,2026-03-29,10,500,2,"
        "Save energy at home",
        ImportKind.RESULTS: "ana@example.org,home-energy,3.5,2026-01-12,row-0001,Turned heating down,approved,,",
        ImportKind.PULSE: "ana@example.org,2026-01-12,4,9,",
    }
    return ",".join(required + optional) + "\n" + examples[kind] + "\n"


def team_template(session: Session, actor: Actor, team_id: int, *, now: datetime | None = None) -> str:
    """The results template for a lead's (or an admin's chosen) team: its sample rows import as they are."""
    required, optional = COLUMNS[ImportKind.RESULTS]
    return write_csv(import_guide.sample_rows(session, actor, team_id, now=now), required + optional)


def _cell(row: dict[str, str], name: str) -> str:
    return row.get(name, "") or ""


def _collect(
    problems: list[Problem], row: int, column: str, parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """``parse(*args, **kwargs)``, or None with the problem noted under ``row`` and ``column``."""
    try:
        return parse(*args, **kwargs)
    except FieldError as e:
        problems.append(Problem(column, str(e), row))
    except text.TextProblem as e:
        problems.append(Problem(column, e.problem.message, row))
    return None


# -- people -----------------------------------------------------------------------


def import_people(session: Session, actor: Actor, table: Table, today: date) -> ImportReport:
    """Create people, or update those whose email is already known; teams are made on first mention."""
    require(actor, Role.ADMIN)
    report = ImportReport(ImportKind.PEOPLE, rows=len(table.rows))
    problems: list[Problem] = []
    parsed: list[tuple[int, organisation.PersonInput]] = []
    first_seen: dict[str, int] = {}
    for row_number, row in table.rows:
        before = len(problems)
        email = _collect(problems, row_number, "email", organisation.validate_email, row["email"])
        role = _collect(problems, row_number, "role", parse_choice, row["role"], Role)
        mode = (
            _collect(problems, row_number, "work_mode", parse_choice, row["work_mode"], WorkMode)
            if _cell(row, "work_mode")
            else WorkMode.HOME
        )
        active = _collect(problems, row_number, "active", parse_bool, row["active"]) if _cell(row, "active") else True
        left_on = (
            _collect(problems, row_number, "left_on", parse_date, row["left_on"]) if _cell(row, "left_on") else None
        )
        if left_on is not None and left_on > today:
            problems.append(Problem("left_on", f"{left_on.isoformat()} is in the future", row_number))
        if email and email in first_seen:
            problems.append(Problem("email", f"{email} is repeated (first on row {first_seen[email]})", row_number))
        elif email:
            first_seen[email] = row_number
        if len(problems) > before:
            continue
        # A parse that gave None noted a problem, so none is None past this point.
        assert email is not None and role is not None and mode is not None and active is not None
        data = organisation.PersonInput(
            email=email,
            name=row["name"],
            role=role,
            team=_cell(row, "team") or None,
            site=_cell(row, "site") or None,
            work_mode=mode,
            timezone=_cell(row, "timezone") or None,
            active=active,
            left_on=left_on,
        )
        problems.extend(Problem(p.field, p.message, row_number) for p in organisation.check_person(data))
        parsed.append((row_number, data))
    if problems:
        raise ValidationError(problems)
    existing = {p.email: p for p in session.scalars(select(Person).where(Person.email.in_(list(first_seen))))}
    for row_number, data in parsed:
        try:
            _upsert_person(session, actor, data, existing.get(normalise_email(data.email)), today, report)
        except ValidationError as e:
            problems.extend(Problem(p.field, p.message, row_number) for p in e.problems)
    if problems:
        raise ValidationError(problems)
    return report


def _upsert_person(
    session: Session,
    actor: Actor,
    data: organisation.PersonInput,
    person: Person | None,
    today: date,
    report: ImportReport,
) -> None:
    if person is None:
        # Someone listed as gone without a day left on the day the roster says so, as a deactivation would.
        left_on = data.left_on or (None if data.active else today)
        organisation.add_person(session, actor, dataclasses.replace(data, left_on=left_on))
        report.created += 1
        return
    current_team = person.team.name if person.team else None
    wanted_team = " ".join((data.team or "").split()) or None
    changed = False
    if wanted_team and (current_team or "").casefold() != wanted_team.casefold():
        organisation.move_person(session, actor, person.id, wanted_team, today)
        changed = True
    before = _details(person)
    organisation.update_person(
        session,
        actor,
        person.id,
        person.version,
        name=data.name,
        role=data.role,
        work_mode=data.work_mode,
        timezone=data.timezone,
        site=data.site,
        active=data.active,
        left_on=data.left_on,
    )
    if changed or _details(person) != before:
        report.updated += 1
    else:
        report.unchanged += 1


def _details(person: Person) -> tuple[object, ...]:
    return (person.name, person.role, person.work_mode, person.timezone, person.site_id, person.active, person.left_on)


# -- challenges -------------------------------------------------------------------


def import_challenges(session: Session, actor: Actor, table: Table, today: date) -> ImportReport:
    """Create challenges, or update the rules of those whose slug is already known."""
    require(actor, Role.ADMIN)
    report = ImportReport(ImportKind.CHALLENGES, rows=len(table.rows))
    problems: list[Problem] = []
    parsed: list[tuple[int, challenges.ChallengeInput]] = []
    seen: dict[str, int] = {}
    comma = table.decimal_comma
    for row_number, row in table.rows:
        before = len(problems)
        kind = _collect(problems, row_number, "kind", parse_choice, row["kind"], Kind)
        values = {
            name: _collect(
                problems,
                row_number,
                name,
                parse_optional_positive,
                row.get(name, ""),
                decimal_comma=comma,
            )
            for name in ("daily_cap", "team_target", "auto_approve_up_to")
        }
        ppu = _collect(
            problems,
            row_number,
            "points_per_unit",
            parse_positive,
            row["points_per_unit"],
            decimal_comma=comma,
        )
        starts = _collect(problems, row_number, "starts_on", parse_date, row["starts_on"])
        ends = _collect(problems, row_number, "ends_on", parse_date, row["ends_on"])
        slug = row["slug"]
        if slug in seen:
            problems.append(Problem("slug", f"{slug!r} is repeated (first on row {seen[slug]})", row_number))
        seen.setdefault(slug, row_number)
        if len(problems) > before:
            continue
        assert kind is not None and ppu is not None and starts is not None and ends is not None
        data = challenges.ChallengeInput(
            slug=slug,
            name=row["name"],
            kind=kind,
            points_per_unit=ppu,
            starts_on=starts,
            ends_on=ends,
            unit=row["unit"],
            description=_cell(row, "description"),
            **values,
        )
        problems.extend(Problem(p.field, p.message, row_number) for p in challenges.check_challenge(data))
        parsed.append((row_number, data))
    if problems:
        raise ValidationError(problems)
    known = {c.slug: c for c in session.scalars(select(Challenge).where(Challenge.slug.in_(list(seen))))}
    for row_number, data in parsed:
        existing = known.get(data.slug)
        try:
            if existing is None:
                challenges.create_challenge(session, actor, data)
                report.created += 1
            elif existing.kind is not data.kind:
                message = f"{data.slug!r} is already a {existing.kind.value} challenge"
                problems.append(Problem("kind", message, row_number))
            else:
                _update_challenge(session, actor, existing, data, report)
        except ValidationError as e:
            problems.extend(Problem(p.field, p.message, row_number) for p in e.problems)
    if problems:
        raise ValidationError(problems)
    return report


def _update_challenge(
    session: Session, actor: Actor, existing: Challenge, data: challenges.ChallengeInput, report: ImportReport
) -> None:
    keys = ("name", "points_per_unit", "starts_on", "ends_on", "daily_cap", "team_target", "auto_approve_up_to")
    if all(getattr(existing, k) == getattr(data, k) for k in keys) and existing.description == text.clean(
        data.description, "description", 2000, multiline=True
    ):
        report.unchanged += 1
        return
    challenges.update_challenge(session, actor, existing.id, existing.version, data)
    report.updated += 1


# -- results ----------------------------------------------------------------------


def import_results(
    session: Session, actor: Actor, table: Table, today: date, *, source: str = "csv", now: datetime | None = None
) -> ImportReport:
    """Store results; rows are approved unless ``status`` says otherwise (one's own rows follow the agent's rule).

    A file is past results: rows of people who have left are their history, stored
    up to their last day (``Person.left_on``) and counted in ``report.former``; forms
    keep refusing them. Rows already stored from ``source`` (same ``ref``, or without
    a ref the same entry) are not stored twice. Every problem of every row is reported.
    """
    require(actor, *results.LOGGERS)
    report = ImportReport(ImportKind.RESULTS, rows=len(table.rows))
    emails = {normalise_email(row["email"]) for _, row in table.rows}
    people = {
        email: (person_id, active)
        for email, person_id, active in session.execute(
            select(Person.email, Person.id, Person.active).where(Person.email.in_(emails))
        )
    }
    slugs = {row["challenge"] for _, row in table.rows}
    known = {c.slug: c for c in session.scalars(select(Challenge).where(Challenge.slug.in_(slugs)))}
    names = import_guide.ChallengeNames(session) if slugs - set(known) else None
    problems: list[Problem] = []
    failed: dict[int, set[str]] = {}  # row -> columns with a problem found here
    entries: list[results.ResultInput] = []
    row_numbers: list[int] = []
    for row_number, row in table.rows:
        before = len(problems)
        person = people.get(normalise_email(row["email"]))
        if person is None:
            problems.append(Problem("email", _unknown_person(actor, row["email"]), row_number))
        elif not person[1]:
            report.former += 1
        challenge = known.get(row["challenge"])
        if challenge is None:
            message = names.unknown(row["challenge"]) if names is not None and row["challenge"] else "is required"
            problems.append(Problem("challenge", message, row_number))
        entry = _result_row(problems, row_number, row, person, challenge, today, table.decimal_comma)
        entries.append(entry)
        row_numbers.append(row_number)
        if len(problems) > before:
            failed[row_number] = {p.field for p in problems[before:]}
    if problems:
        # Report the rest of each row's problems too, except those on a column already found wrong.
        checked = results.check_results(
            session, actor, entries, source=source, row_numbers=row_numbers, now=now, imported=True
        )
        problems.extend(p for p in _as_columns(checked) if p.field not in failed.get(p.row or 0, set()))
        raise ValidationError(_by_row_and_column(problems))
    try:
        recorded = results.record_results(
            session, actor, entries, source=source, row_numbers=row_numbers, now=now, imported=True
        )
    except ValidationError as e:
        raise ValidationError(_by_row_and_column(_as_columns(e.problems))) from None
    report.created = len(recorded.ids)
    report.unchanged = len(recorded.already_stored)
    report.already_stored_rows = sorted(recorded.already_stored_rows)
    return report


def _by_row_and_column(problems: list[Problem]) -> list[Problem]:
    """Problems in the order a person reads the file: by row, then in the order of the columns."""
    required, optional = COLUMNS[ImportKind.RESULTS]
    order = {name: i for i, name in enumerate(required + optional)}
    return sorted(problems, key=lambda p: (p.row or 0, order.get(p.field, len(order))))


def _unknown_person(actor: Actor, email: str) -> str:
    if not email:
        return "is required"
    return f"no such person {email!r}" if actor.role is Role.ADMIN else results.out_of_reach(actor)


def _result_row(
    problems: list[Problem],
    row_number: int,
    row: dict[str, str],
    person: tuple[int, bool] | None,
    challenge: Challenge | None,
    today: date,
    comma: bool,
) -> results.ResultInput:
    """The row as an entry, its problems noted; a column that cannot be read holds a stand-in.

    Stand-ins (no person, no challenge, quantity 1, today) only let the engine check
    the row's other columns: a row with any problem is never stored.
    """
    unit = challenge.unit if challenge else None
    quantity = _collect(problems, row_number, "quantity", parse_number, row["quantity"], decimal_comma=comma, unit=unit)
    day = _collect(problems, row_number, "occurred_on", parse_date, row["occurred_on"])
    status = (
        _collect(problems, row_number, "status", parse_choice, row["status"], Status) if _cell(row, "status") else None
    )
    if status is Status.VOIDED:
        problems.append(Problem("status", "must be pending, approved or rejected", row_number))
    return results.ResultInput(
        person_id=person[0] if person else 0,
        challenge_id=challenge.id if challenge else 0,
        quantity=1.0 if quantity is None else quantity,
        occurred_on=day or today,
        note=_cell(row, "note"),
        organisation=_cell(row, "organisation") or None,
        activity_type=_cell(row, "activity_type") or None,
        ref=_cell(row, "ref") or None,
        status=None if status is Status.VOIDED else status,
    )


def _as_columns(problems: list[Problem]) -> list[Problem]:
    """Name the file's columns, not the fields behind them."""
    rename = {"person": "email"}
    return [Problem(rename.get(p.field, p.field), p.message, p.row) for p in problems]


# -- pulse ------------------------------------------------------------------------


def import_pulse(session: Session, actor: Actor, table: Table, today: date) -> ImportReport:
    """Store pulse answers for the open week (admins only); a person's second answer for a week replaces the first.

    An ended or closed week takes no answer, on this path as on the form (see :mod:`engagement.pulse`).
    """
    require(actor, Role.ADMIN)
    report = ImportReport(ImportKind.PULSE, rows=len(table.rows))
    emails = {normalise_email(row["email"]) for _, row in table.rows}
    people = {p.email: p for p in session.scalars(select(Person).where(Person.email.in_(emails)))}
    problems: list[Problem] = []
    answers: list[tuple[int, pulse.Answer]] = []
    seen: dict[tuple[int, date], int] = {}
    this_monday = periods.week_start(today)
    for row_number, row in table.rows:
        before = len(problems)
        person = people.get(normalise_email(row["email"]))
        if person is None:
            problems.append(Problem("email", f"no such person {row['email']!r}", row_number))
        elif person.team_id is None:
            problems.append(
                Problem("email", f"{person.email} has no team; the pulse is answered by team members", row_number)
            )
        day = _collect(problems, row_number, "week_of", parse_date, row["week_of"])
        if day is not None and periods.week_start(day) > this_monday:
            problems.append(Problem("week_of", f"{day.isoformat()} is in a future week", row_number))
        elif day is not None and not pulse.takes_answers(session, day, this_monday):
            problems.append(Problem("week_of", pulse.closed_week_problem(periods.week_start(day)), row_number))
        score = _collect(problems, row_number, "score", parse_int, row["score"], 1, 5)
        enps = _collect(problems, row_number, "enps", parse_int, row["enps"], 0, 10) if _cell(row, "enps") else None
        comment = _collect(
            problems,
            row_number,
            "comment",
            text.clean,
            _cell(row, "comment"),
            "comment",
            text.COMMENT_MAX,
            multiline=True,
        )
        if len(problems) > before:
            continue
        assert person is not None and person.team_id is not None and day is not None and score is not None
        key = (person.id, periods.week_start(day))
        if key in seen:
            problems.append(
                Problem("week_of", f"{person.email} already answered this week on row {seen[key]}", row_number)
            )
            continue
        seen[key] = row_number
        # As on the form: the answer counts for the team the person is in when it is given.
        answers.append((row_number, pulse.Answer(person.id, person.team_id, day, score, enps, comment or "")))
    if problems:
        raise ValidationError(problems)
    replaced = pulse.store_answers(session, [a for _, a in answers], this_monday)
    report.created = len(answers) - replaced
    report.updated = replaced
    return report


# -- running an import ------------------------------------------------------------

IMPORTERS = {
    ImportKind.PEOPLE: import_people,
    ImportKind.CHALLENGES: import_challenges,
    ImportKind.RESULTS: import_results,
    ImportKind.PULSE: import_pulse,
}


def run_import(
    engine: Engine,
    actor: Actor,
    kind: ImportKind,
    data: bytes,
    *,
    dry_run: bool = False,
    encoding: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Parse and import a whole file in one transaction; with ``dry_run``, roll it back.

    ``now`` (default: the clock; a ``today`` given alone stands for its noon in the
    organisation's zone) decides what is in the future, for each person in their
    own zone as every other path does, and ``today`` (default: the organisation's
    day at ``now``) which pulse week is open and when a moved person moves.
    Raises :class:`ValidationError` (nothing written) if any row is bad.
    """
    required, optional = COLUMNS[kind]
    table = read_table(data, required, optional, encoding=encoding)
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return _import_once(engine, actor, kind, table, dry_run, today, now)
        except IntegrityError:
            # Another import stored the same refs meanwhile; a second pass sees them.
            if attempt:
                raise
        except OperationalError as e:
            # PostgreSQL broke a deadlock with another writer by undoing this import: run it again.
            if attempt == WRITE_ATTEMPTS - 1 or not must_retry(e):
                raise
    raise AssertionError("unreachable")


class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report


def _import_once(
    engine: Engine,
    actor: Actor,
    kind: ImportKind,
    table: Table,
    dry_run: bool,
    today: date | None,
    now: datetime | None,
) -> ImportReport:
    try:
        with unit_of_work(engine) as session:
            zone = settings.load(session).zone
            if now is None and today is not None:
                now = datetime.combine(today, time(12), zone)
            today = today or periods.today(zone, now)
            if kind is ImportKind.RESULTS:
                report = import_results(session, actor, table, today, now=now)
            else:
                report = IMPORTERS[kind](session, actor, table, today)
            report.dry_run = dry_run
            if dry_run:
                session.flush()
                raise _DryRun(report)
    except _DryRun as done:
        return done.report
    return report
