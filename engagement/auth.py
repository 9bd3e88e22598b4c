"""Built-in accounts: argon2id passwords, a stored login throttle, and session epochs.

- Hashes use argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane):
  strong enough, and cheap enough that a shift-start login storm on two cores
  does not stall the dashboard. At most two hashes run at once per process.
- Every failed login, for a known email or not, counts against that email in
  the database; after :data:`MAX_FAILURES` in a row the email is locked for
  :data:`LOCK_MINUTES`. The message never says whether the email exists.
- ``session_epoch`` rises on every password change or reset and on
  deactivation; a dashboard session opened under an older epoch is signed out
  at its next click.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Account, LoginThrottle, Person, Role
from engagement import audit, periods
from engagement.access import Actor, normalise_email, require
from engagement.errors import NotFound, PermissionDenied, ValidationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
MIN_LENGTH = 10
MAX_LENGTH = 256
MAX_FAILURES = 5
LOCK_MINUTES = 15
LOGIN_FAILED = "Incorrect email or password."
_HASHING = threading.BoundedSemaphore(2)
# Verified against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = HASHER.hash("not a real password, only here to spend the same time")


@dataclass(frozen=True)
class Login:
    """The outcome of a login attempt: who, or a message to show."""

    actor: Actor | None
    epoch: int = 0
    must_change: bool = False
    message: str = ""


def check_password(password: str) -> None:
    """Length rules from NIST SP 800-63B: long enough to resist guessing, short enough to hash."""
    if len(password) < MIN_LENGTH:
        raise ValidationError.single("password", f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationError.single("password", f"must be at most {MAX_LENGTH} characters")


def _hash(password: str) -> str:
    with _HASHING:
        return HASHER.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    with _HASHING:
        try:
            return HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def log_in(session: Session, email: str, password: str, now: datetime | None = None) -> Login:
    """Check an email and password; count failures; never say which part was wrong."""
    now = now or periods.now_utc()
    key = normalise_email(email)[:254]
    throttle = session.get(LoginThrottle, key)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        minutes = max(1, round((throttle.locked_until - now).total_seconds() / 60))
        return Login(None, message=f"Too many failed attempts. Try again in {minutes} minutes.")
    if len(password) > MAX_LENGTH:
        return _failed(session, key, throttle, now)
    row = session.execute(
        select(Person, Account).join(Account, Account.person_id == Person.id).where(Person.email == key)
    ).first()
    if row is None:
        _verify(_DUMMY_HASH, password)
        return _failed(session, key, throttle, now)
    person, account = row
    if not _verify(account.password_hash, password) or not person.active:
        return _failed(session, key, throttle, now)
    if throttle is not None:
        session.delete(throttle)
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _hash(password)
    return Login(Actor.of(person), account.session_epoch, account.must_change)


def _failed(session: Session, key: str, throttle: LoginThrottle | None, now: datetime) -> Login:
    if throttle is None:
        throttle = LoginThrottle(email=key, failures=0)
        session.add(throttle)
    if throttle.locked_until is not None and throttle.locked_until <= now:
        throttle.failures, throttle.locked_until = 0, None
    throttle.failures += 1
    if throttle.failures >= MAX_FAILURES:
        throttle.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        return Login(None, message=f"Too many failed attempts. Try again in {LOCK_MINUTES} minutes.")
    return Login(None, message=LOGIN_FAILED)


def set_password(
    session: Session, actor: Actor, person_id: int, new_password: str, *, current_password: str | None = None
) -> None:
    """Change a password: your own (with the current one), or anyone's as an admin (a reset).

    A reset makes the person choose a new password at their next login; either
    way their other open sessions are signed out.
    """
    own = actor.person_id == person_id
    if not own:
        require(actor, Role.ADMIN)
    check_password(new_password)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    account = session.get(Account, person_id)
    if own and account is not None and not _verify(account.password_hash, current_password or ""):
        raise ValidationError.single("current_password", "is not your current password")
    if own and account is None:
        raise PermissionDenied("you have no password to change; ask an admin to create your account")
    now = periods.now_utc()
    if account is None:
        account = Account(person_id=person_id, password_hash="", session_epoch=1, changed_at=now)
        session.add(account)
        action = "account.create"
    else:
        account.session_epoch += 1
        action = "account.password_change" if own else "account.password_reset"
    account.password_hash = _hash(new_password)
    account.must_change = not own
    account.changed_at = now
    audit.record(session, actor, action, "account", person_id, None, {"email": person.email})


def create_account(session: Session, actor: Actor, person_id: int, password: str, *, must_change: bool = True) -> None:
    """Give a person a built-in login (admins only)."""
    require(actor, Role.ADMIN)
    if session.get(Account, person_id) is not None:
        raise ValidationError.single("account", "this person already has an account; reset the password instead")
    set_password(session, actor, person_id, password)
    account = session.get(Account, person_id)
    assert account is not None
    account.must_change = must_change


def session_epoch(session: Session, person_id: int) -> int:
    """The account's current epoch (0 without an account)."""
    return session.scalar(select(Account.session_epoch).where(Account.person_id == person_id)) or 0


def session_is_current(session: Session, person_id: int, epoch: int) -> bool:
    """True while the account's epoch is the one the session logged in under."""
    current = session.scalar(select(Account.session_epoch).where(Account.person_id == person_id))
    return current is not None and current == epoch


def has_account(session: Session, person_id: int) -> bool:
    return session.get(Account, person_id) is not None


@dataclass(frozen=True)
class AccountRow:
    person_id: int
    email: str
    name: str
    role: Role
    active: bool
    has_password: bool
    must_change: bool
    changed_at: datetime | None


def list_accounts(session: Session, actor: Actor) -> list[AccountRow]:
    """Everyone with whether they have a built-in login (admins only)."""
    require(actor, Role.ADMIN)
    rows = session.execute(
        select(Person, Account).outerjoin(Account, Account.person_id == Person.id).order_by(Person.name)
    ).all()
    return [
        AccountRow(
            p.id,
            p.email,
            p.name,
            p.role,
            p.active,
            a is not None,
            bool(a and a.must_change),
            a.changed_at if a is not None else None,
        )
        for p, a in rows
    ]


def temporary_password() -> str:
    """A random password for an admin to hand over; the person replaces it at first sign-in.

    Sixteen characters from an alphabet without look-alikes (no 0/O, 1/l/I),
    so it survives being read out over the phone.
    """
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))
