"""Logging, editing, voiding and deciding on challenge results.

Who may log what:
- an agent logs only for themself, and the entry waits as pending for their
  lead unless the challenge auto-approves that quantity;
- a lead logs for the people of their own team, and their entries are approved;
- an admin logs for anyone, approved;
- a manager logs nothing.

An entry belongs to the team it is credited to (``Result.team_id``: the
person's team on the day of the activity), not to the person's team of today:
a lead logs, reads, edits, voids and decides only entries credited to their
own team, so a person who moved from Cedar to Birch leaves their Cedar entries
with Cedar's lead. Nobody decides on their own entry: whoever logs for
themself, lead or admin, is treated as an agent (the challenge's auto-approve
limit is a rule, not their decision), and their entries wait for another lead
of their site or an admin.

While an entry waits, the person it is for may correct or withdraw it
(:func:`edit_result`, :func:`withdraw_result`); once decided it is the lead's.
The approvals queue flags a possible repeat and a day above the daily cap
(:func:`flags`), and a form may ask before saving a repeat (:func:`find_duplicate`).

Every entry is validated in full before anything is written; a batch (grid,
CSV) is written in one transaction or not at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    case,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, aliased, lazyload
from sqlalchemy.sql.schema import Table

from db import bulk
from db.models import Challenge, Kind, Membership, Person, Result, Role, Status, Team
from engagement import amounts, audit, challenges, notices, organisation, periods, settings, text
from engagement.access import Actor, require
from engagement.errors import Conflict, NotFound, PermissionDenied, Problem, ValidationError

# The most one entry can hold: above these a value is a typo, not an achievement.
MAX_PER_ENTRY = {Kind.ENERGY: 1_000.0, Kind.TREES: 10_000.0, Kind.VOLUNTEERING: 24.0}
LOGGERS = (Role.AGENT, Role.LEAD, Role.ADMIN)
# Literals, not bound parameters: SQLite uses a partial index (pending entries,
# approved results) only when the query visibly implies the index's own WHERE.
PENDING = Result.__table__.c.status == literal_column("'pending'")
APPROVED = Result.__table__.c.status == literal_column("'approved'")
WAITS_FOR_ANOTHER = "it waits for another lead of your site or an admin"
OWN_PENDING_ONLY = "you can only change your own entries while they are pending"
WITHDRAWN = "withdrawn before a decision"  # the reason kept when a person takes back their own entry unexplained
SAME_AMOUNT = 1e-9  # two amounts closer than this are the same (floats from minutes and hours)


@dataclass(frozen=True)
class ResultInput:
    """One entry as a person gives it. Quantities are in the challenge's unit."""

    person_id: int
    challenge_id: int
    quantity: float
    occurred_on: date
    note: str = ""
    organisation: str | None = None
    activity_type: str | None = None
    ref: str | None = None
    status: Status | None = None


@dataclass
class _Context:
    """People and challenges a batch refers to, loaded once for the whole batch.

    Saving one entry is the dashboard's commonest write, so its reads are few:
    each person comes with their current team and since when (most entries fall
    in it, so the membership history is read only for older days) and with the
    organisation's time zone, for people without one of their own.
    """

    session: Session
    people: dict[int, Person]
    challenges: dict[int, Challenge]
    now: datetime
    current_team: dict[int, tuple[int, date]] = field(default_factory=dict)  # person -> (team, member since)
    org_zone: ZoneInfo | None = None  # read with the people; read on its own only if none was found
    history: bool = False  # past results imported: people who have left are taken up to their last day
    credited: dict[tuple[int, date], int | None] = field(default_factory=dict)  # (person, day) -> team, once read

    def zone_of(self, person: Person | None) -> ZoneInfo:
        own = person.timezone if person is not None else None
        if not own and self.org_zone is None:
            self.org_zone = settings.load(self.session).zone
        return periods.zone_for(own, self.org_zone or ZoneInfo("UTC"))

    def teams_on(self, pairs: Sequence[tuple[int, date]]) -> dict[tuple[int, date], int | None]:
        """The team each (person, day) credits: the current one from memory, older days from the history."""
        teams: dict[tuple[int, date], int | None] = {}
        older = []
        for person_id, day in pairs:
            current = self.current_team.get(person_id)
            if (person_id, day) in self.credited:
                teams[(person_id, day)] = self.credited[(person_id, day)]
            elif current is not None and day >= current[1]:
                teams[(person_id, day)] = current[0]
            else:
                older.append((person_id, day))
        teams |= organisation.teams_on(self.session, older) if older else {}
        self.credited |= teams
        return teams


