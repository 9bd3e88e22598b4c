"""Signing in and out, and what a signed-out visitor can reach."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from db.models import Role
from engagement import demo


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="login.email").input(email)
    at.text_input(key="login.password").input(password)
    return at.button(key="FormSubmitter:login.form-Sign in").click().run()


def test_signed_out_visitor_sees_only_the_sign_in_form(app_signed_out: Callable[[], AppTest]) -> None:
    at = app_signed_out()
    assert not at.exception
    assert [t.value for t in at.title] == ["Impact Board"]
    assert not at.metric
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page("pages/morale.py")


def test_demo_accounts_are_listed_on_a_demo_database(app_signed_out: Callable[[], AppTest]) -> None:
    at = app_signed_out()
    listed = at.table[0].value
    assert set(listed["Email"]) == set(demo.DEMO_ACCOUNTS.values())


def test_a_wrong_password_gets_one_generic_message(app_signed_out: Callable[[], AppTest]) -> None:
    at = sign_in(app_signed_out(), demo.DEMO_ACCOUNTS[Role.AGENT], "not the password")
    assert [e.value for e in at.error] == ["Incorrect email or password."]
    unknown = sign_in(at, "nobody@example.com", "not the password")
    assert [e.value for e in unknown.error] == ["Incorrect email or password."]
    assert unknown.title[0].value == "Impact Board"


def test_my_standing_shows_the_agents_figures(app_as: Callable[[Role], AppTest]) -> None:
    at = app_as(Role.AGENT)
    assert not at.exception
    assert at.title[0].value == "My standing"
    assert at.metric, "standing metrics are drawn"
