"""A tab whose browser sends a session cookie opens signed in while the server's session lasts."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from db.models import Role
from engagement import demo, sessions
from tests.app.conftest import DASHBOARD, TIMEOUT, open_session
from tests.factories import store
from ui import session_cookie

AGENT = demo.DEMO_ACCOUNTS[Role.AGENT]


def new_tab(monkeypatch: pytest.MonkeyPatch, token: str) -> AppTest:
    """A new tab of a browser that holds ``token`` in its cookie (AppTest cannot send cookies itself)."""
    monkeypatch.setattr(session_cookie, "browser_token", lambda: token)
    return AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT).run()


def test_a_new_tab_with_the_cookie_is_signed_in(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = new_tab(monkeypatch, open_session(demo_url, AGENT))
    assert not at.exception
    assert at.title[0].value == "My standing"
    assert at.sidebar.button(key="nav.sign_out") is not None


def test_signing_out_ends_the_session_for_every_tab(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = open_session(demo_url, AGENT)
    here, there = new_tab(monkeypatch, token), new_tab(monkeypatch, token)
    here.sidebar.button(key="nav.sign_out").click().run()
    assert here.title[0].value == "Impact Board"
    assert not [i.value for i in here.info], "signing out yourself needs no notice"
    there.run()
    assert there.title[0].value == "Impact Board"
    assert [i.value for i in there.info] == ["Your session has ended. Please sign in again."]
    assert new_tab(monkeypatch, token).title[0].value == "Impact Board", "the old cookie lets nobody in"


@pytest.mark.parametrize("token", ["", "forged-token", "x" * 500])
def test_no_cookie_or_an_unknown_one_shows_the_sign_in(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    at = new_tab(monkeypatch, token)
    assert not at.exception
    assert at.title[0].value == "Impact Board"
    assert not at.metric


def test_an_ended_session_says_so_on_the_sign_in_page(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = open_session(demo_url, AGENT)
    with store(demo_url) as session:
        assert sessions.end(session, token)
    at = new_tab(monkeypatch, token)
    assert at.title[0].value == "Impact Board"
    assert [i.value for i in at.info] == ["Your session has ended. Please sign in again."]


def test_signing_out_everywhere_else_keeps_this_tab(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    here_token, phone_token = open_session(demo_url, AGENT), open_session(demo_url, AGENT)
    here, phone = new_tab(monkeypatch, here_token), new_tab(monkeypatch, phone_token)
    here.switch_page("pages/account.py").run()
    here.button(key="account.sign_out_elsewhere").click().run()
    assert [s.value for s in here.success] == ["Signed out of 1 other session."]
    assert here.title[0].value == "Account"
    here.run()
    assert here.title[0].value == "Account", "this tab stays signed in"
    phone.run()
    assert phone.title[0].value == "Impact Board"
    assert new_tab(monkeypatch, phone_token).title[0].value == "Impact Board"