def _context(session: Session, rows: Sequence[ResultInput], now: datetime | None, history: bool = False) -> _Context:
    ctx = _Context(session, {}, {}, now or periods.now_utc(), history=history)
    ids = list({r.person_id for r in rows})
    open_memberships: dict[int, list[tuple[int, date]]] = {}
    for start in range(0, len(ids), 500):
        # Only the people's own columns and their open membership: no team or site objects joined in.
        chunk = (
            select(Person, Membership.team_id, Membership.valid_from, settings.zone_column())
            .options(lazyload("*"))
            .outerjoin(Membership, (Membership.person_id == Person.id) & Membership.valid_to.is_(None))
            .where(Person.id.in_(ids[start : start + 500]))
        )
        for person, team_id, since, org_zone in session.execute(chunk):
            ctx.people[person.id] = person
            ctx.org_zone = ctx.org_zone or settings.zone_of_value(org_zone)
            if team_id is not None:
                open_memberships.setdefault(person.id, []).append((team_id, since))
    # Two open memberships would be a broken history: such a person's days are looked up in full.
    ctx.current_team = {p: found[0] for p, found in open_memberships.items() if len(found) == 1}
    challenge_ids = {r.challenge_id for r in rows}
    ctx.challenges = {c.id: c for c in session.scalars(select(Challenge).where(Challenge.id.in_(challenge_ids)))}
    return ctx


def check(actor: Actor, data: ResultInput, ctx: _Context, row: int | None = None, *, new: bool = True) -> list[Problem]:
    """Every problem with one entry, each naming its field (and row, in a file).

    A ``new`` entry from an agent or a lead must also come within the challenge's
    late-entry window (:func:`challenges.late_entry_problem`); corrections to a
    stored entry and admins loading history are not bound by it.
    """
    problems: list[Problem] = []

    def problem(field_name: str, message: str) -> None:
        problems.append(Problem(field_name, message, row))

    person = ctx.people.get(data.person_id)
    challenge = ctx.challenges.get(data.challenge_id)
    refused = person is not None and not person.active and not ctx.history  # a new entry for someone who left
    if actor.role is not Role.ADMIN and (person is None or refused or not _may_log_for(actor, person)):
        problem("person", out_of_reach(actor))
    elif person is None:
        problem("person", "no such person")
    elif refused:
        problem("person", f"{person.email} is not active")
    elif actor.role is Role.LEAD and (scope := _lead_scope_problem(actor, person, data.occurred_on, ctx, row)):
        problems.append(scope)
    elif not person.active and person.left_on is not None and data.occurred_on > person.left_on:
        problem(
            "occurred_on",
            f"{data.occurred_on.isoformat()} is after {person.email} left (their last day was "
            f"{person.left_on.isoformat()}); only results up to that day are their history",
        )
    if challenge is None:
        problem("challenge", "no such challenge")
    if not isinstance(data.quantity, (int, float)) or not math.isfinite(data.quantity):
        problem("quantity", "must be a finite number")
    elif data.quantity <= 0:
        problem("quantity", "must be greater than 0")
    elif challenge is not None and data.quantity > MAX_PER_ENTRY[challenge.kind]:
        typed, most = (amounts.in_words(q, challenge.unit) for q in (data.quantity, MAX_PER_ENTRY[challenge.kind]))
        problem("quantity", f"{typed} is more than one entry can hold ({most})")
    elif challenge is not None and challenge.kind is Kind.TREES and not challenges.is_whole(data.quantity):
        problem("quantity", f"{challenges.TREES_WHOLE} ({amounts.number(data.quantity)} is not)")
    zone = ctx.zone_of(person)
    today = periods.today(zone, ctx.now)
    if challenge is not None and new and actor.role is not Role.ADMIN:
        late = challenges.late_entry_problem(challenge, today)
        if late is not None:
            problem("challenge", late)
    if challenge is not None and not challenge.starts_on <= data.occurred_on <= challenge.ends_on:
        problem(
            "occurred_on",
            f"{data.occurred_on.isoformat()} is outside the challenge window "
            f"{challenge.starts_on.isoformat()} to {challenge.ends_on.isoformat()}",
        )
    if data.occurred_on > today:
        problem("occurred_on", f"{data.occurred_on.isoformat()} is in the future (today is {today} in {zone.key})")
    for name, limit in (("note", text.NOTE_MAX), ("organisation", text.NAME_MAX), ("activity_type", 40)):
        value = getattr(data, name)
        if value:
            try:
                text.clean(value, name, limit)
            except text.TextProblem as e:
                problem(name, e.problem.message)
    if data.ref is not None and len(data.ref) > 100:
        problem("ref", "is longer than 100 characters")
    return problems


def out_of_reach(actor: Actor) -> str:
    """What a non-admin hears about anyone they may not log for.

    One message whether the person is elsewhere, inactive or unknown: telling these apart
    would let a lead probe which emails exist in the whole organisation.
    """
    return "you can only log for yourself" if actor.role is Role.AGENT else "not a member of your team"


def _may_log_for(actor: Actor, person: Person) -> bool:
    """Agents name only themselves, admins anyone; a lead is judged by the day (:func:`_lead_scope_problem`)."""
    if actor.role in (Role.ADMIN, Role.LEAD):
        return True
    return actor.role is Role.AGENT and person.id == actor.person_id


