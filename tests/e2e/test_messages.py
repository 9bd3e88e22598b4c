"""From a received email to a stored answer, in Chromium: the invitation's link answers the pulse in one click.

``notify``'s own functions plan the week and send it to a real SMTP server on
loopback; the test takes a score link out of the email the demo agent received,
opens it in a fresh browser (signed out), and checks the stored answer and, once
the week has closed, the Morale figures. Reused, tampered and other-week links
get a plain refusal that shows no data. The invitation's HTML, opened in
Chromium, passes axe-core.

The server runs on the machine's clock, so the test plans on it too, with the
invitation moment set to Monday 00:00 in the agent's own zone: the week's
invitation is due whatever day it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from db.engine import make_engine
from db.models import NotificationPreference, Person, PulseResponse
from engagement import (
    capabilities,
    delivery,
    morale,
    periods,
    preferences,
    publication,
    pulse,
    pulse_links,
    schedule,
    settings,
)
from engagement import smtp as smtp_settings
from engagement.access import SYSTEM
from engagement.demo import DEMO_ACCOUNTS
from engagement.vocabulary import Role
from harness.browser import axe_violations, new_context, screenshot, wait_for_app
from harness.mail import mail_server
from harness.servers import Server
from tests.factories import store

AGENT = DEMO_ACCOUNTS[Role.AGENT]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "messages"


@pytest.fixture(scope="module")
def invitation(app_server: Server) -> Iterator[dict[str, str]]:
    """The agent's invitation as received: its text and HTML parts, and the score links by score (once a module)."""
    now = periods.now_utc()
    with pytest.MonkeyPatch.context() as patch, mail_server() as mail:
        patch.setenv("IB_PUBLIC_URL", app_server.url)
        with store(app_server.database_url) as session:
            zone = settings.load(session).timezone
            session.scalars(select(Person).where(Person.email == AGENT)).one().timezone = zone
            settings.update(session, SYSTEM, now, invite_at="mon 00:00")
            schedule.plan(session, now)
        engine = make_engine(app_server.database_url)
        try:
            delivery.deliver(engine, smtp_settings.SmtpSettings.from_env(mail.env), now)
        finally:
            engine.dispose()
        [message] = [m for m in mail.inbox.to(AGENT) if m["Subject"] == "Your weekly pulse: how was your week?"]
    text = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    html = str(message.get_body(preferencelist=("html",)).get_content())  # type: ignore[union-attr]
    links = dict(re.findall(r"^(\d) – [\w ]+: (\S+?)\r?$", text, re.MULTILINE))
    assert sorted(links) == ["1", "2", "3", "4", "5"], text
    yield {"text": text, "html": html, **links}


def answers(server: Server) -> dict[int, int]:
    """This week's stored scores by person id."""
    with store(server.database_url, write=False) as session:
        week = pulse.current_week(session)
        rows = session.execute(
            select(PulseResponse.person_id, PulseResponse.score).where(PulseResponse.week_start == week)
        )
        return dict(rows.all())


def agent_id(server: Server) -> int:
    with store(server.database_url, write=False) as session:
        return int(session.scalars(select(Person.id).where(Person.email == AGENT)).one())


def open_link(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)


