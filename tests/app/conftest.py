"""AppTest fixtures: the real dashboard over a fresh copy of the demo database.

The demo is loaded once per session into a template file (relative to its
day, as `python -m engagement demo` does) and copied for every test, so tests
may write freely. ``app_as(role)`` gives an AppTest already signed in as that
demo role; ``app_signed_out()`` one that is not.

Nothing here reads the machine's date: the demo is built, and every test of
its database runs, on the clock of ``APP_NOW`` (AppTest runs the page script in this process, so
time-machine moves the page's clock too). The clock ticks on from there, since
AppTest times each run on it; no test lasts long enough to reach another day.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
import time_machine
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, unit_of_work
from db.migrate import upgrade
from db.models import Person, Role
from engagement import demo, sessions
from ui.auth import SESSION_KEY

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")
TIMEOUT = 30
# A Wednesday at noon in London: the week and the month are under way, no change of day is near.
APP_NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
APP_TODAY = APP_NOW.date()


@pytest.fixture
def app_clock() -> Iterator[time_machine.Traveller]:
    """The demo's clock, for every test of its database; a test may ``move_to`` another instant."""
    with time_machine.travel(APP_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with time_machine.travel(APP_NOW, tick=False), unit_of_work(engine) as session:
        demo.load_demo(session)
    engine.dispose()
    return str(path)


@pytest.fixture
def demo_url(
    demo_template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_clock: time_machine.Traveller
) -> Iterator[str]:
    """A fresh copy of the demo database, made the app's DATABASE_URL; the clock is the demo's (``APP_NOW``)."""
    path = tmp_path / "impact.db"
    shutil.copyfile(demo_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


def open_session(url: str, email: str) -> str:
    """A new server-side session for ``email``, as a right password opens one; its token."""
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        person_id = session.scalar(select(Person.id).where(Person.email == email))
        assert person_id is not None, email
        token = sessions.start(session, person_id).token
    engine.dispose()
    return token


def signed_in(at: AppTest, url: str, email: str) -> AppTest:
    """Put a built-in sign-in for ``email`` in the app's session, as the sign-in form would."""
    at.session_state[SESSION_KEY] = {"token": open_session(url, email), "expires_at": None, "must_change": False}
    return at


@pytest.fixture
def app_as(demo_url: str) -> Callable[[Role], AppTest]:
    """``app_as(Role.LEAD)``: the dashboard, run once, signed in as that demo account."""

    def make(role: Role) -> AppTest:
        at = signed_in(AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT), demo_url, demo.DEMO_ACCOUNTS[role])
        return at.run()

    return make


@pytest.fixture
def app_signed_out(demo_url: str) -> Callable[[], AppTest]:
    def make() -> AppTest:
        return AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT).run()

    return make