def _lead_scope_problem(actor: Actor, person: Person, day: date, ctx: _Context, row: int | None) -> Problem | None:
    """A lead logs only days credited to their team: never for another team, nor before someone joined theirs."""
    if actor.team_id is not None and ctx.teams_on([(person.id, day)])[(person.id, day)] == actor.team_id:
        return None
    if person.team_id != actor.team_id or actor.team_id is None:
        return Problem("person", out_of_reach(actor), row)
    current = ctx.current_team.get(person.id)
    joined = f" ({current[1].isoformat()})" if current is not None and current[0] == actor.team_id else ""
    return Problem(
        "occurred_on",
        f"{day.isoformat()} is before {person.name} joined your team{joined}; that day counts for the team "
        "they were in then, and its lead or an admin logs it",
        row,
    )


def _status_for(actor: Actor, data: ResultInput, challenge: Challenge) -> tuple[Status, str | None]:
    """Entries people log for themselves wait for someone else unless the challenge auto-approves them.

    That holds for agents and for a lead or admin logging their own activity:
    the auto-approve limit is the challenge's rule, not the logger's decision,
    and a status of "approved" or "rejected" given for one's own entry (a CSV
    column) is not a decision either: it is ignored, as it always was for agents.
    """
    if actor.role is Role.AGENT or data.person_id == actor.person_id:
        limit = challenge.auto_approve_up_to
        if data.status is not Status.PENDING and limit is not None and data.quantity <= limit:
            return Status.APPROVED, f"auto-approved (up to {amounts.in_words(limit, challenge.unit)})"
        return Status.PENDING, None
    return data.status or Status.APPROVED, None


def record_result(session: Session, actor: Actor, data: ResultInput, *, source: str = "manual") -> Result:
    """Validate and store one entry; see :func:`record_results`."""
    stored = record_results(session, actor, [data], source=source)
    if stored.created:
        return stored.created[0]
    # A repeated submit (same ref) hands back the entry the first one stored.
    result = session.get(Result, stored.already_stored[0])
    assert result is not None
    return result


@dataclass
class Recorded:
    """What a batch did: ids of new rows, and rows skipped as already stored (same ref, or an imported copy)."""

    ids: list[int] = field(default_factory=list)
    already_stored: list[int] = field(default_factory=list)  # the stored entries' ids
    already_stored_rows: list[int] = field(default_factory=list)  # their rows in the batch (row numbers, or indexes)
    created: list[Result] = field(default_factory=list, repr=False)  # the stored rows, for one-entry saves


def record_results(
    session: Session,
    actor: Actor,
    rows: Sequence[ResultInput],
    *,
    source: str = "manual",
    row_numbers: Sequence[int] | None = None,
    now: datetime | None = None,
    imported: bool = False,
) -> Recorded:
    """Validate every entry, then store them all in the session's transaction, or none.

    ``row_numbers`` name the entries in problems (a file's spreadsheet rows).
    An entry whose ``ref`` is already stored for ``source`` with the same content
    is skipped (re-importing a file counts nothing twice); with different content
    it is an error. ``imported`` rows come from a file of past results: people who
    have left are taken up to their last day (their history; forms refuse them), and
    a row without a ref that matches an entry stored from ``source`` is already
    stored too. An agent logging for anyone else is refused outright, before the
    database is read.
    """
    require(actor, *LOGGERS)
    if actor.role is Role.AGENT and any(r.person_id != actor.person_id for r in rows):
        raise PermissionDenied("agents can only log their own activity")
    ctx, problems, recorded, fresh_indexes = _validate(session, actor, rows, source, row_numbers, now, imported)
    if problems:
        raise ValidationError(problems)
    fresh = [rows[i] for i in fresh_indexes]
    if not fresh:
        return recorded
    teams = ctx.teams_on([(r.person_id, r.occurred_on) for r in fresh])
    logged_at = ctx.now.astimezone(UTC).replace(tzinfo=None)
    values = []
    for data in fresh:
        status, auto_reason = _status_for(actor, data, ctx.challenges[data.challenge_id])
        decided = status is not Status.PENDING
        values.append(
            {
                "person_id": data.person_id,
                "challenge_id": data.challenge_id,
                "team_id": teams[(data.person_id, data.occurred_on)],
                "quantity": float(data.quantity),
                "occurred_on": data.occurred_on,
                "note": text.clean(data.note or "", "note", text.NOTE_MAX),
                "status": status,
                "organisation": data.organisation and text.clean(data.organisation, "organisation", text.NAME_MAX),
                "activity_type": data.activity_type and text.clean(data.activity_type, "activity_type", 40).lower(),
                "logged_by_id": actor.person_id,
                "logged_at": ctx.now,
                "source": source,
                "ref": data.ref,
                "decided_by_id": actor.person_id if decided and auto_reason is None else None,
                "decided_at": ctx.now if decided else None,
                "decision_reason": auto_reason,
                "version": 1,
            }
        )
    if len(values) == 1:
        # The whole row comes back, so record_result reads nothing again.
        recorded.created = list(session.scalars(insert(Result).returning(Result), values))
        ids = [row.id for row in recorded.created]
    else:  # a batch: ids up front, then one bulk insert (COPY on PostgreSQL), see db.bulk
        table = cast(Table, Result.__table__)
        ids = bulk.next_ids(session, table, len(values))
        bulk.insert_rows(session, table, [{"id": i, **v} for i, v in zip(ids, values, strict=True)])
    recorded.ids.extend(ids)
    audit.record_many(
        session,
        actor,
        [
            {"action": "result.create", "entity": "result", "entity_id": new_id, "after": _jsonable(v, logged_at)}
            for new_id, v in zip(ids, values, strict=True)
        ],
    )
    return recorded


