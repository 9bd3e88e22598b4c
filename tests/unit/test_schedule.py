"""The weekly schedule and the one-click pulse, on both stores, through a real SMTP server on loopback.

Promises: each active team member is invited once a week at the organisation's
moment in their own time zone; one reminder goes to those invited earlier who
have not answered, and once sent it keeps nobody's address; a link from the
email answers the pulse once, for that person and week only, and is refused
with a reason (tampered, expired, used, other week, inactive) otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import AuditEntry, Kind, OutboxMessage, Person, PulseResponse, PulseWeek, Result, Role, Status
from engagement import (
    capabilities,
    delivery,
    messages,
    notify,
    preferences,
    pulse_links,
    results,
    schedule,
    settings,
    smtp,
)
from engagement.access import Actor
from engagement.capabilities import LinkRefused
from engagement.errors import ValidationError
from harness.mail import MailServer, mail_server
from harness.webhooks import webhook_server
from tests.factories import log, make_challenge, make_person

WEEK = date(2026, 3, 16)  # a Monday; the organisation's zone is UTC unless a test says otherwise
MONDAY_0959 = datetime(2026, 3, 16, 9, 59, tzinfo=UTC)
MONDAY_1000 = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
THURSDAY_1000 = datetime(2026, 3, 19, 10, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[MailServer]:
    with mail_server() as s:
        yield s


def team(session: Session, size: int, name: str = "Cedar") -> list[Actor]:
    return [make_person(session, team=name, name=f"{name} {n}") for n in range(size)]


def rows(engine: Engine, kind: str) -> list[OutboxMessage]:
    with unit_of_work(engine, write=False) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def plan(engine: Engine, now: datetime) -> dict[str, int]:
    with unit_of_work(engine) as session:
        return schedule.plan(session, now).counts


def send(engine: Engine, server: MailServer, now: datetime) -> delivery.Delivered:
    return delivery.deliver(engine, smtp.SmtpSettings.from_env(server.env), now)


def links_in(message_text: str) -> dict[int, str]:
    """The five score links of an invitation's text part, by score."""
    return {int(score): url for score, url in re.findall(r"^(\d) – \w[\w ]*: (\S+)\r?$", message_text, re.MULTILINE)}


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def text_part(message: object) -> str:
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(body.get_content())


# -- the schedule -------------------------------------------------------------------------------


