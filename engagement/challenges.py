"""Challenges: what people can log, in which unit, for how many points, when.

Units follow the kind: energy in kWh saved, trees in whole trees planted,
volunteering in hours (typed in minutes on the forms and the grid: 15 minutes
is stored as 0.25 hours, see :mod:`engagement.amounts`). A challenge takes new
entries from its first day until :data:`LATE_DAYS` after its last
(:func:`late_entry_problem`), on every path.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Challenge, Kind
from engagement import amounts, audit, text
from engagement.access import Actor, Role, require
from engagement.errors import Conflict, NotFound, Problem, ValidationError

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
UNITS = {Kind.ENERGY: amounts.KWH, Kind.TREES: amounts.TREES, Kind.VOLUNTEERING: amounts.HOURS}
LATE_DAYS = 14  # a challenge that ended this recently still takes late entries from agents and leads
ACTIVITY_TYPES = (
    "tutoring",
    "mentoring",
    "interpreting",
    "visual assistance",
    "crisis line",
    "transcription",
    "other",
)


@dataclass(frozen=True)
class ChallengeInput:
    slug: str
    name: str
    kind: Kind
    points_per_unit: float
    starts_on: date
    ends_on: date
    unit: str | None = None
    daily_cap: float | None = None
    team_target: float | None = None
    auto_approve_up_to: float | None = None
    description: str = ""


def check_challenge(data: ChallengeInput) -> list[Problem]:
    """Every problem with ``data`` on its own."""
    problems: list[Problem] = []
    if not SLUG.match(data.slug or ""):
        problems.append(Problem("slug", "use 1-60 lower-case letters, digits and hyphens (e.g. home-energy-2026)"))
    for name, limit, multiline in (("name", text.NAME_MAX, False), ("description", 2000, True)):
        try:
            cleaned = text.clean(getattr(data, name), name, limit, multiline=multiline)
            if name == "name" and not cleaned:
                problems.append(Problem("name", "is required"))
        except text.TextProblem as e:
            problems.append(e.problem)
    if data.unit is not None and data.unit.strip() and data.unit.strip() != UNITS[data.kind]:
        article = "an" if data.kind is Kind.ENERGY else "a"
        problems.append(Problem("unit", f"{article} {data.kind.value} challenge is measured in {UNITS[data.kind]}"))
    for name in ("points_per_unit", "daily_cap", "team_target", "auto_approve_up_to"):
        value = getattr(data, name)
        if value is None and name != "points_per_unit":
            continue
        if value is None or not math.isfinite(value) or value <= 0:
            problems.append(Problem(name, "must be a number greater than 0"))
        elif name != "points_per_unit" and data.kind is Kind.TREES and not is_whole(value):
            problems.append(Problem(name, f"{TREES_WHOLE} ({amounts.number(value)} is not)"))
    if data.ends_on < data.starts_on:
        problems.append(Problem("ends_on", f"is before starts_on ({data.starts_on.isoformat()})"))
    return problems


def _cleaned(data: ChallengeInput) -> dict[str, object]:
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    values["name"] = text.clean(data.name, "name", text.NAME_MAX)
    values["description"] = text.clean(data.description, "description", 2000, multiline=True)
    values["unit"] = UNITS[data.kind]
    return values


def create_challenge(session: Session, actor: Actor, data: ChallengeInput) -> Challenge:
    """Add a challenge (admins only); slugs are unique."""
    require(actor, Role.ADMIN)
    problems = check_challenge(data)
    if problems:
        raise ValidationError(problems)
    if session.scalar(select(Challenge.id).where(Challenge.slug == data.slug)) is not None:
        raise ValidationError.single("slug", f"a challenge called {data.slug!r} already exists")
    challenge = Challenge(**_cleaned(data))
    session.add(challenge)
    session.flush()
    audit.record(session, actor, "challenge.create", "challenge", challenge.id, None, audit.snapshot(challenge))
    return challenge


def update_challenge(
    session: Session, actor: Actor, challenge_id: int, expected_version: int, data: ChallengeInput
) -> Challenge:
    """Change a challenge's rules (admins only); the slug and kind stay as they are."""
    require(actor, Role.ADMIN)
    challenge = get_challenge(session, challenge_id)
    if challenge.version != expected_version:
        raise Conflict(f"{challenge.name} was changed by someone else since you opened it; reload and try again")
    data = replace(data, slug=challenge.slug, kind=challenge.kind)
    problems = check_challenge(data)
    if problems:
        raise ValidationError(problems)
    before = audit.snapshot(challenge)
    for key, value in _cleaned(data).items():
        setattr(challenge, key, value)
    session.flush()
    audit.record(session, actor, "challenge.update", "challenge", challenge.id, before, audit.snapshot(challenge))
    return challenge


def close_challenge(session: Session, actor: Actor, challenge_id: int, on: date) -> Challenge:
    """End a challenge early, on ``on`` (admins only): nothing after that day can be logged."""
    require(actor, Role.ADMIN)
    challenge = get_challenge(session, challenge_id)
    if on < challenge.starts_on:
        raise ValidationError.single("ends_on", f"cannot close before the challenge starts ({challenge.starts_on})")
    before = audit.snapshot(challenge)
    challenge.ends_on = min(challenge.ends_on, on)
    session.flush()
    audit.record(session, actor, "challenge.close", "challenge", challenge.id, before, audit.snapshot(challenge))
    return challenge


