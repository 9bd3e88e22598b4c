"""Who may do what. Every engagement function calls one of these checks first.

Roles, widest last:
- agent: logs their own activity (always pending unless auto-approved), corrects
  or withdraws it while it is pending, reads leaderboards and challenges, answers
  and reads their own pulse;
- lead: an agent who also logs, edits, voids, approves and rejects for their own team;
- manager: reads everything in aggregate (morale, impact), writes nothing;
- admin: manages people, teams, challenges, factors, accounts and settings, and
  logs or decides for anyone.

No role can read another person's pulse answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Person, Role
from engagement.errors import PermissionDenied

__all__ = ["SYSTEM", "Actor", "Role", "actor_for_email", "normalise_email", "require", "require_team"]


@dataclass(frozen=True)
class Actor:
    """The person acting, as looked up in the database for this request."""

    person_id: int | None
    email: str
    name: str
    role: Role
    team_id: int | None = None
    site_id: int | None = None

    @property
    def label(self) -> str:
        return self.email

    @classmethod
    def of(cls, person: Person) -> Actor:
        site_id = (
            person.site_id if person.site_id is not None else (person.team.site_id if person.team is not None else None)
        )
        return cls(person.id, person.email, person.name, person.role, person.team_id, site_id)


# The command line is run by whoever holds the database; it acts as an admin
# that is not a person, and the audit log names it "cli".
SYSTEM = Actor(person_id=None, email="cli", name="Command line", role=Role.ADMIN)


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def actor_for_email(session: Session, email: str) -> Actor | None:
    """The active person with this email, or None (unknown or deactivated).

    Emails are stored normalised (every write path goes through
    ``organisation.validate_email``), so the unique index answers this on every
    page rerun; comparing ``lower(email)`` would scan all people.
    """
    person = session.scalars(select(Person).where(Person.email == normalise_email(email), Person.active)).first()
    return Actor.of(person) if person is not None else None


def require(actor: Actor, *roles: Role) -> None:
    """Raise PermissionDenied unless the actor has one of ``roles``."""
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDenied(f"{actor.role.value}s may not do this (allowed: {allowed})")


def require_team(actor: Actor, team_id: int | None) -> None:
    """Admins act on any team; leads only on their own; nobody else on a team."""
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.LEAD and team_id is not None and team_id == actor.team_id:
        return
    raise PermissionDenied("you can only do this for your own team")
