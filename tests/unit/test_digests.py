"""The weekly digests on both stores: each person's figures as the boards compute them, told once.

Promises: at the digest moment in each person's zone, agents and leads get
their points and place, their team's place and gap, a challenge ending soon
and the entries decided for them since the last digest; leads the entries
waiting for them; managers only what the Morale page publishes (a group too
small to stay anonymous is not in it); a team's channel gets the team's place
and nothing about any one person.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import Kind, OutboxMessage, Person, Role, Status
from engagement import delivery, leaderboards, preferences, publication, pulse, results, schedule, smtp
from engagement.access import SYSTEM, Actor
from harness.mail import mail_server
from harness.webhooks import WebhookServer, webhook_server
from tests.factories import log, make_challenge, make_person

WEEK = date(2026, 3, 16)
THURSDAY = datetime(2026, 3, 19, 15, 0, tzinfo=UTC)
FRIDAY_1459 = datetime(2026, 3, 20, 14, 59, tzinfo=UTC)
FRIDAY_1500 = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def hooks() -> Iterator[WebhookServer]:
    with webhook_server() as server:
        yield server


def plan(engine: Engine, now: datetime) -> dict[str, int]:
    with unit_of_work(engine) as session:
        return schedule.plan(session, now).counts


def digest_of(engine: Engine, kind: str, person: Actor) -> str:
    with unit_of_work(engine, write=False) as session:
        text = session.scalar(
            select(OutboxMessage.body_text).where(
                OutboxMessage.kind == kind, OutboxMessage.person_id == person.person_id
            )
        )
    assert text is not None, f"no {kind} for {person.name}"
    return text


def organisation(session: Session, *, points: bool = True) -> dict[str, Actor]:
    """Cedar (a lead and five agents) and Oak (two agents), a manager; with ``points``, points logged this week."""
    people = {"lead": make_person(session, team="Cedar", role=Role.LEAD, name="Lee Lead")}
    for n in range(5):
        people[f"cedar{n}"] = make_person(session, team="Cedar", name=f"Cedar Agent {n}")
    people["oak0"] = make_person(session, team="Oak", name="Oak Agent 0")
    people["oak1"] = make_person(session, team="Oak", name="Oak Agent 1")
    people["manager"] = make_person(session, team=None, role=Role.MANAGER, name="Mia Manager")
    trees = make_challenge(
        session, name="Plant trees", kind=Kind.TREES, starts_on=date(2026, 3, 2), ends_on=WEEK + timedelta(days=6)
    )
    if points:
        log(session, people["cedar0"], trees, 6, date(2026, 3, 16))
        log(session, people["cedar1"], trees, 3, date(2026, 3, 17))
        log(session, people["oak0"], trees, 10, date(2026, 3, 17))
    return people


def test_an_agent_s_digest_has_the_board_s_figures(engine: Engine) -> None:
    with time_machine.travel(THURSDAY, tick=False), unit_of_work(engine) as session:
        people = organisation(session)
    assert "agent_digest" not in plan(engine, FRIDAY_1459)
    counts = plan(engine, FRIDAY_1500)
    assert counts["agent_digest"] == 8  # five agents and the lead of Cedar, two of Oak
    assert "manager_digest" not in counts  # no week has closed: nothing published to tell
    with unit_of_work(engine, write=False) as session:
        board = leaderboards.ranking(session, SYSTEM, leaderboards.Scope(None, WEEK, WEEK + timedelta(days=6)))
    rank, points = board.people[people["cedar0"].person_id]  # type: ignore[index]
    text = digest_of(engine, "agent_digest", people["cedar0"])
    assert f"You have {points:g} points this week, place {rank} of {len(board.people)}." in text
    oak, cedar = board.teams[0], board.teams[1]
    assert (oak.team, cedar.team) == ("Oak", "Cedar")
    gap = round(oak.points_per_member - cedar.points_per_member, 2)
    assert f"Your team is in place 2 of 2, {gap:g} points per member behind Oak." in text
    assert "Plant trees ends on Sunday 22 March 2026, in 2 days." in text
    assert "ahead of every other team" in digest_of(engine, "agent_digest", people["oak1"])
    assert "You have 0 points this week." in digest_of(engine, "agent_digest", people["cedar4"])
    assert plan(engine, FRIDAY_1500 + timedelta(hours=3)) == {}


def test_each_person_gets_theirs_at_the_moment_in_their_own_zone(engine: Engine) -> None:
    with time_machine.travel(THURSDAY, tick=False), unit_of_work(engine) as session:
        people = organisation(session)
        session.get_one(Person, people["oak0"].person_id).timezone = "Asia/Manila"
    assert plan(engine, datetime(2026, 3, 20, 7, 0, tzinfo=UTC))["agent_digest"] == 1
    digest_of(engine, "agent_digest", people["oak0"])


def test_the_digest_lists_entries_decided_since_the_last_one_once(engine: Engine) -> None:
    with time_machine.travel(THURSDAY - timedelta(days=7), tick=False), unit_of_work(engine) as session:
        people = organisation(session, points=False)
        trees = make_challenge(session, name="Tree week", kind=Kind.TREES)
        before = log(session, people["cedar2"], trees, 2, date(2026, 3, 11), status=Status.PENDING)
        results.decide(session, people["lead"], [before], approve=True)  # told in last week's digest
    with time_machine.travel(THURSDAY, tick=False), unit_of_work(engine) as session:
        kept = log(session, people["cedar2"], trees, 4, date(2026, 3, 17), status=Status.PENDING)
        refused = log(session, people["cedar2"], trees, 90, date(2026, 3, 18), status=Status.PENDING)
        results.decide(session, people["lead"], [kept], approve=True)
        results.decide(session, people["lead"], [refused], approve=False, reason="Ninety needs a photo")
    plan(engine, FRIDAY_1500)
    text = digest_of(engine, "agent_digest", people["cedar2"])
    assert "- Tree week, Wednesday 18 March 2026, 90 trees: rejected (Ninety needs a photo)" in text
    assert "- Tree week, Tuesday 17 March 2026, 4 trees: approved" in text
    assert "11 March" not in text
    assert "DECIDED" not in digest_of(engine, "agent_digest", people["cedar3"])


def test_a_lead_hears_of_entries_waiting_for_them_and_not_of_their_own(engine: Engine) -> None:
    with time_machine.travel(THURSDAY - timedelta(days=3), tick=False), unit_of_work(engine) as session:
        people = organisation(session, points=False)
        trees = make_challenge(session, name="Tree week", kind=Kind.TREES)
        log(session, people["cedar3"], trees, 2, status=Status.PENDING)
    with time_machine.travel(THURSDAY, tick=False), unit_of_work(engine) as session:
        log(session, people["cedar4"], trees, 1, status=Status.PENDING)
        log(session, people["lead"], trees, 1, status=Status.PENDING)  # another lead decides this one
        log(session, people["oak0"], trees, 1, status=Status.PENDING)  # another team's
    assert plan(engine, FRIDAY_1500)["lead_digest"] == 1
    text = digest_of(engine, "lead_digest", people["lead"])
    assert "2 entries are waiting for your approval; the oldest has waited 4 days." in text
    assert "/approvals" in text


def answer_last_week(session: Session, people: dict[str, Actor]) -> None:
    last = WEEK - timedelta(days=7)
    answers = [
        pulse.Answer(p.person_id, p.team_id, last, {"cedar": 4, "oak": 1, "pine": 2}[key[:-1]])  # type: ignore[arg-type]
        for key, p in people.items()
        if p.team_id is not None and key != "lead"
    ]
    pulse.store_answers(session, answers, last)


def test_a_manager_hears_only_what_the_morale_page_publishes(engine: Engine) -> None:
    with time_machine.travel(WEEK - timedelta(days=3), tick=False), unit_of_work(engine) as session:
        people = organisation(session, points=False)
        for n in range(3):  # Oak (2) and Pine (3) are each too small to show; together they are not
            people[f"pine{n}"] = make_person(session, team="Pine", name=f"Pine Agent {n}")
        answer_last_week(session, people)
    with unit_of_work(engine) as session:
        publication.close_weeks(session, FRIDAY_1500)
    assert plan(engine, FRIDAY_1500)["manager_digest"] == 1
    text = digest_of(engine, "manager_digest", people["manager"])
    assert "the week of Monday 9 March 2026" in text
    assert "- Company: 10 of 11 answered, average 2.8" in text
    assert "- Cedar: 5 of 6 answered, average 4.0" in text
    assert "Oak" not in text and "Pine" not in text  # too few answers each: not named at all
    assert "Groups with fewer than 5 answers are not shown" in text
    assert "1.0" not in text  # Oak's mean of 1 is nowhere, even pooled into another line


def test_a_team_channel_gets_the_team_s_place_and_nothing_personal(engine: Engine, hooks: WebhookServer) -> None:
    with time_machine.travel(THURSDAY, tick=False), unit_of_work(engine) as session:
        people = organisation(session)
        preferences.set_webhook(session, people["lead"], "team", people["lead"].team_id, "slack", hooks.url(), THURSDAY)  # type: ignore[arg-type]
    counts = plan(engine, FRIDAY_1500)
    assert counts["team_digest"] == 1
    assert plan(engine, FRIDAY_1500 + timedelta(hours=1)) == {}
    with mail_server() as mail:
        done = delivery.deliver(engine, smtp.SmtpSettings.from_env(mail.env), FRIDAY_1500)
        assert done.failed == 0 and done.retrying == 0
    [body] = hooks.bodies()
    posted = str(body)
    assert "Cedar, week of Monday 16 March 2026: place 2 of 2" in posted
    assert "behind Oak" in posted
    for person in people.values():
        assert person.name not in posted and person.email not in posted
    with unit_of_work(engine, write=False) as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "team_digest")).one()
        assert (row.person_id, row.recipient, row.status) == (None, f"team:{people['lead'].team_id}", "sent")


def test_people_who_turned_a_digest_off_get_none(engine: Engine) -> None:
    with time_machine.travel(THURSDAY, tick=False), unit_of_work(engine) as session:
        people = organisation(session)
        preferences.choose(session, people["cedar1"], "agent_digest", False, "email")
        admin = make_person(session, team=None, role=Role.ADMIN)
        preferences.set_default(session, admin, "agent_digest", "off")
        preferences.choose(session, people["cedar2"], "agent_digest", True, "email")
    assert plan(engine, FRIDAY_1500)["agent_digest"] == 1
    digest_of(engine, "agent_digest", people["cedar2"])
