"""Server-side sign-in sessions: opened by a right password, refused once expired or ended, stored hashed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Role, SignInSession
from engagement import auth, organisation, sessions, settings
from engagement.access import SYSTEM, Actor
from engagement.errors import ValidationError
from tests.factories import NOW, make_person, store

PASSWORD = "a long enough passphrase"


def with_account(session: Session, role: Role = Role.AGENT) -> Actor:
    person = make_person(session, role=role)
    assert person.person_id is not None
    auth.create_account(session, SYSTEM, person.person_id, PASSWORD, must_change=False)
    return person


def signed_in(session: Session, person: Actor) -> str:
    login = auth.log_in(session, person.email, PASSWORD, now=NOW)
    assert login.actor == person
    return login.token


def resumes(session: Session, token: str, at: timedelta = timedelta(0)) -> Actor | None:
    resumed = sessions.resume(session, token, NOW + at)
    return None if resumed is None else resumed.actor


def test_a_right_password_opens_a_session_for_twelve_hours(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        login = auth.log_in(session, person.email, PASSWORD, now=NOW)
        assert login.actor == person
        assert login.expires_at == NOW + timedelta(hours=settings.DEFAULT_SESSION_HOURS) == NOW + timedelta(hours=12)
        assert resumes(session, login.token) == person
        assert resumes(session, login.token, timedelta(hours=11, minutes=59)) == person
        assert resumes(session, login.token, timedelta(hours=12)) is None


def test_a_wrong_password_opens_no_session(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        assert auth.log_in(session, person.email, "not the passphrase", now=NOW).token == ""
        assert session.scalars(select(SignInSession)).all() == []


def test_the_session_length_is_the_organisations_setting(database_url: str) -> None:
    with store(database_url) as session:
        settings.update(session, SYSTEM, now=NOW, session_hours=8)
        person = with_account(session)
        token = signed_in(session, person)
        assert resumes(session, token, timedelta(hours=7, minutes=59)) == person
        assert resumes(session, token, timedelta(hours=8)) is None


@pytest.mark.parametrize("hours", [0, -1, 169, "12.5", "twelve", ""])
def test_a_session_length_outside_one_hour_to_a_week_is_refused(database_url: str, hours: object) -> None:
    with store(database_url) as session, pytest.raises(ValidationError, match="session_hours"):
        settings.update(session, SYSTEM, now=NOW, session_hours=hours)


def test_only_the_tokens_hash_is_stored(database_url: str) -> None:
    with store(database_url) as session:
        token = signed_in(session, with_account(session))
        rows = session.scalars(select(SignInSession)).all()
        assert [row.token_hash for row in rows] == [sessions.hash_token(token)]
        assert token not in rows[0].token_hash
        assert len(token) >= 43, "256 random bits, URL-safe"
        assert (rows[0].created_at, rows[0].last_seen_at, rows[0].ended_at) == (NOW, NOW, None)


def test_each_sign_in_gets_its_own_random_token(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        tokens = {signed_in(session, person) for _ in range(5)}
        assert len(tokens) == 5
        assert all(resumes(session, token) == person for token in tokens)


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 10_000])
def test_unknown_tokens_are_refused(database_url: str, token: str) -> None:
    with store(database_url) as session:
        signed_in(session, with_account(session))
        assert resumes(session, token) is None
        assert sessions.end(session, token, now=NOW) is False


def test_signing_out_ends_that_session_only(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        here, elsewhere = signed_in(session, person), signed_in(session, person)
        assert sessions.end(session, here, now=NOW) is True
        assert resumes(session, here) is None
        assert resumes(session, elsewhere) == person
        row = session.scalars(select(SignInSession).where(SignInSession.token_hash == sessions.hash_token(here))).one()
        assert (row.ended_at, row.end_reason) == (NOW, "signed_out")
        assert sessions.end(session, here, now=NOW) is False, "ended once"


def test_changing_your_password_ends_your_other_sessions(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        here, phone, laptop = (signed_in(session, person) for _ in range(3))
        new = "another long passphrase"
        assert auth.change_own_password(session, person, PASSWORD, new, now=NOW, keep_token=here) is None
        assert resumes(session, here) == person
        assert resumes(session, phone) is None
        assert resumes(session, laptop) is None
        reasons = session.scalars(select(SignInSession.end_reason).where(SignInSession.ended_at.is_not(None))).all()
        assert reasons == ["password_changed", "password_changed"]


def test_a_wrong_current_password_ends_nothing(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        phone = signed_in(session, person)
        assert auth.change_own_password(session, person, "wrong", "another long passphrase", now=NOW, keep_token="")
        assert resumes(session, phone) == person


def test_a_reset_by_an_admin_ends_every_session_of_that_person(database_url: str) -> None:
    with store(database_url) as session:
        person, colleague = with_account(session), with_account(session)
        assert person.person_id is not None
        tokens = [signed_in(session, person) for _ in range(2)]
        theirs = signed_in(session, colleague)
        auth.set_password(session, SYSTEM, person.person_id, "a temporary passphrase")
        assert [resumes(session, token) for token in tokens] == [None, None]
        assert resumes(session, theirs) == colleague


def test_deactivating_a_person_ends_their_sessions(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        assert person.person_id is not None
        token = signed_in(session, person)
        version = organisation.get_person(session, person.person_id).version
        organisation.deactivate_person(session, SYSTEM, person.person_id, version)
        assert resumes(session, token) is None
        row = session.scalars(select(SignInSession)).one()
        assert row.end_reason == "deactivated"
        # Reactivated, the old token stays ended: they sign in again.
        version = organisation.get_person(session, person.person_id).version
        organisation.update_person(session, SYSTEM, person.person_id, version, active=True)
        assert resumes(session, token) is None


def test_a_must_change_flag_follows_the_account(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        assert person.person_id is not None
        auth.set_password(session, SYSTEM, person.person_id, "a temporary passphrase")
        login = auth.log_in(session, person.email, "a temporary passphrase", now=NOW)
        resumed = sessions.resume(session, login.token, NOW)
        assert resumed is not None and resumed.must_change


def test_last_use_is_noted_every_few_minutes_not_every_click(database_url: str) -> None:
    with store(database_url) as session:
        token = signed_in(session, with_account(session))
        soon = sessions.resume(session, token, NOW + timedelta(minutes=1))
        later = sessions.resume(session, token, NOW + sessions.SEEN_EVERY)
        assert soon is not None and not soon.seen_due
        assert later is not None and later.seen_due
        sessions.seen(session, token, NOW + sessions.SEEN_EVERY)
        assert session.scalars(select(SignInSession.last_seen_at)).one() == NOW + sessions.SEEN_EVERY


def test_old_ended_sessions_are_cleared_at_the_next_sign_in(database_url: str) -> None:
    with store(database_url) as session:
        person = with_account(session)
        old = signed_in(session, person)
        sessions.end(session, old, now=NOW)
        late = NOW + sessions.KEPT_FOR + timedelta(days=1)
        auth.log_in(session, person.email, PASSWORD, now=late)
        assert sessions.hash_token(old) not in session.scalars(select(SignInSession.token_hash)).all()
        assert len(session.scalars(select(SignInSession)).all()) == 1