def get_challenge(session: Session, challenge_id: int) -> Challenge:
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        raise NotFound(f"no challenge with id {challenge_id}")
    return challenge


def by_slug(session: Session, slug: str) -> Challenge:
    challenge = session.scalar(select(Challenge).where(Challenge.slug == slug.strip()))
    if challenge is None:
        raise NotFound(f"no challenge called {slug!r}")
    return challenge


def list_challenges(session: Session, *, open_on: date | None = None) -> list[Challenge]:
    """All challenges, newest first; with ``open_on``, only those running that day."""
    query = select(Challenge).order_by(Challenge.starts_on.desc(), Challenge.name)
    if open_on is not None:
        query = query.where(Challenge.starts_on <= open_on, Challenge.ends_on >= open_on)
    return list(session.scalars(query))


TREES_WHOLE = "trees are counted whole: use a whole number such as 1 or 12"


def is_whole(value: float) -> bool:
    """Whether ``value`` is a whole number (trees are planted one by one)."""
    return math.isfinite(value) and value == int(value)


def last_entry_day(challenge: Challenge) -> date:
    """The last day new entries are taken: :data:`LATE_DAYS` after the challenge ends, for late reporters."""
    return challenge.ends_on + timedelta(days=LATE_DAYS)


def takes_entries_on(challenge: Challenge, today: date) -> bool:
    """Whether ``challenge`` takes new entries ``today``: from its first day to :func:`last_entry_day`."""
    return challenge.starts_on <= today <= last_entry_day(challenge)


def late_entry_problem(challenge: Challenge, today: date) -> str | None:
    """Why an entry logged ``today`` is too late for ``challenge``, or None while it still takes them.

    The one statement of the late-entry window: the forms offer only challenges
    that take entries, and the engine refuses the rest with this message on every
    path (one entry, the team grid, a CSV upload).
    """
    if today <= last_entry_day(challenge):
        return None
    return (
        f"{challenge.name} ended on {challenge.ends_on.isoformat()} and took late entries until "
        f"{last_entry_day(challenge).isoformat()} ({LATE_DAYS} days after it ended); it takes no new entries"
    )


class Phase(enum.StrEnum):
    RUNNING = "running"
    UPCOMING = "upcoming"
    ENDED = "ended"


def phase_on(challenge: Challenge, day: date) -> Phase:
    """Whether ``challenge`` is running, upcoming or ended on ``day`` (its window includes both ends)."""
    if day < challenge.starts_on:
        return Phase.UPCOMING
    if day > challenge.ends_on:
        return Phase.ENDED
    return Phase.RUNNING


def by_phase(every: Sequence[Challenge], today: date) -> list[tuple[Challenge, Phase]]:
    """Running ones first (newest first), then coming up (soonest first), then ended (latest first).

    The order people look for them in: what they can log for now, what comes next, what is over.
    """
    phases = {phase: [c for c in every if phase_on(c, today) is phase] for phase in Phase}
    return [
        (c, phase)
        for phase, chosen in phases.items()
        for c in sorted(chosen, key=lambda c: c.starts_on, reverse=phase is not Phase.UPCOMING)
    ]


WHAT_TO_LOG = {
    Kind.ENERGY: "the kWh of energy you saved at home compared with a usual day",
    Kind.TREES: "each tree you planted, as a whole number of trees",
    Kind.VOLUNTEERING: "the time you volunteered, in minutes",
}


def rules_in_words(challenge: Challenge) -> list[str]:
    """The challenge's rules as short plain sentences, with units, for people deciding what to log.

    Mirrors how the rest of the package applies them: the daily cap limits
    points, not impact (see ``leaderboards`` and ``impact``), and only agents'
    own entries above the auto-approve limit wait for their lead.
    """

    def amount(value: float) -> str:
        return amounts.in_words(value, challenge.unit)

    rules = [
        f"What to log: {WHAT_TO_LOG[challenge.kind]}.",
        f"Points: {amounts.in_words(challenge.points_per_unit, 'points')} {amounts.per(challenge.unit)}.",
    ]
    if challenge.daily_cap is not None:
        rules.append(
            f"Daily cap: up to {amount(challenge.daily_cap)} a day per person earn points; "
            "anything above still counts as impact."
        )
    else:
        rules.append("Daily cap: none, every approved amount earns points.")
    if challenge.auto_approve_up_to is not None:
        rules.append(
            f"Approval: entries of up to {amount(challenge.auto_approve_up_to)} are approved at once; "
            "larger ones wait for your team lead."
        )
    else:
        rules.append("Approval: every entry you log waits for your team lead to approve it.")
    rules.append(
        f"When: activity from {challenge.starts_on.isoformat()} to {challenge.ends_on.isoformat()} "
        f"(both days included); late entries are taken until {last_entry_day(challenge).isoformat()}."
    )
    return rules
