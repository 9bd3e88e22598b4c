"""Company goals across challenges: "10,000 trees by 31 December 2026", with progress and pace in words.

A goal counts one of the Impact report's company figures (trees planted,
volunteer hours, kWh saved, or the kg CO2e those kWh avoided) over its own
period, read through :func:`engagement.impact.company_total`: every approved
entry of the period, of active and former colleagues alike, as the report
counts it, so a goal and the report for the same days agree to the last digit.

Pace compares the figure with a steady share of the target: by today, the
days of the period already over (today is not over yet) times the target over
the period's days. So the first day expects nothing, and the day after the
end expects the whole target. Lines say where a goal stands in words
("on pace", "behind by 380 trees", "reached", "not reached"), never in colour
alone.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CompanyGoal, GoalMeasure, Role
from engagement import amounts, audit, impact, text
from engagement.access import Actor, require
from engagement.errors import Conflict, NotFound, Problem, ValidationError
from engagement.periods import long_date

__all__ = ["GoalInput", "GoalMeasure", "GoalProgress", "Pace", "create_goal", "list_goals", "retire_goal"]

UNITS = {
    GoalMeasure.TREES: amounts.TREES,
    GoalMeasure.VOLUNTEER_HOURS: amounts.HOURS,
    GoalMeasure.KWH: amounts.KWH,
    GoalMeasure.KG_CO2E: amounts.KG_CO2E,
}
LABELS = {
    GoalMeasure.TREES: "Trees planted",
    GoalMeasure.VOLUNTEER_HOURS: "Volunteer hours",
    GoalMeasure.KWH: "Energy saved (kWh)",
    GoalMeasure.KG_CO2E: "CO2e avoided by energy saved (kg)",
}
LONGEST_DAYS = 10 * 366  # a goal is for a year or a few, not for ever


class Pace(enum.StrEnum):
    UPCOMING = "upcoming"
    ON_PACE = "on pace"
    BEHIND = "behind"
    REACHED = "reached"
    NOT_REACHED = "not reached"


@dataclass(frozen=True)
class GoalInput:
    name: str
    measure: GoalMeasure
    target: float
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class GoalProgress:
    """One goal as shown on a given day: exact figures (fractions) and the line that says where it stands."""

    id: int
    name: str
    measure: GoalMeasure
    target: Fraction
    starts_on: date
    ends_on: date
    done: Fraction
    expected: Fraction | None  # None before the start
    pace: Pace
    line: str
    version: int

    @property
    def unit(self) -> str:
        return UNITS[self.measure]


def check_goal(data: GoalInput) -> list[Problem]:
    """Every problem with ``data`` on its own, named by field."""
    problems: list[Problem] = []
    try:
        if not text.clean(data.name, "name", text.NAME_MAX):
            problems.append(Problem("name", "is required, such as '10,000 trees by the end of 2026'"))
    except text.TextProblem as e:
        problems.append(e.problem)
    if not isinstance(data.measure, GoalMeasure):
        problems.append(Problem("measure", "must be trees, volunteer hours, kWh or kg CO2e"))
    target = data.target
    if not isinstance(target, (int, float)) or not math.isfinite(target) or target <= 0:
        problems.append(Problem("target", "must be a number greater than 0"))
    elif target >= amounts.HUGE:
        problems.append(Problem("target", "is too large to be a goal; check the number"))
    elif data.measure is GoalMeasure.TREES and target != int(target):
        problems.append(
            Problem("target", f"trees are counted whole: use a whole number ({amounts.number(target)} is not)")
        )
    if data.ends_on < data.starts_on:
        problems.append(Problem("ends_on", f"is before the start ({data.starts_on.isoformat()})"))
    elif (data.ends_on - data.starts_on).days >= LONGEST_DAYS:
        problems.append(Problem("ends_on", "is more than ten years after the start; choose a nearer end"))
    return problems


def _apply(goal: CompanyGoal, data: GoalInput) -> None:
    goal.name = text.clean(data.name, "name", text.NAME_MAX)
    goal.measure = data.measure
    goal.target = float(data.target)
    goal.starts_on = data.starts_on
    goal.ends_on = data.ends_on


def create_goal(session: Session, actor: Actor, data: GoalInput) -> CompanyGoal:
    """Add a company goal (admins only), audited."""
    require(actor, Role.ADMIN)
    problems = check_goal(data)
    if problems:
        raise ValidationError(problems)
    goal = CompanyGoal()
    _apply(goal, data)
    session.add(goal)
    session.flush()
    audit.record(session, actor, "goal.create", "company_goal", goal.id, None, audit.snapshot(goal))
    return goal


def _opened(session: Session, goal_id: int, expected_version: int) -> CompanyGoal:
    goal = session.get(CompanyGoal, goal_id)
    if goal is None or goal.retired_at is not None:
        raise NotFound(f"no current goal with id {goal_id}")
    if goal.version != expected_version:
        raise Conflict(f"the goal {goal.name!r} was changed by someone else since you opened it; reload and try again")
    return goal


def update_goal(session: Session, actor: Actor, goal_id: int, expected_version: int, data: GoalInput) -> CompanyGoal:
    """Change a goal's name, measure, target or dates (admins only), refused if someone else changed it first."""
    require(actor, Role.ADMIN)
    goal = _opened(session, goal_id, expected_version)
    problems = check_goal(data)
    if problems:
        raise ValidationError(problems)
    before = audit.snapshot(goal)
    _apply(goal, data)
    session.flush()
    audit.record(session, actor, "goal.update", "company_goal", goal.id, before, audit.snapshot(goal))
    return goal


