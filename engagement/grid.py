"""Bulk entry for a whole team: one row per member, one quantity column per challenge.

A lead fills in the roster for one day and saves it in one go. Cells are matched
to people by person id, never by their position in the table, and the roster the
lead saw must still be the team's roster when they save: otherwise a number
typed against one person could land on another, so the save is refused.
Every cell is checked first; the entries are written in one transaction or not
at all, and each problem names the person and the column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Challenge, Kind, Person, Role
from engagement import amounts, organisation, results
from engagement.access import Actor, require, require_team
from engagement.errors import Conflict, Problem, ValidationError

SOURCE = "grid"
ROSTER_CHANGED = "the roster changed; re-check your entries"


@dataclass(frozen=True)
class GridColumn:
    """One quantity column: what the lead types, and how it becomes the challenge's unit.

    Volunteering is typed in minutes (as on the single-entry form) and stored in hours.
    """

    challenge_id: int
    label: str
    unit: str
    volunteering: bool

    def quantity(self, typed: float) -> float:
        """The typed number in the challenge's own unit."""
        return amounts.hours_from_minutes(typed) if self.volunteering else typed


@dataclass(frozen=True)
class GridRow:
    """What the lead typed for one person; a ``None`` or NaN cell means nothing to log."""

    person_id: int
    cells: Mapping[int, float | None]
    note: str = ""
    organisation: str | None = None
    activity_type: str | None = None


def grid_columns(challenges: Sequence[Challenge]) -> list[GridColumn]:
    """A column per challenge, labelled with the unit to type (minutes for volunteering)."""
    columns = []
    for c in challenges:
        volunteering = c.kind is Kind.VOLUNTEERING
        unit = "minutes" if volunteering else c.unit
        columns.append(GridColumn(c.id, f"{c.name} ({unit})", unit, volunteering))
    return columns


def is_blank(value: float | None) -> bool:
    """Blank and 0 cells log nothing: a lead fills in only who did something."""
    return value is None or math.isnan(value) or value == 0


def record_grid(
    session: Session,
    actor: Actor,
    team_id: int,
    roster_ids: Sequence[int],
    day: date,
    columns: Sequence[GridColumn],
    rows: Sequence[GridRow],
    *,
    ref: str,
    now: datetime | None = None,
) -> results.Recorded:
    """Store every filled cell as an approved entry for ``day``, all or none.

    ``roster_ids`` are the people the table was drawn with; if the team's active
    members are no longer exactly those, :class:`Conflict` is raised and nothing
    is written. ``ref`` identifies this form: pressing Save twice stores each
    entry once. Leads save for their own team, admins for any.
    """
    require(actor, Role.LEAD, Role.ADMIN)
    require_team(actor, team_id)
    drawn = set(roster_ids)
    if drawn != organisation.active_member_ids(session, [team_id]) or any(r.person_id not in drawn for r in rows):
        raise Conflict(ROSTER_CHANGED)
    names: dict[int, str] = {
        pid: name for pid, name in session.execute(select(Person.id, Person.name).where(Person.id.in_(drawn)))
    }
    entries, where = _entries(columns, rows, day, ref)
    if not entries:
        raise ValidationError.single("table", "every cell is blank; type a quantity for at least one person")
    try:
        return results.record_results(
            session, actor, entries, source=SOURCE, row_numbers=list(range(len(entries))), now=now
        )
    except ValidationError as e:
        raise ValidationError(_named(p, where, names) for p in e.problems) from None


def _entries(
    columns: Sequence[GridColumn], rows: Sequence[GridRow], day: date, ref: str
) -> tuple[list[results.ResultInput], list[tuple[int, GridColumn]]]:
    """The entries to store, and for each the (person, column) it came from."""
    entries: list[results.ResultInput] = []
    where: list[tuple[int, GridColumn]] = []
    for row in rows:
        for column in columns:
            typed = row.cells.get(column.challenge_id)
            if typed is None or is_blank(typed):
                continue
            entries.append(
                results.ResultInput(
                    person_id=row.person_id,
                    challenge_id=column.challenge_id,
                    quantity=column.quantity(typed),
                    occurred_on=day,
                    note=row.note or "",
                    organisation=(row.organisation or None) if column.volunteering else None,
                    activity_type=(row.activity_type or None) if column.volunteering else None,
                    ref=f"{ref}:{row.person_id}:{column.challenge_id}",
                )
            )
            where.append((row.person_id, column))
    return entries, where


FIELD_LABELS = {"occurred_on": "Day", "note": "Note", "organisation": "Organisation", "activity_type": "Activity"}


def _named(problem: Problem, where: Sequence[tuple[int, GridColumn]], names: Mapping[int, str]) -> Problem:
    """Name the person and the column a cell's problem came from, as the lead sees them."""
    if problem.row is None:
        return problem
    person_id, column = where[problem.row]
    about_column = problem.field in ("quantity", "challenge")
    label = column.label if about_column else FIELD_LABELS.get(problem.field, problem.field)
    return Problem(f"{names.get(person_id, f'person {person_id}')}, {label}", problem.message)