def test_everyone_in_a_team_is_invited_once_at_the_moment(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        members = team(session, 3)
        make_person(session, team=None, role=Role.MANAGER)  # in no team: no pulse to answer
        gone = make_person(session, team="Cedar")
        session.get_one(Person, gone.person_id).active = False
    assert plan(engine, MONDAY_0959) == {}
    assert plan(engine, MONDAY_1000) == {"pulse_invitation": 3}
    assert plan(engine, MONDAY_1000 + timedelta(hours=1)) == {}
    assert plan(engine, WEDNESDAY) == {}
    invited = rows(engine, "pulse_invitation")
    assert sorted(r.person_id for r in invited) == sorted(m.person_id for m in members)
    assert {r.period for r in invited} == {WEEK.isoformat()}
    assert all(r.unsubscribe_url and "/unsubscribe?t=" in r.unsubscribe_url for r in invited)


def test_each_person_is_invited_at_ten_in_their_own_time_zone(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        manila, new_york, here = team(session, 3)
        session.get_one(Person, manila.person_id).timezone = "Asia/Manila"  # UTC+8
        session.get_one(Person, new_york.person_id).timezone = "America/New_York"  # UTC-4 after 8 March
    assert plan(engine, datetime(2026, 3, 16, 2, 0, tzinfo=UTC)) == {"pulse_invitation": 1}
    assert plan(engine, datetime(2026, 3, 16, 13, 59, tzinfo=UTC)) == {"pulse_invitation": 1}
    assert plan(engine, datetime(2026, 3, 16, 14, 0, tzinfo=UTC)) == {"pulse_invitation": 1}
    order = [r.person_id for r in rows(engine, "pulse_invitation")]
    assert order == [manila.person_id, here.person_id, new_york.person_id]


def test_the_organisation_sets_the_moments(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        team(session, 2)
        admin = make_person(session, team=None, role=Role.ADMIN)
        settings.update(session, admin, MONDAY_0959, invite_at="tue 08:30", remind_at="fri 09:00")
    assert plan(engine, MONDAY_1000) == {}
    assert plan(engine, datetime(2026, 3, 17, 8, 30, tzinfo=UTC)) == {"pulse_invitation": 2}
    assert plan(engine, THURSDAY_1000) == {}
    assert plan(engine, datetime(2026, 3, 20, 9, 0, tzinfo=UTC)) == {"pulse_reminder": 2}


def test_one_reminder_goes_to_those_who_have_not_answered_and_keeps_nobody(engine: Engine, server: MailServer) -> None:
    with unit_of_work(engine) as session:
        answered, silent, late = team(session, 3)
        session.get_one(Person, late.person_id).active = False  # joins (is activated) on Friday
    plan(engine, MONDAY_1000)
    assert send(engine, server, MONDAY_1000).sent == 2
    invitation = next(m for m in server.inbox.messages if m["To"] == answered.email)
    with unit_of_work(engine) as session:
        pulse_links.answer(session, token_of(links_in(text_part(invitation))[4]), WEDNESDAY)
    assert plan(engine, THURSDAY_1000) == {"pulse_reminder": 1}
    assert plan(engine, THURSDAY_1000 + timedelta(hours=2)) == {}
    [reminder] = rows(engine, "pulse_reminder")
    assert reminder.person_id is None
    assert reminder.audience.startswith("reminder:")
    assert re.fullmatch(r"reminder:[0-9a-f]{64}", reminder.audience)  # a keyed hash, not the person
    assert reminder.recipient == silent.email  # kept only until it is sent
    server.inbox.messages.clear()
    assert send(engine, server, THURSDAY_1000).sent == 1
    [arrived] = server.inbox.messages
    assert arrived["To"] == silent.email
    assert "closes on Sunday 22 March 2026" in text_part(arrived)
    [reminder] = rows(engine, "pulse_reminder")
    assert (reminder.status, reminder.recipient, reminder.body_text, reminder.body_html) == ("sent", "", "", "")
    assert reminder.person_id is None and reminder.unsubscribe_url is None

    # Someone first invited on Friday is not reminded at once, nor later that week.
    with unit_of_work(engine) as session:
        session.get_one(Person, late.person_id).active = True
    friday = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    assert plan(engine, friday) == {"pulse_invitation": 1}
    assert "pulse_reminder" not in plan(engine, friday + timedelta(days=1))


def test_nobody_learns_who_was_reminded_from_the_outbox_or_the_audit_log(engine: Engine, server: MailServer) -> None:
    with unit_of_work(engine) as session:
        members = team(session, 6)
    plan(engine, MONDAY_1000)
    plan(engine, THURSDAY_1000)
    send(engine, server, THURSDAY_1000)
    with unit_of_work(engine, write=False) as session:
        reminders = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "pulse_reminder")).all()
        assert len(reminders) == 6
        stored = " ".join(
            f"{r.audience} {r.person_id} {r.recipient} {r.body_text} {r.body_html} {r.unsubscribe_url}"
            for r in reminders
        )
        audit_text = " ".join(f"{a.action} {a.entity_id} {a.after}" for a in session.scalars(select(AuditEntry)))
    for member in members:
        assert member.email not in stored and member.name not in stored
        assert "reminder" not in audit_text


def test_a_person_who_turned_invitations_off_gets_none_and_quiet_hours_hold_one_back(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        off, quiet, plain = team(session, 3)
        preferences.choose(session, off, "pulse_invitation", False, "email")
        preferences.set_quiet_hours(session, quiet, time(9, 0), time(11, 30))
    assert plan(engine, MONDAY_1000) == {"pulse_invitation": 2}
    due = {r.person_id: r.next_attempt_at for r in rows(engine, "pulse_invitation")}
    assert due == {quiet.person_id: datetime(2026, 3, 16, 11, 30, tzinfo=UTC), plain.person_id: MONDAY_1000}


def test_no_invitation_for_a_week_that_was_closed_early(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        team(session, 2)
        session.add(PulseWeek(week_start=WEEK, closed_at=MONDAY_0959, threshold=5))
    assert plan(engine, MONDAY_1000) == {}


def test_dry_run_lists_what_would_go_and_writes_nothing(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        members = team(session, 2)
    due = notify.preview(engine, MONDAY_1000)
    assert sorted(d.to for d in due) == sorted(m.email for m in members)
    assert {d.kind for d in due} == {"pulse_invitation"}
    assert rows(engine, "pulse_invitation") == []
    plan(engine, MONDAY_1000)
    due = notify.preview(engine, THURSDAY_1000)
    assert {d.to for d in due if d.kind == "pulse_reminder"} == {notify.HIDDEN_RECIPIENT}


# -- one click from the email --------------------------------------------------------------------


def invitation_links(engine: Engine, server: MailServer, person: Actor) -> dict[int, str]:
    plan(engine, MONDAY_1000)
    send(engine, server, MONDAY_1000)
    message = next(m for m in server.inbox.messages if m["To"] == person.email)
    return links_in(text_part(message))


def stored_answer(engine: Engine, person: Actor) -> tuple[int, int | None, str] | None:
    with unit_of_work(engine, write=False) as session:
        row = session.scalars(select(PulseResponse).where(PulseResponse.person_id == person.person_id)).one_or_none()
        return None if row is None else (row.score, row.enps, row.comment)


def test_a_link_from_the_email_answers_once_and_the_follow_up_adds_the_rest(engine: Engine, server: MailServer) -> None:
    with unit_of_work(engine) as session:
        [person, other] = team(session, 2)
    links = invitation_links(engine, server, person)
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert all(url.startswith(f"{preferences.public_url()}/answer?t=") for url in links.values())
    with unit_of_work(engine) as session:
        answered = pulse_links.answer(session, token_of(links[4]), WEDNESDAY)
    assert (answered.week, answered.score) == (WEEK, 4)
    assert stored_answer(engine, person) == (4, None, "")
    with unit_of_work(engine) as session, pytest.raises(LinkRefused) as used:
        pulse_links.answer(session, token_of(links[2]), WEDNESDAY)
    assert used.value.reason == "used"
    with unit_of_work(engine) as session:
        pulse_links.follow_up(session, answered.follow_up, 9, "Good week, thanks", WEDNESDAY)
    assert stored_answer(engine, person) == (4, 9, "Good week, thanks")
    with unit_of_work(engine) as session, pytest.raises(LinkRefused) as again:
        pulse_links.follow_up(session, answered.follow_up, 3, "", WEDNESDAY)
    assert again.value.reason == "used"
    assert stored_answer(engine, other) is None


def test_a_bad_follow_up_names_the_field_and_uses_nothing_up(engine: Engine, server: MailServer) -> None:
    with unit_of_work(engine) as session:
        [person] = team(session, 1)
    links = invitation_links(engine, server, person)
    with unit_of_work(engine) as session:
        follow_up = pulse_links.answer(session, token_of(links[3]), WEDNESDAY).follow_up
    with unit_of_work(engine) as session, pytest.raises(ValidationError) as bad:
        pulse_links.follow_up(session, follow_up, 11, "", WEDNESDAY)
    assert [p.field for p in bad.value.problems] == ["enps"]
    with unit_of_work(engine) as session:
        pulse_links.follow_up(session, follow_up, 10, "", WEDNESDAY)
    assert stored_answer(engine, person) == (3, 10, "")


@pytest.mark.parametrize("case", ["tampered", "expired", "other_week", "inactive", "wrong_purpose"])
def test_a_link_that_may_not_answer_is_refused_with_why_and_stores_nothing(
    engine: Engine, server: MailServer, case: str
) -> None:
    with unit_of_work(engine) as session:
        [person] = team(session, 1)
    links = invitation_links(engine, server, person)
    token, at, reason = token_of(links[5]), WEDNESDAY, case
    if case == "tampered":
        middle = len(token) // 2
        token = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    elif case == "expired":
        at = datetime(2026, 3, 23, 0, 0, tzinfo=UTC)  # the week closed at midnight
    elif case == "other_week":
        with unit_of_work(engine) as session:
            sign = capabilities.signer(session, pulse_links.ANSWER)
            token = sign({"p": person.person_id, "w": "2026-03-09", "s": 5}, WEDNESDAY + timedelta(days=30))
    elif case == "inactive":
        with unit_of_work(engine) as session:
            session.get_one(Person, person.person_id).active = False
    elif case == "wrong_purpose":
        with unit_of_work(engine) as session:
            token = token_of(preferences.unsubscribe_url(session, person.person_id, "pulse_invitation", WEDNESDAY))
        reason = "tampered"
    with unit_of_work(engine) as session, pytest.raises(LinkRefused) as refused:
        pulse_links.answer(session, token, at)
    assert refused.value.reason == reason
    assert person.name not in refused.value.message and person.email not in refused.value.message
    assert stored_answer(engine, person) is None


def test_links_of_one_person_do_not_answer_for_another(engine: Engine, server: MailServer) -> None:
    with unit_of_work(engine) as session:
        ana, ben = team(session, 2)
    links = invitation_links(engine, server, ana)
    with unit_of_work(engine) as session:
        pulse_links.answer(session, token_of(links[1]), WEDNESDAY)
    assert stored_answer(engine, ana) == (1, None, "")
    assert stored_answer(engine, ben) is None


# -- the words ---------------------------------------------------------------------------------


def test_what_people_typed_is_text_in_the_html_and_every_value_is_required() -> None:
    context = {
        "name": "<b>Zoë</b> & co",
        "challenge": "Trees <script>alert(1)</script>",
        "day": "Monday 16 March 2026",
        "amount": "3 trees",
        "decision": "rejected",
        "approved": False,
        "by": "Lee",
        "reason": 'Photo missing "again" <img src=x onerror=alert(1)>',
        "link": "https://board.example/my_standing",
        "preferences_url": "https://board.example/account",
        "unsubscribe_url": "https://board.example/unsubscribe?t=x&y=1",
    }
    rendered = messages.render("decision", context)
    assert rendered.subject == "Your entry was rejected"
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<img" not in rendered.html and "&lt;b&gt;Zoë&lt;/b&gt; &amp; co" in rendered.html
    assert 'href="https://board.example/unsubscribe?t=x&amp;y=1"' in rendered.html
    assert '<html lang="en">' in rendered.html and "<h1>Your entry was rejected</h1>" in rendered.html
    assert 'Photo missing "again" <img src=x onerror=alert(1)>' in rendered.text
    assert "Stop these messages: https://board.example/unsubscribe?t=x&y=1" in rendered.text
    with pytest.raises(Exception, match="reason"):
        messages.render("decision", {k: v for k, v in context.items() if k != "reason"})


# -- decisions -----------------------------------------------------------------------------------


def test_the_submitter_is_told_of_each_decision_with_the_reason(engine: Engine, server: MailServer) -> None:
    with time_machine.travel(WEDNESDAY, tick=False), unit_of_work(engine) as session:
        lead = make_person(session, team="Cedar", role=Role.LEAD, name="Lee Lead")
        ana = make_person(session, team="Cedar", name="Ana")
        muted = make_person(session, team="Cedar", name="Mo")
        preferences.choose(session, muted, "decision", False, "email")
        trees = make_challenge(session, name="Plant trees", kind=Kind.TREES)
        kept = log(session, ana, trees, 3, status=Status.PENDING)
        refused = log(session, ana, trees, 40, date(2026, 3, 11), status=Status.PENDING)
        silent = log(session, muted, trees, 2, status=Status.PENDING)
        results.decide(session, lead, [kept, silent], approve=True)
        results.decide(session, lead, [refused], approve=False, reason="Forty trees in a day needs a photo")
    assert send(engine, server, WEDNESDAY).sent == 2
    by_subject = {m["Subject"]: text_part(m) for m in server.inbox.messages}
    assert set(by_subject) == {"Your entry was approved", "Your entry was rejected"}
    assert {m["To"] for m in server.inbox.messages} == {ana.email}
    assert (
        "Plant trees on Tuesday 10 March 2026 (3 trees) was approved by Lee Lead"
        in by_subject["Your entry was approved"]
    )
    assert "The reason given: Forty trees in a day needs a photo" in by_subject["Your entry was rejected"]
    with unit_of_work(engine, write=False) as session:
        periods = sorted(session.scalars(select(OutboxMessage.period).where(OutboxMessage.kind == "decision")))
        assert periods == sorted([f"entry-{kept}", f"entry-{refused}"])
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_a_decision_rolled_back_sends_nothing(engine: Engine) -> None:
    with time_machine.travel(WEDNESDAY, tick=False):
        with unit_of_work(engine) as session:
            lead = make_person(session, team="Cedar", role=Role.LEAD)
            ana = make_person(session, team="Cedar")
            entry = log(session, ana, make_challenge(session), 3, status=Status.PENDING)
        with pytest.raises(RuntimeError), unit_of_work(engine) as session:
            results.decide(session, lead, [entry], approve=True)
            raise RuntimeError("the request failed after the decision")
    assert rows(engine, "decision") == []
    with unit_of_work(engine, write=False) as session:
        assert session.get_one(Result, entry).status is Status.PENDING


# -- Slack and Teams -----------------------------------------------------------------------------


def test_a_person_who_chose_slack_gets_their_invitation_there_and_failures_are_retried(engine: Engine) -> None:
    with webhook_server() as hooks, mail_server() as mail:
        with unit_of_work(engine) as session:
            ana, ben = team(session, 2)
            preferences.set_webhook(session, ana, "person", ana.person_id or 0, "slack", hooks.url("/ana"), MONDAY_1000)
            preferences.choose(session, ana, "pulse_invitation", True, "slack")
        plan(engine, MONDAY_1000)
        settings_ = smtp.SmtpSettings.from_env(mail.env)
        hooks.status = 500
        assert delivery.deliver(engine, settings_, MONDAY_1000) == delivery.Delivered(sent=1, retrying=1, failed=0)
        assert [m["To"] for m in mail.inbox.messages] == [ben.email]
        with unit_of_work(engine, write=False) as session:
            row = session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == ana.person_id)).one()
            assert row.last_error is not None and "HTTP 500 from 127.0.0.1" in row.last_error
            assert "/ana" not in row.last_error
        hooks.status = 200
        later = MONDAY_1000 + timedelta(minutes=1)
        assert delivery.deliver(engine, settings_, later) == delivery.Delivered(sent=1, retrying=0, failed=0)
        bodies = hooks.bodies("/ana")
        assert len(bodies) == 2  # the refused attempt, then the one that went through
        posted = str(bodies[-1])
        assert "Your weekly pulse" in posted and f"{preferences.public_url()}/answer?t=" in posted
        assert len(mail.inbox.messages) == 1  # Ana's came by Slack, not by email as well


def test_a_message_whose_webhook_was_removed_fails_with_a_reason(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        [ana] = team(session, 1)
        preferences.set_webhook(
            session, ana, "person", ana.person_id or 0, "teams", "https://x.example/hook", MONDAY_1000
        )
        preferences.choose(session, ana, "pulse_invitation", True, "teams")
    plan(engine, MONDAY_1000)
    with unit_of_work(engine) as session:
        preferences.remove_webhook(session, ana, "person", ana.person_id or 0, "teams")
    with mail_server() as mail:
        done = delivery.deliver(engine, smtp.SmtpSettings.from_env(mail.env), MONDAY_1000)
    assert done.retrying == 1
    with unit_of_work(engine, write=False) as session:
        [row] = session.scalars(select(OutboxMessage)).all()
        assert row.last_error == "no Microsoft Teams webhook for this person any more"