def check_results(
    session: Session,
    actor: Actor,
    rows: Sequence[ResultInput],
    *,
    source: str,
    row_numbers: Sequence[int],
    now: datetime | None = None,
    imported: bool = False,
) -> list[Problem]:
    """Every problem :func:`record_results` would raise for ``rows``, writing nothing.

    An import whose file already has problems calls this to report all of each
    row's problems at once; ids that match nobody (a row's unknown person or
    challenge) are simply reported as such.
    """
    require(actor, *LOGGERS)
    return _validate(session, actor, rows, source, row_numbers, now, imported)[1]


def _validate(
    session: Session,
    actor: Actor,
    rows: Sequence[ResultInput],
    source: str,
    row_numbers: Sequence[int] | None,
    now: datetime | None,
    imported: bool,
) -> tuple[_Context, list[Problem], Recorded, list[int]]:
    """The batch's context, every problem, the rows already stored, and the indexes of rows to insert."""
    ctx = _context(session, rows, now, history=imported)
    if actor.role is Role.LEAD:  # a lead's scope is the team each day credits: read the history once for the batch
        ctx.teams_on([(r.person_id, r.occurred_on) for r in rows])
    problems: list[Problem] = []
    for i, data in enumerate(rows):
        problems.extend(check(actor, data, ctx, None if row_numbers is None else row_numbers[i]))
    recorded = Recorded()
    fresh_indexes = _skip_known_refs(session, rows, source, row_numbers, problems, recorded)
    if imported:
        fresh_indexes = _skip_stored_copies(session, rows, fresh_indexes, source, row_numbers, recorded)
    return ctx, problems, recorded, fresh_indexes


def _jsonable(values: Mapping[str, object], logged_at: datetime) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in values.items():
        if key == "version":
            continue
        if isinstance(value, Status):
            value = value.value
        elif isinstance(value, datetime):
            value = logged_at.isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        out[key] = value
    return out


def _skip_known_refs(
    session: Session,
    rows: Sequence[ResultInput],
    source: str,
    row_numbers: Sequence[int] | None,
    problems: list[Problem],
    recorded: Recorded,
) -> list[int]:
    """Indexes of rows to insert; rows whose ref is stored with the same content are skipped."""
    seen: dict[str, int] = {}
    refs = [r.ref for r in rows if r.ref]
    stored: dict[str, Result] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        stored.update(
            {r.ref: r for r in session.scalars(select(Result).where(Result.source == source, Result.ref.in_(chunk)))}  # type: ignore[misc]
        )
    keep: list[int] = []
    for i, data in enumerate(rows):
        row = None if row_numbers is None else row_numbers[i]
        if data.ref:
            if data.ref in seen:
                where = f"row {seen[data.ref]}" if row_numbers is not None else "another entry"
                problems.append(Problem("ref", f"{data.ref!r} is repeated (first used in {where})", row))
                continue
            seen[data.ref] = row if row is not None else i
            existing = stored.get(data.ref)
            if existing is not None:
                if _same_content(existing, data):
                    recorded.already_stored.append(existing.id)
                    recorded.already_stored_rows.append(row if row is not None else i)
                else:
                    problems.append(Problem("ref", f"{data.ref!r} was already imported with different content", row))
                continue
        keep.append(i)
    return keep