def retire_goal(session: Session, actor: Actor, goal_id: int, expected_version: int, now: datetime) -> CompanyGoal:
    """Stop showing a goal anywhere (admins only); the row and its audit trail stay."""
    require(actor, Role.ADMIN)
    goal = _opened(session, goal_id, expected_version)
    before = audit.snapshot(goal)
    goal.retired_at = now.astimezone(UTC)
    session.flush()
    audit.record(session, actor, "goal.retire", "company_goal", goal.id, before, audit.snapshot(goal))
    return goal


def list_goals(session: Session, actor: Actor, today: date) -> list[GoalProgress]:
    """The current goals as they stand on ``today`` (the organisation's day): running and coming first.

    Ended goals follow, latest first, until an admin retires them. Everyone may read them.
    """
    require(actor, *Role)
    rows = session.scalars(select(CompanyGoal).where(CompanyGoal.retired_at.is_(None))).all()
    shown = [_progress(session, actor, goal, today) for goal in rows]
    running = sorted((g for g in shown if g.ends_on >= today), key=lambda g: (g.ends_on, g.name.casefold()))
    ended = sorted((g for g in shown if g.ends_on < today), key=lambda g: (g.ends_on, g.name.casefold()), reverse=True)
    return running + ended


def _progress(session: Session, actor: Actor, goal: CompanyGoal, today: date) -> GoalProgress:
    """``goal`` on ``today``: the Impact report's company figure for the goal's period, its pace and its line."""
    total = impact.company_total(session, actor, goal.starts_on, goal.ends_on)
    done: Fraction = getattr(total, goal.measure.value)
    target = Fraction(repr(goal.target))
    expected = expected_by(target, goal.starts_on, goal.ends_on, today)
    pace, line = standing(done, target, expected, goal.measure, goal.starts_on, goal.ends_on, today)
    return GoalProgress(
        goal.id, goal.name, goal.measure, target, goal.starts_on, goal.ends_on, done, expected, pace, line, goal.version
    )


def expected_by(target: Fraction, starts_on: date, ends_on: date, today: date) -> Fraction | None:
    """What a steady pace has reached by the start of ``today``: target × the share of the period's days over.

    None before the period starts; the whole target once it has ended.
    """
    if today < starts_on:
        return None
    days = (ends_on - starts_on).days + 1
    over = min((today - starts_on).days, days)
    return target * Fraction(over, days)


def standing(
    done: Fraction,
    target: Fraction,
    expected: Fraction | None,
    measure: GoalMeasure,
    starts_on: date,
    ends_on: date,
    today: date,
) -> tuple[Pace, str]:
    """Where a goal stands, and the line saying so: "on pace (6,120 of 10,000 trees; 5,900 expected by today)"."""
    unit = UNITS[measure]
    of = f"{amounts.figure(done, unit)} of {amounts.in_words(float(target), unit)}"
    if expected is None:
        return Pace.UPCOMING, f"starts on {long_date(starts_on)}"
    if today > ends_on:
        if done >= target:
            return Pace.REACHED, f"reached ({of})"
        return Pace.NOT_REACHED, f"not reached ({of}; ended on {long_date(ends_on)})"
    if done >= target:
        return Pace.REACHED, f"reached ({of}), with {amounts.count((ends_on - today).days + 1, 'days')} to go"
    by_today = f"{amounts.figure(expected, unit)} expected by today"
    short = expected - done
    if short <= 0 or _shows_as_nothing(short, unit):
        return Pace.ON_PACE, f"on pace ({of}; {by_today})"
    return Pace.BEHIND, f"behind by {amounts.in_words(float(short), unit)} ({of}; {by_today})"


def _shows_as_nothing(value: Fraction, unit: str) -> bool:
    """Whether ``value`` is shown as zero ("0 trees", "0 minutes"): "behind by 0 trees" would say nothing."""
    if unit == amounts.HOURS:
        return amounts.minutes_from_hours(float(value)) == 0
    return amounts.rounded(value, amounts.PLACES[unit]) == 0
