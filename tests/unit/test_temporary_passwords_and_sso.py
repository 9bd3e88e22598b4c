"""Temporary passwords handed over by an admin, and which single sign-on identities are accepted."""

from __future__ import annotations

import pytest

from engagement import auth


def test_temporary_passwords_are_long_enough_unambiguous_and_different() -> None:
    made = {auth.temporary_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        auth.check_password(password)  # passes the length rules
        assert not set(password) & set("0O1lI")


def test_an_sso_identity_with_a_verified_email_is_accepted_as_typed_at_the_provider() -> None:
    identity = auth.sso_identity({"sub": "x1", "email": " Ana@Example.org ", "email_verified": True})
    assert identity == auth.SsoIdentity("Ana@Example.org")


@pytest.mark.parametrize(
    "verified",
    [False, None, "true", "True", 1, "yes"],
    ids=["false", "null", "the string true", "the string True", "the number 1", "yes"],
)
def test_an_sso_identity_whose_email_is_not_verified_is_refused(verified: object) -> None:
    identity = auth.sso_identity({"email": "ana@example.org", "email_verified": verified})
    assert identity == auth.SsoIdentity("ana@example.org", auth.SSO_UNVERIFIED)


def test_an_sso_identity_without_email_verified_is_refused() -> None:
    assert auth.sso_identity({"email": "ana@example.org"}).refusal == auth.SSO_UNVERIFIED


@pytest.mark.parametrize("claims", [{}, {"email": ""}, {"email": "  "}, {"email": None}, {"email": ["a@b.org"]}])
def test_an_sso_identity_without_an_email_is_refused(claims: dict[str, object]) -> None:
    assert auth.sso_identity({**claims, "email_verified": True}) == auth.SsoIdentity("", auth.SSO_NO_EMAIL)