def _skip_stored_copies(
    session: Session,
    rows: Sequence[ResultInput],
    indexes: list[int],
    source: str,
    row_numbers: Sequence[int] | None,
    recorded: Recorded,
) -> list[int]:
    """``indexes`` without the ref-less rows that repeat an entry stored from ``source`` (a file uploaded again).

    Each stored entry answers for one row: a file holding the same entry twice, of
    which one is stored, adds the other. Voided entries do not count as stored.
    """
    candidates = [i for i in indexes if not rows[i].ref]
    pairs = list({(rows[i].person_id, rows[i].occurred_on) for i in candidates})
    stored: dict[tuple[int, int, date, str], list[tuple[float, int]]] = {}
    for start in range(0, len(pairs), 500):
        query = select(
            Result.id, Result.person_id, Result.challenge_id, Result.occurred_on, Result.note, Result.quantity
        ).where(
            Result.source == source,
            Result.ref.is_(None),
            Result.status != Status.VOIDED,
            tuple_(Result.person_id, Result.occurred_on).in_(pairs[start : start + 500]),
        )
        for entry_id, person_id, challenge_id, day, note, quantity in session.execute(query.order_by(Result.id)):
            stored.setdefault((person_id, challenge_id, day, note), []).append((quantity, entry_id))
    repeated = set()
    for i in candidates:
        data = rows[i]
        try:
            note = text.clean(data.note or "", "note", text.NOTE_MAX)
        except text.TextProblem:
            continue  # a note that cannot be stored is a problem of its own, reported by check()
        same = stored.get((data.person_id, data.challenge_id, data.occurred_on, note), [])
        match = next((n for n, (q, _) in enumerate(same) if math.isclose(q, data.quantity, rel_tol=1e-9)), None)
        if match is not None:
            recorded.already_stored.append(same.pop(match)[1])
            recorded.already_stored_rows.append(i if row_numbers is None else row_numbers[i])
            repeated.add(i)
    return [i for i in indexes if i not in repeated]


def _same_content(existing: Result, data: ResultInput) -> bool:
    return (
        existing.person_id == data.person_id
        and existing.challenge_id == data.challenge_id
        and math.isclose(existing.quantity, data.quantity, rel_tol=1e-9)
        and existing.occurred_on == data.occurred_on
    )


# -- changing entries ------------------------------------------------------------


def _load_for_change(session: Session, actor: Actor, result_id: int, expected_version: int | None) -> Result:
    """The entry, if the actor may change it: their own while pending, or (leads) one credited to their team.

    A lead or admin has an agent's rights on their own entries: correcting an
    approved entry of one's own would be approving a new amount oneself.
    """
    require(actor, *LOGGERS)
    result = session.get(Result, result_id)
    if result is None:
        raise NotFound(f"no entry with id {result_id}")
    as_agent = actor.role is Role.AGENT or result.person_id == actor.person_id
    if as_agent and result.person_id != actor.person_id:
        raise PermissionDenied(OWN_PENDING_ONLY)
    if not as_agent and actor.role is Role.LEAD and (result.team_id is None or result.team_id != actor.team_id):
        raise PermissionDenied("you can only change entries credited to your own team")
    # The version first: an entry decided since it was opened is news to reload, not a refusal.
    if expected_version is not None and result.version != expected_version:
        raise Conflict("this entry was changed by someone else since you opened it; reload and try again")
    if as_agent and result.status is not Status.PENDING:
        raise PermissionDenied(OWN_PENDING_ONLY)
    return result


