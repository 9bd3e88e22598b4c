"""Who gets which message, where, and when not: choices, quiet hours, webhooks and unsubscribing, on both stores.

Promises: each person sees and sets a choice for exactly the kinds their role
receives, the organisation's default (set by admins only) filling in where they
made none; Slack or Teams needs the person's own webhook, and routing falls
back to email without one (a team's channel never carries a person's
messages); quiet hours in the person's own zone hold a message back until they
end, across midnight or within a day; webhooks are managed by their owner (a
team's by its lead or an admin), listed and audited by host only, and removing
a personal one moves the choices that used it back to email; an unsubscribe
link turns one kind off for one person, once, and is refused when altered,
expired, made for another purpose or held for someone who has left; links in
messages start with IB_PUBLIC_URL. Every change is audited.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.models import AuditEntry, NotificationPreference, Person, QuietHours, Role, Setting, Webhook
from engagement import capabilities, organisation, preferences
from engagement.access import SYSTEM, Actor
from engagement.capabilities import LinkRefused
from engagement.errors import NotFound, PermissionDenied, ValidationError
from engagement.preferences import Choice, Recipient, Route
from tests.factories import make_person

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
SLACK_URL = "https://hooks.slack.com/services/T/B/X"
SLACK_SECRET = "/services/T/B/X"
TEAMS_URL = "https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s3cret"
UTC_ZONE = ZoneInfo("UTC")
MANILA = ZoneInfo("Asia/Manila")
PARIS = ZoneInfo("Europe/Paris")


def _pid(actor: Actor) -> int:
    assert actor.person_id is not None
    return actor.person_id


def _tid(actor: Actor) -> int:
    assert actor.team_id is not None
    return actor.team_id


def _by_kind(session: Session, actor: Actor) -> dict[str, Choice]:
    return {c.kind: c for c in preferences.choices(session, actor)}


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _recipient(actor: Actor, zone: ZoneInfo = UTC_ZONE) -> Recipient:
    return Recipient(_pid(actor), actor.email, zone)


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def _problem_fields(error: ValidationError) -> list[str]:
    return [p.field for p in error.problems]


# choices() and set_default() ----------------------------------------------------------------------


def test_an_agent_sees_the_kinds_for_agents_and_not_the_lead_or_manager_digests(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session, role=Role.AGENT)
        kinds = [c.kind for c in preferences.choices(session, agent)]
    assert kinds == ["pulse_invitation", "pulse_reminder", "agent_digest", "decision"]
    assert kinds == [k for k, roles in preferences.FOR_ROLES.items() if Role.AGENT in roles]


def test_a_manager_sees_the_manager_digest_but_not_the_agent_digest(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        manager = make_person(session, team=None, role=Role.MANAGER)
        lead = make_person(session, role=Role.LEAD)
        manager_kinds = {c.kind for c in preferences.choices(session, manager)}
        lead_kinds = {c.kind for c in preferences.choices(session, lead)}
    assert "manager_digest" in manager_kinds
    assert "agent_digest" not in manager_kinds
    assert "lead_digest" not in manager_kinds
    assert {"lead_digest", "agent_digest"} <= lead_kinds
    assert "manager_digest" not in lead_kinds


def test_without_a_choice_every_kind_is_on_by_email_as_the_default(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        shown = preferences.choices(session, agent)
    assert shown
    for choice in shown:
        assert (choice.enabled, choice.channel, choice.chosen) == (True, "email", False)
        assert choice.label == preferences.KINDS[choice.kind]


def test_a_person_who_is_not_a_person_has_no_choices(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        assert preferences.choices(session, SYSTEM) == []


def test_an_admin_turning_a_kind_off_by_default_shows_it_off_for_those_who_did_not_choose(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        admin = make_person(session, team=None, role=Role.ADMIN)
        agent = make_person(session)
        chooser = make_person(session)
        preferences.choose(session, chooser, "agent_digest", True, "email")
        preferences.set_default(session, admin, "agent_digest", "off")
    with unit_of_work(engine, write=False) as session:
        mine = _by_kind(session, agent)
        theirs = _by_kind(session, chooser)
        stored = session.get(Setting, "notify.default.agent_digest")
        entries = _audit(session, "setting.update")
    assert mine["agent_digest"] == Choice(
        "agent_digest", preferences.KINDS["agent_digest"], enabled=False, channel="email", chosen=False
    )
    assert mine["decision"].enabled is True
    assert theirs["agent_digest"].enabled is True
    assert theirs["agent_digest"].chosen is True
    assert stored is not None and stored.value == "off"
    assert len(entries) == 1
    assert entries[0].actor_id == _pid(admin)
    assert entries[0].before is None
    assert json.loads(entries[0].after or "{}") == {"key": "notify.default.agent_digest", "value": "off"}


def test_changing_a_default_again_updates_the_one_setting_and_audits_what_it_was(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        admin = make_person(session, team=None, role=Role.ADMIN)
        preferences.set_default(session, admin, "decision", "off")
        preferences.set_default(session, admin, "decision", "teams")
    with unit_of_work(engine, write=False) as session:
        assert preferences.defaults(session)["decision"] == "teams"
        assert session.scalar(select(func.count()).select_from(Setting).where(Setting.key.like("notify.%"))) == 1
        entries = _audit(session, "setting.update")
    assert json.loads(entries[-1].before or "{}") == {"key": "notify.default.decision", "value": "off"}


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.MANAGER])
def test_only_an_admin_may_set_a_default(engine: Engine, role: Role) -> None:
    with unit_of_work(engine) as session:
        person = make_person(session, team=None if role is Role.MANAGER else "Cedar", role=role)
        with pytest.raises(PermissionDenied):
            preferences.set_default(session, person, "agent_digest", "off")
        assert session.get(Setting, "notify.default.agent_digest") is None


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [("agent_digest", "pigeon", "default"), ("agent_digest", "", "default"), ("weekly_horoscope", "email", "kind")],
)
def test_a_default_must_be_a_channel_or_off_for_a_known_kind(engine: Engine, kind: str, value: str, field: str) -> None:
    with unit_of_work(engine) as session:
        admin = make_person(session, team=None, role=Role.ADMIN)
        with pytest.raises(ValidationError) as refused:
            preferences.set_default(session, admin, kind, value)
        assert _problem_fields(refused.value) == [field]
        assert _audit(session, "setting.update") == []


# choose() -----------------------------------------------------------------------------------------


def test_a_choice_is_stored_shown_as_chosen_and_audited(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.choose(session, agent, "pulse_reminder", False, "email")
    with unit_of_work(engine, write=False) as session:
        row = session.get(NotificationPreference, (_pid(agent), "pulse_reminder"))
        shown = _by_kind(session, agent)
        entries = _audit(session, "notification.choose")
    assert row is not None and (row.enabled, row.channel) == (False, "email")
    assert shown["pulse_reminder"] == Choice(
        "pulse_reminder", preferences.KINDS["pulse_reminder"], enabled=False, channel="email", chosen=True
    )
    assert shown["pulse_invitation"].chosen is False
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor_id, entry.entity, entry.entity_id) == (_pid(agent), "person", _pid(agent))
    assert entry.before is None
    assert json.loads(entry.after or "{}") == {"kind": "pulse_reminder", "enabled": False, "channel": "email"}


def test_choosing_again_replaces_the_choice_and_audits_what_it_was(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.choose(session, agent, "decision", False, "email")
    with unit_of_work(engine) as session:
        preferences.choose(session, agent, "decision", True, "email")
    with unit_of_work(engine, write=False) as session:
        rows = session.scalars(select(NotificationPreference).where(NotificationPreference.person_id == _pid(agent)))
        stored = [(r.kind, r.enabled, r.channel) for r in rows]
        entries = _audit(session, "notification.choose")
    assert stored == [("decision", True, "email")]
    assert len(entries) == 2
    assert json.loads(entries[1].before or "{}") == {"kind": "decision", "enabled": False, "channel": "email"}
    assert json.loads(entries[1].after or "{}") == {"kind": "decision", "enabled": True, "channel": "email"}


@pytest.mark.parametrize(("channel", "label"), [("slack", "Slack"), ("teams", "Microsoft Teams")])
def test_choosing_a_webhook_channel_without_ones_own_webhook_is_refused_naming_it(
    engine: Engine, channel: str, label: str
) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        with pytest.raises(ValidationError) as refused:
            preferences.choose(session, agent, "agent_digest", True, channel)
        assert _problem_fields(refused.value) == ["channel"]
        assert label in str(refused.value)
        assert session.get(NotificationPreference, (_pid(agent), "agent_digest")) is None
        assert _audit(session, "notification.choose") == []


def test_choosing_slack_is_accepted_once_the_person_has_a_slack_webhook(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.set_webhook(session, agent, "person", _pid(agent), "slack", SLACK_URL, NOW)
        preferences.choose(session, agent, "agent_digest", True, "slack")
    with unit_of_work(engine, write=False) as session:
        row = session.get(NotificationPreference, (_pid(agent), "agent_digest"))
        assert row is not None and (row.enabled, row.channel) == (True, "slack")
        assert _by_kind(session, agent)["agent_digest"].channel == "slack"


def test_a_team_webhook_does_not_count_as_ones_own_for_choosing_slack(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        lead = make_person(session, role=Role.LEAD)
        preferences.set_webhook(session, lead, "team", _tid(lead), "slack", SLACK_URL, NOW)
        with pytest.raises(ValidationError):
            preferences.choose(session, lead, "lead_digest", True, "slack")


@pytest.mark.parametrize(
    ("kind", "channel", "field"),
    [("weekly_horoscope", "email", "kind"), ("decision", "carrier-pigeon", "channel"), ("decision", "off", "channel")],
)
def test_an_unknown_kind_or_channel_is_refused(engine: Engine, kind: str, channel: str, field: str) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        with pytest.raises(ValidationError) as refused:
            preferences.choose(session, agent, kind, True, channel)
        assert _problem_fields(refused.value) == [field]
        assert session.scalar(select(func.count()).select_from(NotificationPreference)) == 0


def test_the_command_line_cannot_choose_because_it_receives_nothing(engine: Engine) -> None:
    with unit_of_work(engine) as session, pytest.raises(ValidationError) as refused:
        preferences.choose(session, SYSTEM, "decision", True, "email")
    assert _problem_fields(refused.value) == ["person"]


# routes() -----------------------------------------------------------------------------------------


def test_by_default_a_message_goes_by_email_to_the_persons_address_at_once(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        ana = make_person(session)
        ben = make_person(session)
        got = preferences.routes(session, "agent_digest", [_recipient(ana), _recipient(ben)], NOW)
    assert got == {
        _pid(ana): Route("email", ana.email, None),
        _pid(ben): Route("email", ben.email, None),
    }


def test_a_person_who_turned_a_kind_off_is_left_out(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        ana = make_person(session)
        ben = make_person(session)
        preferences.choose(session, ben, "agent_digest", False, "email")
    with unit_of_work(engine, write=False) as session:
        digest = preferences.routes(session, "agent_digest", [_recipient(ana), _recipient(ben)], NOW)
        decision = preferences.routes(session, "decision", [_recipient(ana), _recipient(ben)], NOW)
    assert set(digest) == {_pid(ana)}
    assert set(decision) == {_pid(ana), _pid(ben)}


def test_a_person_who_chose_slack_with_a_webhook_is_routed_to_their_own_webhook(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.set_webhook(session, agent, "person", _pid(agent), "slack", SLACK_URL, NOW)
        preferences.choose(session, agent, "decision", True, "slack")
    with unit_of_work(engine, write=False) as session:
        got = preferences.routes(session, "decision", [_recipient(agent)], NOW)
        other_kind = preferences.routes(session, "agent_digest", [_recipient(agent)], NOW)
    assert got == {_pid(agent): Route("slack", f"person:{_pid(agent)}", None)}
    assert other_kind == {_pid(agent): Route("email", agent.email, None)}


def test_a_slack_default_reaches_those_with_a_webhook_and_the_rest_by_email(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        admin = make_person(session, team=None, role=Role.ADMIN)
        hooked = make_person(session)
        plain = make_person(session)
        preferences.set_webhook(session, hooked, "person", _pid(hooked), "slack", SLACK_URL, NOW)
        preferences.set_default(session, admin, "agent_digest", "slack")
    with unit_of_work(engine, write=False) as session:
        got = preferences.routes(session, "agent_digest", [_recipient(hooked), _recipient(plain)], NOW)
    assert got == {
        _pid(hooked): Route("slack", f"person:{_pid(hooked)}", None),
        _pid(plain): Route("email", plain.email, None),
    }


def test_a_teams_webhook_of_a_team_with_the_persons_id_does_not_carry_their_messages(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        # Team and person ids share no namespace but can be equal: a fresh store gives both 1.
        assert _tid(agent) == _pid(agent)
        preferences.set_webhook(session, SYSTEM, "team", _tid(agent), "teams", TEAMS_URL, NOW)
        preferences.set_default(session, SYSTEM, "decision", "teams")
    with unit_of_work(engine, write=False) as session:
        got = preferences.routes(session, "decision", [_recipient(agent)], NOW)
    assert got == {_pid(agent): Route("email", agent.email, None)}


def test_an_off_default_leaves_out_everyone_who_did_not_turn_the_kind_on(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        ana = make_person(session)
        ben = make_person(session)
        preferences.choose(session, ben, "pulse_reminder", True, "email")
        preferences.set_default(session, SYSTEM, "pulse_reminder", "off")
    with unit_of_work(engine, write=False) as session:
        got = preferences.routes(session, "pulse_reminder", [_recipient(ana), _recipient(ben)], NOW)
    assert got == {_pid(ben): Route("email", ben.email, None)}


def test_routing_an_unknown_kind_is_refused(engine: Engine) -> None:
    with unit_of_work(engine) as session, pytest.raises(ValidationError):
        preferences.routes(session, "weekly_horoscope", [], NOW)


def test_quiet_hours_across_midnight_hold_a_message_until_they_end_in_the_persons_zone(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        manila = make_person(session)
        london = make_person(session)
        preferences.set_quiet_hours(session, manila, time(22, 0), time(7, 0))
        preferences.set_quiet_hours(session, london, time(22, 0), time(7, 0))
    late_in_manila = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)  # 23:00 in Manila, 15:00 in London
    people = [_recipient(manila, MANILA), _recipient(london, ZoneInfo("Europe/London"))]
    with unit_of_work(engine, write=False) as session:
        inside = preferences.routes(session, "decision", people, late_in_manila)
        outside = preferences.routes(session, "decision", people, NOW)  # 20:00 in Manila
    # 07:00 in Manila the next morning is 23:00 UTC the same day.
    assert inside[_pid(manila)] == Route("email", manila.email, datetime(2026, 3, 18, 23, 0, tzinfo=UTC))
    assert inside[_pid(london)] == Route("email", london.email, None)
    assert outside[_pid(manila)].not_before is None


def test_daytime_quiet_hours_hold_a_message_until_they_end_that_day(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.set_quiet_hours(session, agent, time(9, 0), time(17, 0))
    people = [_recipient(agent, PARIS)]  # Paris is UTC+1 until 29 March 2026
    with unit_of_work(engine, write=False) as session:
        at_noon_utc = preferences.routes(session, "decision", people, NOW)  # 13:00 in Paris
        after_work = preferences.routes(session, "decision", people, datetime(2026, 3, 18, 16, 0, tzinfo=UTC))
        before_work = preferences.routes(session, "decision", people, datetime(2026, 3, 18, 7, 59, tzinfo=UTC))
    assert at_noon_utc[_pid(agent)].not_before == datetime(2026, 3, 18, 16, 0, tzinfo=UTC)
    assert after_work[_pid(agent)].not_before is None  # 17:00 in Paris: the window has just ended
    assert before_work[_pid(agent)].not_before is None  # 08:59 in Paris


def test_routing_many_people_reads_each_ones_own_choices_and_quiet_hours(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        people = [make_person(session) for _ in range(6)]
        preferences.choose(session, people[1], "decision", False, "email")
        preferences.set_quiet_hours(session, people[2], time(11, 0), time(13, 0))
    with unit_of_work(engine, write=False) as session:
        got = preferences.routes(session, "decision", [_recipient(p) for p in people], NOW)
    assert set(got) == {_pid(p) for p in people} - {_pid(people[1])}
    assert {pid for pid, route in got.items() if route.not_before is not None} == {_pid(people[2])}
    assert got[_pid(people[2])].not_before == datetime(2026, 3, 18, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (datetime(2026, 3, 18, 23, 30, tzinfo=UTC), datetime(2026, 3, 19, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 18, 22, 0, tzinfo=UTC), datetime(2026, 3, 19, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 19, 0, 0, tzinfo=UTC), datetime(2026, 3, 19, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 19, 3, 0, tzinfo=UTC), datetime(2026, 3, 19, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 19, 6, 59, tzinfo=UTC), datetime(2026, 3, 19, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 19, 7, 0, tzinfo=UTC), None),
        (datetime(2026, 3, 18, 21, 59, tzinfo=UTC), None),
        (datetime(2026, 3, 18, 12, 0, tzinfo=UTC), None),
    ],
)
def test_quiet_hours_across_midnight_end_the_next_morning_or_that_morning(
    now: datetime, until: datetime | None
) -> None:
    assert preferences.quiet_until((time(22, 0), time(7, 0)), UTC_ZONE, now) == until


def test_quiet_until_answers_in_the_zone_of_now_for_a_person_in_another_zone() -> None:
    window = (time(22, 0), time(7, 0))
    late_in_manila = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)
    until = preferences.quiet_until(window, MANILA, late_in_manila)
    assert until == datetime(2026, 3, 18, 23, 0, tzinfo=UTC)
    assert until is not None and until.utcoffset() == timedelta(0)
    assert until.astimezone(MANILA) == datetime(2026, 3, 19, 7, 0, tzinfo=MANILA)
    # Just after midnight in Manila (16:30 UTC), the same morning's 07:00 ends it.
    assert preferences.quiet_until(window, MANILA, datetime(2026, 3, 18, 16, 30, tzinfo=UTC)) == until


def test_quiet_hours_ending_in_the_repeated_hour_end_after_now() -> None:
    new_york = ZoneInfo("America/New_York")  # clocks go back from 02:00 EDT to 01:00 EST on 1 November 2026
    now = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)  # 01:10 EST, the second 01:10 of the night
    until = preferences.quiet_until((time(22, 0), time(1, 30)), new_york, now)
    assert until == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST


def test_without_quiet_hours_nothing_is_held_back() -> None:
    assert preferences.quiet_until(None, MANILA, NOW) is None


# set_quiet_hours() --------------------------------------------------------------------------------


def test_quiet_hours_are_stored_read_back_and_audited(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        assert preferences.quiet_hours(session, agent) is None
        preferences.set_quiet_hours(session, agent, time(22, 0), time(7, 0))
    with unit_of_work(engine) as session:
        assert preferences.quiet_hours(session, agent) == (time(22, 0), time(7, 0))
        preferences.set_quiet_hours(session, agent, time(21, 30), time(6, 45))
    with unit_of_work(engine, write=False) as session:
        assert preferences.quiet_hours(session, agent) == (time(21, 30), time(6, 45))
        assert session.scalar(select(func.count()).select_from(QuietHours)) == 1
        entries = _audit(session, "notification.quiet_hours")
    assert [(json.loads(e.before) if e.before else None) for e in entries] == [
        None,
        {"starts": "22:00:00", "ends": "07:00:00"},
    ]
    assert json.loads(entries[-1].after or "{}") == {"starts": "21:30:00", "ends": "06:45:00"}


@pytest.mark.parametrize(("starts", "ends"), [(time(22, 0), None), (None, time(7, 0))])
def test_quiet_hours_need_both_a_start_and_an_end(engine: Engine, starts: time | None, ends: time | None) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        with pytest.raises(ValidationError) as refused:
            preferences.set_quiet_hours(session, agent, starts, ends)
        assert _problem_fields(refused.value) == ["quiet_hours"]
        assert session.get(QuietHours, _pid(agent)) is None


def test_quiet_hours_must_not_start_when_they_end(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        with pytest.raises(ValidationError) as refused:
            preferences.set_quiet_hours(session, agent, time(22, 0), time(22, 0))
        assert _problem_fields(refused.value) == ["quiet_hours"]
        assert session.get(QuietHours, _pid(agent)) is None


def test_none_and_none_clear_quiet_hours_and_nothing_is_held_back_after(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.set_quiet_hours(session, agent, time(11, 0), time(13, 0))
    with unit_of_work(engine) as session:
        preferences.set_quiet_hours(session, agent, None, None)
    with unit_of_work(engine, write=False) as session:
        assert session.get(QuietHours, _pid(agent)) is None
        assert preferences.quiet_hours(session, agent) is None
        got = preferences.routes(session, "decision", [_recipient(agent)], NOW)
        last = _audit(session, "notification.quiet_hours")[-1]
    assert got[_pid(agent)].not_before is None
    assert json.loads(last.before or "{}") == {"starts": "11:00:00", "ends": "13:00:00"}
    assert last.after is None


# Webhooks -----------------------------------------------------------------------------------------


def test_a_person_cannot_set_or_remove_another_persons_webhook(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        ana = make_person(session)
        ben = make_person(session)
        with pytest.raises(PermissionDenied):
            preferences.set_webhook(session, ana, "person", _pid(ben), "slack", SLACK_URL, NOW)
        preferences.set_webhook(session, ben, "person", _pid(ben), "slack", SLACK_URL, NOW)
        with pytest.raises(PermissionDenied):
            preferences.remove_webhook(session, ana, "person", _pid(ben), "slack")
        admin = make_person(session, team=None, role=Role.ADMIN)
        with pytest.raises(PermissionDenied):  # not even an admin: it carries the person's own links
            preferences.set_webhook(session, admin, "person", _pid(ben), "teams", TEAMS_URL, NOW)
    with unit_of_work(engine, write=False) as session:
        owners = session.execute(select(Webhook.scope, Webhook.owner_id, Webhook.channel)).all()
    assert [tuple(r) for r in owners] == [("person", _pid(ben), "slack")]


def test_a_lead_sets_their_own_teams_webhook_but_not_another_teams(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        lead = make_person(session, team="Cedar", role=Role.LEAD)
        birch = make_person(session, team="Birch")
        assert _tid(lead) != _tid(birch)
        preferences.set_webhook(session, lead, "team", _tid(lead), "slack", SLACK_URL, NOW)
        with pytest.raises(PermissionDenied):
            preferences.set_webhook(session, lead, "team", _tid(birch), "slack", SLACK_URL, NOW)
    with unit_of_work(engine, write=False) as session:
        assert preferences.webhook_url(session, "team", _tid(lead), "slack") == SLACK_URL
        assert preferences.webhook_url(session, "team", _tid(birch), "slack") is None
        assert preferences.team_webhooks(session) == [(_tid(lead), "slack")]


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_agents_and_managers_cannot_set_a_teams_webhook(engine: Engine, role: Role) -> None:
    with unit_of_work(engine) as session:
        person = make_person(session, team="Cedar", role=role)
        with pytest.raises(PermissionDenied):
            preferences.set_webhook(session, person, "team", _tid(person), "slack", SLACK_URL, NOW)
        assert preferences.team_webhooks(session) == []


def test_an_admin_sets_and_replaces_any_teams_webhook(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        cedar = make_person(session, team="Cedar")
        birch = make_person(session, team="Birch")
        admin = make_person(session, team=None, role=Role.ADMIN)
        preferences.set_webhook(session, admin, "team", _tid(cedar), "slack", SLACK_URL, NOW)
        preferences.set_webhook(session, admin, "team", _tid(birch), "teams", TEAMS_URL, NOW)
    later = NOW + timedelta(days=1)
    replacement = "https://hooks.slack.com/services/T/B/Y"
    with unit_of_work(engine) as session:
        preferences.set_webhook(session, admin, "team", _tid(cedar), "slack", f"  {replacement} ", later)
    with unit_of_work(engine, write=False) as session:
        rows = session.scalars(select(Webhook).order_by(Webhook.owner_id, Webhook.channel)).all()
        stored = [(r.scope, r.owner_id, r.channel, r.url, r.created_at) for r in rows]
    assert stored == [
        ("team", _tid(cedar), "slack", replacement, later),
        ("team", _tid(birch), "teams", TEAMS_URL, NOW),
    ]


@pytest.mark.parametrize(
    ("channel", "url", "field"),
    [
        ("slack", "http://example.com/x", "webhook_url"),
        ("teams", "http://example.com/x", "webhook_url"),
        ("slack", "https://example.com/services/T/B/X", "webhook_url"),
        ("slack", "", "webhook_url"),
        ("email", SLACK_URL, "channel"),
    ],
)
def test_an_invalid_webhook_is_refused_and_nothing_is_stored(
    engine: Engine, channel: str, url: str, field: str
) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        with pytest.raises(ValidationError) as refused:
            preferences.set_webhook(session, agent, "person", _pid(agent), channel, url, NOW)
        assert _problem_fields(refused.value) == [field]
        assert session.scalar(select(func.count()).select_from(Webhook)) == 0
        assert _audit(session, "webhook.set") == []


def test_a_webhook_scope_must_be_team_or_person(engine: Engine) -> None:
    with unit_of_work(engine) as session, pytest.raises(ValidationError) as refused:
        preferences.set_webhook(session, SYSTEM, "organisation", 1, "slack", SLACK_URL, NOW)
    assert _problem_fields(refused.value) == ["scope"]


def test_the_webhook_list_shows_each_actor_what_they_manage_by_host_only(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        lead = make_person(session, team="Cedar", role=Role.LEAD)
        agent = make_person(session, team="Cedar")
        birch = make_person(session, team="Birch")
        admin = make_person(session, team=None, role=Role.ADMIN)
        preferences.set_webhook(session, lead, "team", _tid(lead), "slack", SLACK_URL, NOW)
        preferences.set_webhook(session, admin, "team", _tid(birch), "teams", TEAMS_URL, NOW)
        preferences.set_webhook(session, agent, "person", _pid(agent), "slack", SLACK_URL, NOW)
        preferences.set_webhook(session, lead, "person", _pid(lead), "teams", TEAMS_URL, NOW)
    with unit_of_work(engine, write=False) as session:
        seen = {
            name: preferences.webhook_list(session, actor)
            for name, actor in [("lead", lead), ("agent", agent), ("birch", birch), ("admin", admin)]
        }

    def shown(name: str) -> set[tuple[str, int, str, str, str]]:
        return {(w.scope, w.owner_id, w.owner, w.channel, w.host) for w in seen[name]}

    teams_host = "prod-00.westeurope.logic.azure.com"
    assert shown("lead") == {
        ("team", _tid(lead), "Cedar", "slack", "hooks.slack.com"),
        ("person", _pid(lead), "You", "teams", teams_host),
    }
    assert shown("agent") == {("person", _pid(agent), "You", "slack", "hooks.slack.com")}
    assert shown("birch") == set()
    assert shown("admin") == {
        ("team", _tid(lead), "Cedar", "slack", "hooks.slack.com"),
        ("team", _tid(birch), "Birch", "teams", teams_host),
    }
    for infos in seen.values():
        for info in infos:
            assert "services" not in repr(info)
            assert "s3cret" not in repr(info)


def test_the_audit_log_records_a_webhook_by_host_and_never_its_secret_path(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.set_webhook(session, agent, "person", _pid(agent), "slack", SLACK_URL, NOW)
        preferences.set_webhook(session, agent, "person", _pid(agent), "teams", TEAMS_URL, NOW)
        preferences.remove_webhook(session, agent, "person", _pid(agent), "slack")
    with unit_of_work(engine, write=False) as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action.like("webhook.%"))))
    assert [e.action for e in entries] == ["webhook.set", "webhook.set", "webhook.remove"]
    assert json.loads(entries[0].after or "{}") == {
        "scope": "person",
        "owner_id": _pid(agent),
        "channel": "slack",
        "host": "hooks.slack.com",
    }
    for entry in entries:
        for text in (entry.before or "", entry.after or "", entry.reason or ""):
            assert SLACK_SECRET not in text
            assert "/workflows/" not in text
            assert "s3cret" not in text


def test_removing_a_personal_webhook_moves_the_choices_that_used_it_back_to_email(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        other = make_person(session)
        for person in (agent, other):
            preferences.set_webhook(session, person, "person", _pid(person), "slack", SLACK_URL, NOW)
        preferences.set_webhook(session, agent, "person", _pid(agent), "teams", TEAMS_URL, NOW)
        preferences.choose(session, agent, "agent_digest", True, "slack")
        preferences.choose(session, agent, "pulse_reminder", False, "slack")
        preferences.choose(session, agent, "decision", True, "teams")
        preferences.choose(session, other, "agent_digest", True, "slack")
    with unit_of_work(engine) as session:
        preferences.remove_webhook(session, agent, "person", _pid(agent), "slack")
    with unit_of_work(engine, write=False) as session:
        rows = session.scalars(select(NotificationPreference).order_by(NotificationPreference.kind))
        stored = {(r.person_id, r.kind): (r.enabled, r.channel) for r in rows}
        assert preferences.webhook_url(session, "person", _pid(agent), "slack") is None
        assert preferences.webhook_url(session, "person", _pid(agent), "teams") == TEAMS_URL
        routed = preferences.routes(session, "agent_digest", [_recipient(agent)], NOW)
        entry = _audit(session, "webhook.remove")[0]
    assert stored == {
        (_pid(agent), "agent_digest"): (True, "email"),
        (_pid(agent), "pulse_reminder"): (False, "email"),
        (_pid(agent), "decision"): (True, "teams"),
        (_pid(other), "agent_digest"): (True, "slack"),
    }
    assert routed == {_pid(agent): Route("email", agent.email, None)}
    assert (entry.entity, entry.entity_id, entry.after) == ("person", _pid(agent), None)
    assert json.loads(entry.before or "{}") == {"channel": "slack"}


def test_removing_a_personal_webhook_shows_the_choices_back_on_email_in_the_same_unit_of_work(
    engine: Engine,
) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.set_webhook(session, agent, "person", _pid(agent), "slack", SLACK_URL, NOW)
        preferences.choose(session, agent, "agent_digest", True, "slack")
        loaded = session.get(NotificationPreference, (_pid(agent), "agent_digest"))  # as a page might hold it
        preferences.remove_webhook(session, agent, "person", _pid(agent), "slack")
        assert loaded is not None
        assert _by_kind(session, agent)["agent_digest"].channel == "email"


def test_removing_a_teams_webhook_leaves_members_choices_alone(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        lead = make_person(session, role=Role.LEAD)
        preferences.set_webhook(session, lead, "person", _pid(lead), "slack", SLACK_URL, NOW)
        preferences.set_webhook(session, lead, "team", _tid(lead), "slack", SLACK_URL, NOW)
        preferences.choose(session, lead, "lead_digest", True, "slack")
    with unit_of_work(engine) as session:
        preferences.remove_webhook(session, lead, "team", _tid(lead), "slack")
    with unit_of_work(engine, write=False) as session:
        row = session.get(NotificationPreference, (_pid(lead), "lead_digest"))
        assert row is not None and row.channel == "slack"
        assert preferences.team_webhooks(session) == []


def test_removing_a_webhook_that_is_not_there_is_not_found(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.set_webhook(session, agent, "person", _pid(agent), "teams", TEAMS_URL, NOW)
        with pytest.raises(NotFound):
            preferences.remove_webhook(session, agent, "person", _pid(agent), "slack")
        with pytest.raises(NotFound):
            preferences.remove_webhook(session, SYSTEM, "team", _tid(agent), "slack")
        assert _audit(session, "webhook.remove") == []
        assert preferences.webhook_url(session, "person", _pid(agent), "teams") == TEAMS_URL


# Unsubscribing ------------------------------------------------------------------------------------


def test_an_unsubscribe_link_points_at_the_public_address(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IB_PUBLIC_URL", "https://impact.example.org/")
    with unit_of_work(engine) as session:
        agent = make_person(session)
        url = preferences.unsubscribe_url(session, _pid(agent), "agent_digest", NOW)
    assert preferences.public_url() == "https://impact.example.org"
    assert re.fullmatch(r"https://impact\.example\.org/unsubscribe\?t=[A-Za-z0-9_.\-]+", url)
    assert url == f"{preferences.public_url()}/unsubscribe?t={_token(url)}"
    assert agent.email not in url


def test_an_unsubscribe_link_turns_that_kind_off_for_that_person_and_is_audited(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        bystander = make_person(session)
        token = _token(preferences.unsubscribe_url(session, _pid(agent), "agent_digest", NOW))
    with unit_of_work(engine) as session:
        done = preferences.unsubscribe(session, token, NOW + timedelta(days=3))
    assert done == preferences.Unsubscribed("agent_digest", preferences.KINDS["agent_digest"])
    with unit_of_work(engine, write=False) as session:
        mine = _by_kind(session, agent)
        theirs = _by_kind(session, bystander)
        row = session.get(NotificationPreference, (_pid(agent), "agent_digest"))
        entries = _audit(session, "notification.unsubscribe")
        routed = preferences.routes(session, "agent_digest", [_recipient(agent), _recipient(bystander)], NOW)
    assert (mine["agent_digest"].enabled, mine["agent_digest"].chosen) == (False, True)
    assert mine["decision"].enabled is True
    assert theirs["agent_digest"].enabled is True
    assert row is not None and (row.enabled, row.channel) == (False, "email")
    assert set(routed) == {_pid(bystander)}
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor_id, entry.actor_label, entry.entity, entry.entity_id) == (
        _pid(agent),
        agent.email,
        "person",
        _pid(agent),
    )
    assert json.loads(entry.after or "{}") == {"kind": "agent_digest", "enabled": False}


def test_unsubscribing_keeps_the_channel_the_person_had_chosen(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        preferences.set_webhook(session, agent, "person", _pid(agent), "slack", SLACK_URL, NOW)
        preferences.choose(session, agent, "decision", True, "slack")
        token = _token(preferences.unsubscribe_url(session, _pid(agent), "decision", NOW))
    with unit_of_work(engine) as session:
        preferences.unsubscribe(session, token, NOW)
    with unit_of_work(engine, write=False) as session:
        row = session.get(NotificationPreference, (_pid(agent), "decision"))
    assert row is not None and (row.enabled, row.channel) == (False, "slack")


def test_using_an_unsubscribe_link_again_changes_nothing_and_adds_no_audit_entry(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        token = _token(preferences.unsubscribe_url(session, _pid(agent), "pulse_reminder", NOW))
    with unit_of_work(engine) as session:
        preferences.unsubscribe(session, token, NOW)
    with unit_of_work(engine) as session:
        again = preferences.unsubscribe(session, token, NOW + timedelta(days=30))
    assert again.kind == "pulse_reminder"
    with unit_of_work(engine, write=False) as session:
        rows = session.scalars(select(NotificationPreference)).all()
        assert [(r.person_id, r.kind, r.enabled) for r in rows] == [(_pid(agent), "pulse_reminder", False)]
        assert len(_audit(session, "notification.unsubscribe")) == 1


def test_an_altered_unsubscribe_link_is_refused_as_tampered(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        token = _token(preferences.unsubscribe_url(session, _pid(agent), "agent_digest", NOW))
        # the last character's low bits are base64 padding, so change the one before it
        altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
        for bad in (altered, token[: len(token) // 2], ""):
            with pytest.raises(LinkRefused) as refused:
                preferences.unsubscribe(session, bad, NOW)
            assert refused.value.reason == "tampered"
        assert session.scalar(select(func.count()).select_from(NotificationPreference)) == 0
        assert _audit(session, "notification.unsubscribe") == []


def test_an_unsubscribe_link_expires_after_its_lifetime(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        token = _token(preferences.unsubscribe_url(session, _pid(agent), "agent_digest", NOW))
    with unit_of_work(engine) as session:
        with pytest.raises(LinkRefused) as refused:
            preferences.unsubscribe(session, token, NOW + preferences.UNSUBSCRIBE_LIFETIME)
        assert refused.value.reason == "expired"
        assert session.get(NotificationPreference, (_pid(agent), "agent_digest")) is None
    with unit_of_work(engine) as session:
        last_moment = NOW + preferences.UNSUBSCRIBE_LIFETIME - timedelta(seconds=1)
        assert preferences.unsubscribe(session, token, last_moment).kind == "agent_digest"


def test_an_unsubscribe_link_of_someone_who_has_left_is_refused_as_inactive(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        token = _token(preferences.unsubscribe_url(session, _pid(agent), "agent_digest", NOW))
    with unit_of_work(engine) as session:
        person = session.get(Person, _pid(agent))
        assert person is not None
        organisation.deactivate_person(session, SYSTEM, _pid(agent), person.version, left_on=date(2026, 3, 19))
    with unit_of_work(engine) as session:
        with pytest.raises(LinkRefused) as refused:
            preferences.unsubscribe(session, token, NOW + timedelta(days=2))
        assert refused.value.reason == "inactive"
        assert session.get(NotificationPreference, (_pid(agent), "agent_digest")) is None
        assert _audit(session, "notification.unsubscribe") == []


def test_an_unsubscribe_link_for_a_person_who_does_not_exist_is_refused_as_inactive(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        token = capabilities.sign(
            session, preferences.UNSUBSCRIBE, {"p": 9999, "k": "agent_digest"}, NOW + timedelta(days=1)
        )
        with pytest.raises(LinkRefused) as refused:
            preferences.unsubscribe(session, token, NOW)
        assert refused.value.reason == "inactive"


def test_a_pulse_answer_link_cannot_unsubscribe(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        agent = make_person(session)
        token = capabilities.sign(
            session, "pulse-answer", {"p": _pid(agent), "k": "agent_digest"}, NOW + timedelta(days=6)
        )
        with pytest.raises(LinkRefused) as refused:
            preferences.unsubscribe(session, token, NOW)
        assert refused.value.reason == "tampered"
        assert session.get(NotificationPreference, (_pid(agent), "agent_digest")) is None


@pytest.mark.parametrize(
    "payload",
    [{"p": "1", "k": "agent_digest"}, {"p": 1, "k": "weekly_horoscope"}, {"k": "agent_digest"}, {"p": 1}],
)
def test_a_properly_signed_unsubscribe_link_with_a_wrong_payload_is_refused_as_tampered(
    engine: Engine, payload: dict[str, object]
) -> None:
    with unit_of_work(engine) as session:
        make_person(session)
        token = capabilities.sign(session, preferences.UNSUBSCRIBE, payload, NOW + timedelta(days=1))
        with pytest.raises(LinkRefused) as refused:
            preferences.unsubscribe(session, token, NOW)
        assert refused.value.reason == "tampered"
        assert session.scalar(select(func.count()).select_from(NotificationPreference)) == 0


def test_many_unsubscribe_links_made_at_once_each_open_for_their_own_person_and_kind(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        ana = make_person(session)
        ben = make_person(session)
        make = preferences.unsubscribe_signer(session)
        links = {
            (pid, kind): make(pid, kind, NOW) for pid, kind in [(_pid(ana), "decision"), (_pid(ben), "agent_digest")]
        }
    with unit_of_work(engine) as session:
        for url in links.values():
            preferences.unsubscribe(session, _token(url), NOW)
    with unit_of_work(engine, write=False) as session:
        off = {(r.person_id, r.kind) for r in session.scalars(select(NotificationPreference)) if not r.enabled}
    assert off == set(links)


# public_url() -------------------------------------------------------------------------------------


def test_the_public_address_comes_from_the_environment_without_a_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IB_PUBLIC_URL", "https://impact.example.org/board/")
    assert preferences.public_url() == "https://impact.example.org/board"
    assert preferences.preferences_url() == "https://impact.example.org/board/account"
    monkeypatch.setenv("IB_PUBLIC_URL", "  https://impact.example.org  ")
    assert preferences.public_url() == "https://impact.example.org"


@pytest.mark.parametrize("value", [None, "", "   ", "/"])
def test_without_a_public_address_links_point_at_the_local_dashboard(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("IB_PUBLIC_URL", raising=False)
    else:
        monkeypatch.setenv("IB_PUBLIC_URL", value)
    assert preferences.public_url() == "http://localhost:8501"
