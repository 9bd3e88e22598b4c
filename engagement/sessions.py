"""Built-in sign-ins that survive a reload: a random token in the browser, its hash and expiry here.

- :func:`start` (run by :func:`engagement.auth.log_in` when the password is
  right) draws a 256-bit random token, stores only its SHA-256 with the person,
  when it was made and when it expires (the organisation's ``session_hours``
  later), and hands the token back once, for the browser's cookie.
- :func:`resume` accepts a token while its row is neither ended nor expired and
  its person is active, and says who that is; it is a read, so a click costs no
  write. :func:`seen` notes the time a session was last used, at most every
  :data:`SEEN_EVERY`.
- :func:`end` (signing out) and :func:`end_all` (a password change or reset, a
  deactivation) set ``ended_at`` and the reason: from then on the token is
  refused in every tab and on every device, whatever a cookie still holds.

The hash is SHA-256, not argon2: the token is 256 random bits, so there is
nothing to guess, and looking it up must be one indexed read per click.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from db.models import Account, Person, SignInSession
from engagement import periods, settings
from engagement.access import Actor

TOKEN_BYTES = 32
# Longer than any token this module makes; anything longer is refused before hashing.
TOKEN_MAX = 100
SEEN_EVERY = timedelta(minutes=5)
# Ended and expired rows are kept this long as a record, then removed at the person's next sign-in.
KEPT_FOR = timedelta(days=30)


class EndReason(enum.StrEnum):
    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class Opened:
    """A new session: the token for the browser (never stored) and when it stops working."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Resumed:
    """Who a valid token belongs to, read fresh: the person, whether they must change their password."""

    actor: Actor
    must_change: bool
    expires_at: datetime
    seen_due: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, person_id: int, now: datetime | None = None) -> Opened:
    """Open a session for ``person_id`` (whose password was just checked) lasting the organisation's session hours."""
    now = now or periods.now_utc()
    hours = settings.load(session).session_hours
    session.execute(
        delete(SignInSession).where(
            SignInSession.person_id == person_id,
            or_(SignInSession.ended_at < now - KEPT_FOR, SignInSession.expires_at < now - KEPT_FOR),
        )
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + timedelta(hours=hours)
    session.add(
        SignInSession(
            token_hash=hash_token(token),
            person_id=person_id,
            created_at=now,
            expires_at=expires_at,
            last_seen_at=now,
        )
    )
    session.flush()
    return Opened(token, expires_at)


def resume(session: Session, token: str, now: datetime | None = None) -> Resumed | None:
    """The person a token signs in, or None when it is unknown, ended, expired or their account is inactive."""
    if not token or len(token) > TOKEN_MAX:
        return None
    now = now or periods.now_utc()
    row = session.execute(
        select(SignInSession, Person, Account.must_change)
        .join(Person, Person.id == SignInSession.person_id)
        .outerjoin(Account, Account.person_id == SignInSession.person_id)
        .where(
            SignInSession.token_hash == hash_token(token),
            SignInSession.ended_at.is_(None),
            SignInSession.expires_at > now,
            Person.active,
        )
    ).first()
    if row is None:
        return None
    record, person, must_change = row
    return Resumed(Actor.of(person), bool(must_change), record.expires_at, now - record.last_seen_at >= SEEN_EVERY)


def seen(session: Session, token: str, now: datetime | None = None) -> None:
    """Note that the session was used now (shown to nobody yet: a record of when it was last in use)."""
    session.execute(
        update(SignInSession)
        .where(SignInSession.token_hash == hash_token(token), SignInSession.ended_at.is_(None))
        .values(last_seen_at=now or periods.now_utc())
    )


def end(session: Session, token: str, reason: EndReason = EndReason.SIGNED_OUT, now: datetime | None = None) -> bool:
    """End one session (signing out); True when it was still open."""
    if not token or len(token) > TOKEN_MAX:
        return False
    statement = (
        update(SignInSession)
        .where(SignInSession.token_hash == hash_token(token), SignInSession.ended_at.is_(None))
        .values(ended_at=now or periods.now_utc(), end_reason=reason.value)
    )
    return bool(cast(CursorResult[Any], session.execute(statement)).rowcount)


def end_all(
    session: Session, person_id: int, reason: EndReason, now: datetime | None = None, *, keep: str | None = None
) -> int:
    """End every open session of a person, except the one whose token is ``keep``; how many were ended."""
    query = update(SignInSession).where(SignInSession.person_id == person_id, SignInSession.ended_at.is_(None))
    if keep:
        query = query.where(SignInSession.token_hash != hash_token(keep))
    statement = query.values(ended_at=now or periods.now_utc(), end_reason=reason.value)
    return cast(CursorResult[Any], session.execute(statement)).rowcount
