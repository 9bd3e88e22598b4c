"""The pages links in messages open, signed out: answer the pulse in one click, stop a kind of message.

Each works without signing in because the link is the capability; without a
valid one the page says why and shows nothing of anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import Person, PulseResponse
from engagement import periods, preferences, pulse, pulse_links
from engagement.access import Actor
from engagement.demo import DEMO_ACCOUNTS
from engagement.vocabulary import Role
from tests.app.conftest import APP_NOW, DASHBOARD, TIMEOUT
from tests.factories import in_store, store

AGENT = DEMO_ACCOUNTS[Role.AGENT]


def agent_id(url: str) -> int:
    person_id = in_store(url, lambda s: s.scalar(select(Person.id).where(Person.email == AGENT)))
    assert person_id is not None
    return int(person_id)


def score_link(url: str, score: int) -> str:
    """The token of the agent's link for ``score`` this week, as their invitation carries it."""
    with store(url) as session:
        week = pulse.current_week(session, APP_NOW)
        links = pulse_links.link_maker(session, "http://board.example")(agent_id(url), week)
    return links[score - 1].url.split("?t=", 1)[1]


def open_link(page: str, token: str | None) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    if token is not None:
        at.query_params["t"] = token
    return at.switch_page(page).run()


def answer_of(url: str) -> tuple[int, int | None, str] | None:
    def read(session: Session) -> tuple[int, int | None, str] | None:
        week = pulse.current_week(session, APP_NOW)
        row = session.scalars(
            select(PulseResponse).where(PulseResponse.person_id == agent_id(url), PulseResponse.week_start == week)
        ).one_or_none()
        return None if row is None else (row.score, row.enps, row.comment)

    return in_store(url, read)


def texts(at: AppTest) -> str:
    return " ".join(
        str(e.value) for kind in ("success", "error", "info", "markdown", "caption") for e in getattr(at, kind)
    )


def test_one_click_records_the_score_and_the_follow_up_adds_the_rest(demo_url: str) -> None:
    at = open_link("pages/answer.py", score_link(demo_url, 4))
    assert not at.exception
    assert "is recorded: 4 – Good" in at.success[0].value
    assert answer_of(demo_url) == (4, None, "")
    at.select_slider[0].set_value(9)
    at.text_area[0].input("A good week, thank you")
    at.button[0].click().run()
    assert not at.exception
    assert answer_of(demo_url) == (4, 9, "A good week, thank you")
    assert "that is saved too" in texts(at)
    at.run()  # a rerun shows the thanks again, without using the link again
    assert not at.error and "is recorded: 4 – Good" in at.success[0].value


def test_a_used_link_is_refused_and_shows_nobody_s_answer(demo_url: str) -> None:
    token = score_link(demo_url, 2)
    open_link("pages/answer.py", token)
    again = open_link("pages/answer.py", score_link(demo_url, 5))
    assert [e.value for e in again.error] == ["This link has already been used."]
    assert "2 –" not in texts(again) and not again.success
    assert answer_of(demo_url) == (2, None, "")


def test_a_tampered_or_missing_link_records_nothing(demo_url: str) -> None:
    token = score_link(demo_url, 5)
    middle = len(token) // 2
    bad = open_link("pages/answer.py", token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :])
    assert "This link is not valid" in bad.error[0].value
    assert not bad.success and not bad.form
    none = open_link("pages/answer.py", None)
    assert not none.error and "Open one of its links" in none.info[0].value
    assert answer_of(demo_url) is None


def test_an_expired_link_says_so(demo_url: str, app_clock: time_machine.Traveller) -> None:
    token = score_link(demo_url, 3)
    app_clock.move_to(datetime(2026, 3, 23, 9, 0, tzinfo=UTC))
    at = open_link("pages/answer.py", token)
    assert [e.value for e in at.error] == ["This link has expired."]
    assert answer_of(demo_url) is None


def test_the_stop_link_turns_one_kind_off_after_one_click(demo_url: str) -> None:
    with store(demo_url) as session:
        link = preferences.unsubscribe_url(session, agent_id(demo_url), "agent_digest", periods.now_utc())
    token = link.split("?t=", 1)[1]
    at = open_link("pages/unsubscribe.py", token)
    assert not at.exception and not at.success
    at.button(key="unsubscribe.confirm").click().run()
    assert "you will no longer receive “My weekly digest" in at.success[0].value

    def chosen(session: Session) -> dict[str, bool]:
        person = session.get_one(Person, agent_id(demo_url))
        return {c.kind: c.enabled for c in preferences.choices(session, Actor.of(person))}

    assert in_store(demo_url, chosen) == {
        "pulse_invitation": True,
        "pulse_reminder": True,
        "agent_digest": False,
        "decision": True,
    }
    bad = open_link("pages/unsubscribe.py", token[:-3])
    bad.button(key="unsubscribe.confirm").click().run()
    assert "Nothing was changed" in bad.error[0].value


def test_signed_in_people_open_the_links_too(app_as: Callable[[Role], AppTest], demo_url: str) -> None:
    at = app_as(Role.AGENT)
    at.query_params["t"] = score_link(demo_url, 5)
    at.switch_page("pages/answer.py").run()
    assert not at.exception and "is recorded: 5 – Very good" in at.success[0].value
