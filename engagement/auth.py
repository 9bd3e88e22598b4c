"""Built-in accounts: argon2id passwords, a stored login throttle, and the sessions they open.

- Hashes use argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane):
  strong enough, and cheap enough that a shift-start login storm on two cores
  does not stall the dashboard. At most two hashes run at once per process.
- Every attempt, for a known email or not, is counted against that email in
  the database before its password is checked, in one atomic statement; the
  :data:`MAX_FAILURES`-th failure in a row locks the email for
  :data:`LOCK_MINUTES`, so at most that many passwords are ever checked per
  lock window, however many arrive at once. A success resets the count. The
  Account page's current-password check counts against the same email. The
  message never says whether the email exists.
- A right password opens a server-side session (:mod:`engagement.sessions`)
  in the same transaction; a password change ends the person's other
  sessions, a reset all of them, at once.
- A single sign-on identity is accepted only with an email its provider says
  it has verified (:func:`sso_identity`)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Account, LoginThrottle, Person, Role, UTCDateTime
from engagement import audit, periods, sessions
from engagement.access import Actor, normalise_email, require
from engagement.errors import NotFound, PermissionDenied, ValidationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
MIN_LENGTH = 10
MAX_LENGTH = 256
MAX_FAILURES = 5
LOCK_MINUTES = 15
LOGIN_FAILED = "Incorrect email or password."
NOT_CURRENT_PASSWORD = "That is not your current password."
SSO_NO_EMAIL = "Your sign-in provider sent no email address, so Impact Board cannot tell who you are."
SSO_UNVERIFIED = (
    "Your sign-in provider has not confirmed that this email address is yours, so Impact Board cannot "
    "sign you in with it. Ask your IT team to verify it."
)
_HASHING = threading.BoundedSemaphore(2)
# Verified against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = HASHER.hash("not a real password, only here to spend the same time")


@dataclass(frozen=True)
class Login:
    """The outcome of a login attempt: who and their new session's token, or a message to show."""

    actor: Actor | None
    token: str = ""
    expires_at: datetime | None = None
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
    """Check an email and password, counting the attempt first; never say which part was wrong."""
    now = now or periods.now_utc()
    key = normalise_email(email)[:254]
    attempt = _claim_attempt(session, key, now)
    found = None if attempt.refused else _active_account(session, key, password)
    if found is None:
        return Login(None, message=attempt.message(LOGIN_FAILED, now))
    person, account = found
    _forget_attempts(session, key)
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _hash(password)
    opened = sessions.start(session, person.id, now)
    return Login(Actor.of(person), opened.token, opened.expires_at, account.must_change)


def _active_account(session: Session, key: str, password: str) -> tuple[Person, Account] | None:
    """The active person with this email and password, or None: one hash either way, none for an overlong one."""
    if len(password) > MAX_LENGTH:
        return None
    row = session.execute(
        select(Person, Account).join(Account, Account.person_id == Person.id).where(Person.email == key)
    ).first()
    if row is None:
        _verify(_DUMMY_HASH, password)
        return None
    person, account = row
    return (person, account) if _verify(account.password_hash, password) and person.active else None


@dataclass(frozen=True)
class _Attempt:
    """One attempt's place in its email's window: its number, and when the lock ends once the window is full."""

    number: int
    locked_until: datetime | None

    @property
    def refused(self) -> bool:
        """Past the window's last slot: answered without checking the password."""
        return self.number > MAX_FAILURES

    def message(self, wrong: str, now: datetime) -> str:
        """What to say when this attempt failed: ``wrong``, or how long the lock lasts once it holds."""
        if self.number < MAX_FAILURES or self.locked_until is None:
            return wrong
        minutes = max(1, round((self.locked_until - now).total_seconds() / 60))
        return f"Too many failed attempts. Try again in {minutes} minutes."


def _claim_attempt(session: Session, key: str, now: datetime) -> _Attempt:
    """Count an attempt against ``key`` before its password is checked, in one atomic statement.

    ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the first attempt inserts,
    each later one adds one to the stored count. The store locks the row until
    this transaction ends (PostgreSQL the row, SQLite the whole database), so
    parallel attempts queue and each sees every attempt before it (a read,
    count and write in Python let parallel attempts overwrite each other's count).
    Claiming the slot before the check is what keeps the checks at
    :data:`MAX_FAILURES` per window: the fifth attempt sets the lock (a success
    lifts it again), later ones are refused unchecked and still counted. A
    lock that has run out starts a new window.
    """
    expired = LoginThrottle.locked_until <= now
    number = case((expired, 1), else_=LoginThrottle.failures + 1)
    lock_ends = literal(now + timedelta(minutes=LOCK_MINUTES), UTCDateTime())
    locked_until = case(
        (LoginThrottle.locked_until > now, LoginThrottle.locked_until),
        (number >= MAX_FAILURES, lock_ends),
        else_=None,
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(LoginThrottle)
        .values(email=key, failures=1, locked_until=None)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.email], set_={"failures": number, "locked_until": locked_until}
        )
        .returning(LoginThrottle.failures, LoginThrottle.locked_until)
    )
    failures, until = session.execute(statement).one()
    return _Attempt(failures, until)


