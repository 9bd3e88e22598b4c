"""Temporary passwords handed over by an admin."""

from __future__ import annotations

from engagement import auth


def test_temporary_passwords_are_long_enough_unambiguous_and_different() -> None:
    made = {auth.temporary_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        auth.check_password(password)  # passes the length rules
        assert not set(password) & set("0O1lI")
