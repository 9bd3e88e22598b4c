"""Each role opens on the page it uses most, after signing in and when signed in already."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import streamlit as st
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, unit_of_work
from db.models import Result, Role, Status
from engagement import demo
from tests.app.test_sign_in import sign_in

LANDINGS = {Role.AGENT: "My standing", Role.LEAD: "Approvals", Role.MANAGER: "Morale", Role.ADMIN: "Admin"}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_page(app_as: Callable[[Role], AppTest], role: Role) -> None:
    at = app_as(role)
    assert not at.exception
    assert at.title[0].value == LANDINGS[role]


@pytest.mark.parametrize("role", list(Role))
def test_each_demo_account_signs_in_and_opens_its_roles_page(app_signed_out: Callable[[], AppTest], role: Role) -> None:
    at = sign_in(app_signed_out(), demo.DEMO_ACCOUNTS[role], demo.DEMO_PASSWORD)
    assert not at.exception
    assert at.title[0].value == LANDINGS[role]


def approve_everything(url: str) -> None:
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        decided = session.execute(update(Result).where(Result.status == Status.PENDING).values(status=Status.APPROVED))
        assert decided.rowcount > 0, "the demo has pending entries to clear"
    engine.dispose()
    st.cache_data.clear()


def test_a_lead_with_nothing_waiting_lands_on_log_results(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    approve_everything(demo_url)
    at = app_as(Role.LEAD)
    assert not at.exception
    assert at.title[0].value == "Log results"


def test_a_lead_stays_on_approvals_once_nothing_waits(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    """Their landing becomes Log results, but the page they have open stays open until they leave it."""
    at = app_as(Role.LEAD)
    assert at.title[0].value == "Approvals"
    approve_everything(demo_url)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Approvals"