def _forget_attempts(session: Session, key: str) -> None:
    """A success starts the email's count again."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.email == key))


def change_own_password(
    session: Session,
    actor: Actor,
    current_password: str,
    new_password: str,
    *,
    now: datetime | None = None,
    keep_token: str | None = None,
) -> str | None:
    """Change your own password, the current one checked under the sign-in throttle.

    Returns the refusal to show (not your current password, or too many
    attempts), None when changed. A wrong current password is returned, not
    raised: its count must be committed, and an exception would roll it back.
    Guesses here and at sign-in share the person's counter and lock, so an
    unattended signed-in tab is no way around the lockout. Every session of
    the person ends except ``keep_token``'s (the one changing it).
    """
    require(actor, *Role)
    check_password(new_password)
    person = session.get(Person, actor.person_id) if actor.person_id is not None else None
    account = session.get(Account, person.id) if person is not None else None
    if person is None or account is None:
        raise PermissionDenied("you have no password to change; ask an admin to create your account")
    now = now or periods.now_utc()
    key = normalise_email(person.email)[:254]
    attempt = _claim_attempt(session, key, now)
    if attempt.refused or len(current_password) > MAX_LENGTH or not _verify(account.password_hash, current_password):
        return attempt.message(NOT_CURRENT_PASSWORD, now)
    _forget_attempts(session, key)
    _save_password(session, actor, person, account, new_password, now, keep_token)
    return None


def set_password(session: Session, actor: Actor, person_id: int, new_password: str) -> None:
    """Set someone else's password as an admin: their first one, or a reset.

    They must choose a new password at their next sign-in, and a reset ends
    all their sessions at once. Your own password changes only through
    :func:`change_own_password`, with the current one, under the throttle.
    """
    require(actor, Role.ADMIN)
    if actor.person_id == person_id:
        raise PermissionDenied("change your own password on the Account page, with your current one")
    check_password(new_password)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    _save_password(session, actor, person, session.get(Account, person_id), new_password, periods.now_utc())


def _save_password(
    session: Session,
    actor: Actor,
    person: Person,
    account: Account | None,
    password: str,
    now: datetime,
    keep_token: str | None = None,
) -> None:
    """Store a new hash, end the person's sessions (but ``keep_token``'s) and audit it; a reset must be changed."""
    own = actor.person_id == person.id
    if account is None:
        account = Account(person_id=person.id, password_hash="", changed_at=now)
        session.add(account)
        action = "account.create"
    else:
        action = "account.password_change" if own else "account.password_reset"
    reason = sessions.EndReason.PASSWORD_CHANGED if own else sessions.EndReason.PASSWORD_RESET
    sessions.end_all(session, person.id, reason, now, keep=keep_token if own else None)
    account.password_hash = _hash(password)
    account.must_change = not own
    account.changed_at = now
    audit.record(session, actor, action, "account", person.id, None, {"email": person.email})


def create_account(session: Session, actor: Actor, person_id: int, password: str, *, must_change: bool = True) -> None:
    """Give a person a built-in login (admins only)."""
    require(actor, Role.ADMIN)
    if session.get(Account, person_id) is not None:
        raise ValidationError.single("account", "this person already has an account; reset the password instead")
    set_password(session, actor, person_id, password)
    account = session.get(Account, person_id)
    assert account is not None
    account.must_change = must_change


@dataclass(frozen=True)
class SsoIdentity:
    """Who single sign-on says this is: the email, and why it cannot be used (empty when it can)."""

    email: str
    refusal: str = ""


def sso_identity(claims: Mapping[str, object]) -> SsoIdentity:
    """Accept a single sign-on identity only when its provider vouches for the email.

    The email is what finds the person, so an address the provider has not
    verified (``email_verified`` false, missing, or anything but true) could be
    anyone's: a provider that lets people enter their own address would let
    them in as a colleague. A refused identity gets the message to show.
    """
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        return SsoIdentity("", SSO_NO_EMAIL)
    if claims.get("email_verified") is not True:
        return SsoIdentity(email.strip(), SSO_UNVERIFIED)
    return SsoIdentity(email.strip())


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
