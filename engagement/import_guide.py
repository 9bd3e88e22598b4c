"""What a person needs to fill in a results file: the names it takes, a template that imports, hints.

A results CSV names people by email and challenges by their short name (slug).
Leads do not see the Admin page, so the upload offers them a reference of the
challenges' short names and their own team's emails (and nobody else's), a
template whose sample rows are their real team members and running challenges
(so it imports as it is), and, for a challenge named by its full name or a near
miss, a "did you mean" with the short name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Challenge, Membership, Person, Role
from engagement import periods, settings
from engagement.access import Actor, require, require_team

REFERENCE_MAX = 500  # people or challenges listed at most: a team's roster, the organisation's challenges
SAMPLE_ROWS = 3
SAMPLE_NOTE = "sample row from the template"


@dataclass(frozen=True)
class TeamMember:
    email: str
    name: str
    left_on: date | None  # set for someone who has left: their results up to that day import as history
    active: bool


@dataclass(frozen=True)
class ChallengeName:
    slug: str
    name: str
    unit: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Reference:
    """The names a team's results file takes: its people's emails, and every challenge's short name."""

    people: list[TeamMember]
    challenges: list[ChallengeName]


def reference(session: Session, actor: Actor, team_id: int) -> Reference:
    """The emails of ``team_id``'s people (those who have left too) and the challenges' short names.

    Leads read only their own team, admins any team: the emails of other teams are
    not a lead's to read. Challenges are public (everyone sees the Challenges page).
    """
    require(actor, Role.LEAD, Role.ADMIN)
    require_team(actor, team_id)
    people = session.execute(
        select(Person.email, Person.name, Person.left_on, Person.active)
        .where(Person.team_id == team_id)
        .order_by(Person.active.desc(), Person.name, Person.email)
        .limit(REFERENCE_MAX)
    )
    found = session.execute(
        select(Challenge.slug, Challenge.name, Challenge.unit, Challenge.starts_on, Challenge.ends_on)
        .order_by(Challenge.starts_on.desc(), Challenge.name)
        .limit(REFERENCE_MAX)
    )
    return Reference([TeamMember(*row) for row in people], [ChallengeName(*row) for row in found])


def sample_rows(session: Session, actor: Actor, team_id: int, *, now: datetime | None = None) -> list[dict[str, str]]:
    """Result rows that import as they are for ``team_id``: its members, its running challenges.

    Each row is 1 unit on the member's own today (a day of their zone, inside the
    challenge and their time on the team), up to three rows over different members
    and challenges; a lead's own row is left out while the team has anyone else,
    since it would wait for another lead. No running challenge or no member: no rows.
    """
    require(actor, Role.LEAD, Role.ADMIN)
    require_team(actor, team_id)
    at = now or periods.now_utc()
    org_zone = settings.load(session).zone
    org_today = periods.today(org_zone, at)
    members = session.execute(
        select(Person.id, Person.email, Person.timezone, Membership.valid_from)
        .join(Membership, (Membership.person_id == Person.id) & Membership.valid_to.is_(None))
        .where(Person.team_id == team_id, Person.active, Membership.team_id == team_id)
        .order_by(Person.name, Person.email)
        .limit(REFERENCE_MAX)
    ).all()
    others = [m for m in members if m.id != actor.person_id] or members
    running = session.scalars(
        select(Challenge)
        .where(Challenge.starts_on <= org_today, Challenge.ends_on >= org_today)
        .order_by(Challenge.starts_on.desc(), Challenge.name)
    ).all()
    rows: list[dict[str, str]] = []
    for i in range(min(SAMPLE_ROWS, max(len(others), len(running)) if others and running else 0)):
        member, challenge = others[i % len(others)], running[i % len(running)]
        day = min(periods.today(ZoneInfo(member.timezone) if member.timezone else org_zone, at), challenge.ends_on)
        if day >= max(challenge.starts_on, member.valid_from):  # a zone behind may not have reached the start yet
            rows.append(
                {
                    "email": member.email,
                    "challenge": challenge.slug,
                    "quantity": "1",
                    "occurred_on": day.isoformat(),
                    "note": SAMPLE_NOTE,
                }
            )
    return rows


class ChallengeNames:
    """Every challenge's short and full name, to tell someone who typed a name what its short name is."""

    def __init__(self, session: Session) -> None:
        self.by_name: dict[str, str] = {}
        for slug, name in session.execute(select(Challenge.slug, Challenge.name)):
            self.by_name.setdefault(slug.casefold(), slug)
            self.by_name.setdefault(name.casefold(), slug)

    def unknown(self, typed: str) -> str:
        """The problem with a challenge column naming no slug, with the likeliest short name if one is close."""
        close = difflib.get_close_matches(typed.strip().casefold(), list(self.by_name), n=1, cutoff=0.6)
        hint = f"; did you mean {self.by_name[close[0]]!r}? (challenges are named by their short name)" if close else ""
        return f"no such challenge {typed!r}{hint}"