def test_one_click_from_the_email_stores_the_answer_and_morale_counts_it(
    browser: Browser, app_server: Server, invitation: dict[str, str]
) -> None:
    before = answers(app_server)
    context = new_context(browser)
    try:
        page = context.new_page()
        open_link(page, invitation["4"])
        expect(page.get_by_text("is recorded: 4 – Good")).to_be_visible()
        assert page.get_by_role("button", name="Sign out").count() == 0  # the link signed nobody in
        screenshot(page, SHOTS / "answered.png", full=True)
        page.get_by_label("Anything to add? (optional)").fill("A good week, thanks to the team")
        page.get_by_role("button", name="Add to my answer").click()
        expect(page.get_by_text("that is saved too")).to_be_visible()
        open_link(page, invitation["2"])  # the same invitation's other score: used already
        expect(page.get_by_text("This link has already been used.")).to_be_visible()
        expect(page.get_by_text("is recorded")).to_have_count(0)
        screenshot(page, SHOTS / "used.png", full=True)
    finally:
        context.close()
    me = agent_id(app_server)
    after = answers(app_server)
    assert after[me] == 4 and {k: v for k, v in after.items() if k != me} == {
        k: v for k, v in before.items() if k != me
    }
    with store(app_server.database_url, write=False) as session:
        row = session.scalars(select(PulseResponse).where(PulseResponse.person_id == me)).all()[-1]
        assert (row.score, row.comment) == (4, "A good week, thanks to the team")
    # Once the week closes, the Morale page's figure for the agent's team counts this answer.
    with store(app_server.database_url) as session:
        week = pulse.current_week(session)
        team = session.get_one(Person, me).team_id
        answered = session.scalars(
            select(PulseResponse.person_id).where(PulseResponse.week_start == week, PulseResponse.team_id == team)
        ).all()
        publication.close_weeks(session, periods.now_utc() + timedelta(days=8))
        [cell] = [
            c for c in morale.weekly_morale(session, SYSTEM, morale.GroupBy.TEAM, week, week) if c.group_id == team
        ]
    assert me in answered
    assert cell.suppressed or cell.responses == len(answered)


@pytest.mark.parametrize("case", ["tampered", "other_week"])
def test_a_bad_link_gets_a_plain_refusal_and_no_data(
    browser: Browser, app_server: Server, invitation: dict[str, str], case: str
) -> None:
    url = invitation["5"]
    if case == "tampered":
        token = url.split("?t=", 1)[1]
        middle = len(token) // 2
        url = url.replace(token, token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :])
        expected = "This link is not valid"
    else:
        with store(app_server.database_url) as session:
            week = pulse.current_week(session) - timedelta(days=7)
            sign = capabilities.signer(session, pulse_links.ANSWER)
            later = periods.now_utc() + timedelta(days=7)
            url = f"{app_server.url}/answer?t={sign({'p': agent_id(app_server), 'w': week.isoformat(), 's': 5}, later)}"
        expected = "This link is for a week whose pulse has closed."
    before = answers(app_server)
    context = new_context(browser)
    try:
        page = context.new_page()
        open_link(page, url)
        expect(page.get_by_text(expected)).to_be_visible()
        body = page.locator("[data-testid='stMain']").inner_text()
        assert "Demo Agent" not in body and AGENT not in body and "recorded:" not in body
        screenshot(page, SHOTS / f"refused-{case}.png", full=True)
    finally:
        context.close()
    assert answers(app_server) == before


def test_the_invitation_email_is_accessible_in_chromium(browser: Browser, invitation: dict[str, str]) -> None:
    context = new_context(browser)
    try:
        page = context.new_page()
        page.set_content(invitation["html"])
        assert page.title() == "Your weekly pulse: how was your week?"
        assert page.locator("h1").count() == 1 and page.locator("h2").count() >= 1
        assert [a.inner_text() for a in page.locator("ol.scores a").all()][3] == "4 – Good"
        screenshot(page, SHOTS / "invitation-email.png", full=False)
        assert [str(v) for v in axe_violations(page, app=False)] == []
    finally:
        context.close()


def test_a_mail_program_s_one_click_post_stops_that_kind(app_server: Server) -> None:
    """RFC 8058: POST ``List-Unsubscribe=One-Click`` to the List-Unsubscribe URL, no browser, no sign-in."""
    with store(app_server.database_url) as session:
        me = agent_id(app_server)
        link = preferences.unsubscribe_url(session, me, "agent_digest", periods.now_utc())
    url = app_server.url + link[link.index("/unsubscribe") :]
    with httpx.Client(timeout=30) as client:
        wrong = client.post(url, data={"something": "else"})
        assert wrong.status_code == 400 and "One-Click" in wrong.text
        done = client.post(url, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "My weekly digest" in done.text
        tampered = client.post(url[:-3], data={"List-Unsubscribe": "One-Click"})
        assert tampered.status_code == 400 and "not valid" in tampered.text
        page = client.get(url)  # a person opening the link gets the page, which asks first
        assert page.status_code == 200 and "<html" in page.text.lower()
    with store(app_server.database_url, write=False) as session:
        chosen = session.get(NotificationPreference, (me, "agent_digest"))
        assert chosen is not None and chosen.enabled is False