def edit_result(
    session: Session,
    actor: Actor,
    result_id: int,
    expected_version: int,
    *,
    quantity: float | None = None,
    occurred_on: date | None = None,
    note: str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Result:
    """Correct an entry's quantity, day or note; audited, refused if someone saved first."""
    result = _load_for_change(session, actor, result_id, expected_version)
    if result.status is Status.VOIDED:
        raise ValidationError.single("status", "this entry was voided; log a new one instead")
    proposed = ResultInput(
        person_id=result.person_id,
        challenge_id=result.challenge_id,
        quantity=result.quantity if quantity is None else quantity,
        occurred_on=result.occurred_on if occurred_on is None else occurred_on,
        note=result.note if note is None else note,
        organisation=result.organisation,
        activity_type=result.activity_type,
    )
    problems = check(actor, proposed, _context(session, [proposed], now), new=False)
    if problems:
        raise ValidationError(problems)
    before = audit.snapshot(result)
    result.quantity = float(proposed.quantity)
    if proposed.occurred_on != result.occurred_on:
        result.occurred_on = proposed.occurred_on
        result.team_id = organisation.team_on(session, result.person_id, proposed.occurred_on)
    result.note = text.clean(proposed.note, "note", text.NOTE_MAX)
    session.flush()
    audit.record(session, actor, "result.update", "result", result.id, before, audit.snapshot(result), reason or None)
    return result


def withdraw_result(
    session: Session, actor: Actor, result_id: int, expected_version: int, reason: str = "", now: datetime | None = None
) -> Result:
    """Take back one's own entry while it waits: it leaves the approvals queue and counts nowhere.

    Only the person the entry is for, and only while it is pending, whatever
    their role: a lead or admin taking back someone else's entry voids it
    (:func:`void_result`, with a reason). The reason is optional; the row and
    its audit entry ("result.withdraw") stay.
    """
    result = _load_for_change(session, actor, result_id, expected_version)
    if result.person_id != actor.person_id:
        raise PermissionDenied("you can only withdraw your own entries; void someone else's with a reason")
    reason = _reason(reason, required=False)
    before = audit.snapshot(result)
    result.status = Status.VOIDED
    result.decision_reason = reason or WITHDRAWN
    result.decided_by_id = actor.person_id
    result.decided_at = now or periods.now_utc()
    session.flush()
    audit.record(session, actor, "result.withdraw", "result", result.id, before, audit.snapshot(result), reason or None)
    return result


def void_result(session: Session, actor: Actor, result_id: int, expected_version: int, reason: str) -> Result:
    """Withdraw an entry: it stops counting but stays in the audit log."""
    result = _load_for_change(session, actor, result_id, expected_version)
    reason = _reason(reason, required=True)
    if result.status is Status.VOIDED:
        raise ValidationError.single("status", "this entry is already voided")
    before = audit.snapshot(result)
    result.status = Status.VOIDED
    result.decision_reason = reason
    result.decided_by_id = actor.person_id
    result.decided_at = periods.now_utc()
    session.flush()
    audit.record(session, actor, "result.void", "result", result.id, before, audit.snapshot(result), reason)
    return result


def _reason(reason: str | None, *, required: bool) -> str:
    try:
        cleaned = text.clean(reason or "", "reason", text.NOTE_MAX)
    except text.TextProblem as e:
        raise ValidationError([e.problem]) from None
    if required and not cleaned:
        raise ValidationError.single("reason", "is required, so the person knows why")
    return cleaned


@dataclass
class Decisions:
    """What a bulk decision did: ids decided, and ids left alone with why."""

    decided: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def decide(session: Session, actor: Actor, result_ids: Sequence[int], approve: bool, reason: str = "") -> Decisions:
    """Approve or reject pending entries credited to the actor's team (leads) or anyone's (admins).

    A rejection needs a reason. Nobody decides on their own entry: a lead's own
    entries are decided by another lead of the site (of any of its teams) or an
    admin. Each entry changes at most once even if two people decide at the
    same moment: the update only matches rows that are still pending, and the
    second decider is told they were already decided.
    """
    require(actor, Role.LEAD, Role.ADMIN)
    reason = _reason(reason, required=not approve)
    outcome = Decisions()
    query = select(Result.id, Result.status, Result.person_id, _in_scope(actor).label("in_scope"))
    query = query.join(Person, Person.id == Result.person_id).outerjoin(Team, Team.id == Result.team_id)
    rows = session.execute(query.where(Result.id.in_(list(result_ids)))).all()
    found = {row.id: row for row in rows}
    if actor.role is Role.LEAD and not all(row.in_scope for row in rows):
        # Refuse the whole batch before deciding any of it, not half-way through.
        raise PermissionDenied("you can only decide on entries credited to your own team")
    now = periods.now_utc()
    # In id order: two deciders locking the same rows in opposite orders would deadlock on PostgreSQL.
    for result_id in sorted(set(result_ids)):
        row = found.get(result_id)
        if row is None:
            outcome.skipped[result_id] = "no such entry"
        elif row.status is not Status.PENDING:
            outcome.skipped[result_id] = f"already {row.status.value}"
        elif row.person_id == actor.person_id:
            outcome.skipped[result_id] = f"your own entry; {WAITS_FOR_ANOTHER}"
        else:
            _decide_one(session, actor, result_id, approve, reason, now, outcome)
    return outcome


def _in_scope(actor: Actor) -> ColumnElement[bool]:
    """Whether a lead may decide an entry (in a query joining its person and its credited team).

    Entries credited to the lead's team, and the pending entries of the site's
    other leads, which no lead may decide on their own. Admins decide any.
    """
    if actor.role is Role.ADMIN:
        return true()
    if actor.team_id is None:
        return false()
    lead_team = Team.__table__.alias("lead_team")
    own_site = select(lead_team.c.site_id).where(lead_team.c.id == actor.team_id).scalar_subquery()
    other_lead = (Person.role == Role.LEAD) & (Person.id != actor.person_id) & (Team.site_id == own_site)
    return or_(Result.team_id == actor.team_id, other_lead)


def _decide_one(
    session: Session, actor: Actor, result_id: int, approve: bool, reason: str, now: datetime, outcome: Decisions
) -> None:
    status = Status.APPROVED if approve else Status.REJECTED
    statement = (
        update(Result)
        .where(Result.id == result_id, Result.status == Status.PENDING)
        .values(
            status=status,
            decided_by_id=actor.person_id,
            decided_at=now,
            decision_reason=reason or None,
            version=Result.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    changed = cast(CursorResult[Any], session.execute(statement)).rowcount
    if not changed:
        outcome.skipped[result_id] = "already decided by someone else"
        return
    outcome.decided.append(result_id)
    audit.record(
        session,
        actor,
        "result.approve" if approve else "result.reject",
        "result",
        result_id,
        {"status": Status.PENDING.value},
        {"status": status.value},
        reason or None,
    )
    notices.decision(session, result_id, actor.name if actor.person_id is not None else None, now)


# -- reading entries -------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    id: int
    person_id: int
    person: str
    email: str
    team: str | None
    challenge: str
    challenge_slug: str
    unit: str
    quantity: float
    occurred_on: date
    note: str
    status: Status
    organisation: str | None
    activity_type: str | None
    logged_at: datetime
    logged_by: str | None
    decision_reason: str | None
    version: int
    duplicate_of: int | None = None  # an earlier entry this one repeats (same person, challenge, day, amount)
    daily_cap: float | None = None  # the challenge's cap, set only when the day's entries go above it
    day_amount: float | None = None  # the person's amount that day with this entry, when above the cap


def _entries_query() -> Select[Result, Person, Challenge, str | None, str | None]:
    """Entries with their person, challenge, the team they are credited to and who logged them."""
    logger = Person.__table__.alias("logger")
    return (
        select(Result, Person, Challenge, Team.name, logger.c.email)
        .join(Person, Person.id == Result.person_id)
        .join(Challenge, Challenge.id == Result.challenge_id)
        .outerjoin(Team, Team.id == Result.team_id)
        .outerjoin(logger, logger.c.id == Result.logged_by_id)
    )


def _entry(
    row: Row[Result, Person, Challenge, str | None, str | None],
    duplicate_of: int | None = None,
    day_amount: float | None = None,
) -> Entry:
    result, person, challenge, team, logged_by = row[:5]
    return Entry(
        result.id,
        person.id,
        person.name,
        person.email,
        team,
        challenge.name,
        challenge.slug,
        challenge.unit,
        result.quantity,
        result.occurred_on,
        result.note,
        result.status,
        result.organisation,
        result.activity_type,
        result.logged_at,
        logged_by,
        result.decision_reason,
        result.version,
        duplicate_of,
        challenge.daily_cap if day_amount is not None else None,
        day_amount,
    )


def entries_for_person(session: Session, actor: Actor, person_id: int, limit: int = 20) -> list[Entry]:
    """A person's most recent entries with their status: all of them for themself and admins.

    A lead sees only those credited to their team, and only for someone who is
    or was a member of it.
    """
    query = _entries_query().where(Result.person_id == person_id)
    if actor.person_id != person_id:
        require(actor, Role.LEAD, Role.ADMIN)
        if actor.role is Role.LEAD:
            _require_member_once(session, actor, person_id)
            query = query.where(Result.team_id == actor.team_id)
    query = query.order_by(Result.logged_at.desc(), Result.id.desc()).limit(limit)
    return [_entry(row) for row in session.execute(query).unique()]


def _require_member_once(session: Session, actor: Actor, person_id: int) -> None:
    member = select(Membership.id).where(Membership.person_id == person_id, Membership.team_id == actor.team_id)
    if actor.team_id is None or session.scalar(member.limit(1)) is None:
        raise PermissionDenied("you can only see entries of your own team")


def team_entries(
    session: Session, actor: Actor, team_id: int | None, start: date, end: date, limit: int = 500
) -> list[Entry]:
    """Entries credited to a team in a period (leads: own team; admins: any, or all with ``team_id`` None).

    Credited, not "of today's members": a person's entries from before they
    joined stay with the team they were earned in, and leave with nobody.
    """
    require(actor, Role.LEAD, Role.ADMIN)
    if actor.role is Role.LEAD and (team_id is None or team_id != actor.team_id):
        raise PermissionDenied("you can only see entries of your own team")
    query = _entries_query().where(Result.occurred_on.between(start, end))
    if team_id is not None:
        # Through the people who were ever members: each one's days are read from ix_results_person_day.
        members = select(Membership.person_id).where(Membership.team_id == team_id)
        query = query.where(Result.team_id == team_id, Result.person_id.in_(members))
    query = query.order_by(Result.occurred_on.desc(), Result.id.desc()).limit(limit)
    return [_entry(row) for row in session.execute(query).unique()]


def pending_entries(session: Session, actor: Actor, team_id: int | None = None, limit: int = 500) -> list[Entry]:
    """Entries waiting for this actor's decision, oldest first, each flagged if it looks like a repeat.

    Leads see those credited to their own team and the pending entries of the
    site's other leads; admins everyone's (or those credited to one team).
    Nobody sees their own here: :func:`own_pending_entries` lists them, as
    waiting for someone else.
    """
    require(actor, Role.LEAD, Role.ADMIN)
    query = _entries_query().where(PENDING)
    if actor.person_id is not None:
        query = query.where(Result.person_id != actor.person_id)
    if actor.role is Role.LEAD:
        query = query.where(_in_scope(actor))
    elif team_id is not None:
        query = query.where(Result.team_id == team_id)
    query = query.add_columns(_duplicate_of().label("duplicate_of"), _day_amount_over_cap().label("day_amount"))
    rows = session.execute(query.order_by(Result.logged_at, Result.id).limit(limit)).unique().all()
    return [_entry(row, row.duplicate_of, row.day_amount) for row in rows]


def own_pending_entries(session: Session, actor: Actor, limit: int = 100) -> list[Entry]:
    """The actor's own entries still waiting for a decision, which someone else takes; oldest first.

    The person may still correct (:func:`edit_result`) or withdraw (:func:`withdraw_result`) each of them.
    """
    require(actor, *LOGGERS)
    query = _entries_query().where(PENDING, Result.person_id == actor.person_id)
    return [_entry(row) for row in session.execute(query.order_by(Result.logged_at, Result.id).limit(limit))]


def _same_entry(
    twin: type[Result], person_id: object, challenge_id: object, occurred_on: object, quantity: object
) -> ColumnElement[bool]:
    """Whether ``twin`` is a live entry (pending or approved) of the same person, challenge, day and amount."""
    return (
        (twin.person_id == person_id)
        & (twin.challenge_id == challenge_id)
        & (twin.occurred_on == occurred_on)
        & (func.abs(twin.quantity - quantity) < SAME_AMOUNT)
        & twin.status.in_([Status.PENDING, Status.APPROVED])
    )


def _duplicate_of() -> ColumnElement[int | None]:
    """Per queued entry: the first live entry logged before it with the same person, challenge, day and amount."""
    twin = aliased(Result, name="twin")
    same = _same_entry(twin, Result.person_id, Result.challenge_id, Result.occurred_on, Result.quantity)
    return select(func.min(twin.id)).where(same, twin.id < Result.id).scalar_subquery()


def _day_amount_over_cap() -> ColumnElement[float | None]:
    """Per queued entry: the person's live amount for its challenge and day, if it is above the daily cap.

    Live means pending or approved, this entry included: the lead sees, before
    approving, that only the cap of that day will earn points.
    """
    day = aliased(Result, name="same_day")
    amount = (
        select(func.sum(day.quantity))
        .where(
            day.person_id == Result.person_id,
            day.challenge_id == Result.challenge_id,
            day.occurred_on == Result.occurred_on,
            day.status.in_([Status.PENDING, Status.APPROVED]),
        )
        .scalar_subquery()
    )
    above = Challenge.daily_cap.is_not(None) & (amount > Challenge.daily_cap + SAME_AMOUNT)
    return case((above, amount), else_=None)


def find_duplicate(session: Session, actor: Actor, data: ResultInput) -> int | None:
    """The id of a stored entry that ``data`` would repeat (same person, challenge, day, amount), or None.

    Asked before saving, so a form can warn and let the person confirm: a
    second identical entry is allowed (two equal runs in a day happen), just
    never by accident. Agents ask only about themselves; a lead sees only
    entries credited to their team (and their own), an admin any.
    """
    require(actor, *LOGGERS)
    if actor.role is Role.AGENT and data.person_id != actor.person_id:
        raise PermissionDenied("agents can only log their own activity")
    query = select(func.min(Result.id)).where(
        _same_entry(Result, data.person_id, data.challenge_id, data.occurred_on, data.quantity)
    )
    if data.ref is not None:  # the same form sent twice (a double click) is handed back, not repeated
        query = query.where(or_(Result.ref.is_(None), Result.ref != data.ref))
    if actor.role is Role.LEAD and data.person_id != actor.person_id:
        query = query.where(Result.team_id == actor.team_id)
    return session.scalar(query)


def flags(entry: Entry) -> list[str]:
    """What a lead should check before deciding an entry, in words: a repeat, or a day above the cap."""
    found = []
    if entry.duplicate_of is not None:
        found.append(f"Possible duplicate of entry #{entry.duplicate_of}")
    if entry.daily_cap is not None and entry.day_amount is not None:
        cap, day = amounts.in_words(entry.daily_cap, entry.unit), amounts.in_words(entry.day_amount, entry.unit)
        others = "" if abs(entry.day_amount - entry.quantity) < SAME_AMOUNT else " that day with their other entries"
        found.append(f"Above the daily cap of {cap}: {day}{others} (only {cap} earn points)")
    return found


def pending_count(session: Session, actor: Actor, team_id: int | None = None) -> int:
    """How many entries wait for this lead or admin: exactly those :func:`pending_entries` lists (up to its page)."""
    if actor.role not in (Role.LEAD, Role.ADMIN):
        return 0
    query = select(func.count()).select_from(Result).where(PENDING)
    if actor.person_id is not None:
        query = query.where(Result.person_id != actor.person_id)
    if actor.role is Role.LEAD:
        query = query.join(Person, Person.id == Result.person_id).outerjoin(Team, Team.id == Result.team_id)
        query = query.where(_in_scope(actor))
    elif team_id is not None:  # everyone's count reads the pending index alone, one team's ix_results_pending_team
        query = query.where(Result.team_id == team_id)
    return session.scalar(query) or 0


def volunteering_breakdown(session: Session, challenge_id: int) -> list[tuple[str, str, float]]:
    """Approved hours of a volunteering challenge by activity type and organisation."""
    rows = session.execute(
        select(
            func.coalesce(Result.activity_type, "unspecified"),
            func.coalesce(Result.organisation, "unspecified"),
            func.sum(Result.quantity),
        )
        .where(Result.challenge_id == challenge_id, APPROVED)
        .group_by(Result.activity_type, Result.organisation)
        .order_by(func.sum(Result.quantity).desc())
    ).all()
    return [(a, o, float(h)) for a, o, h in rows]
