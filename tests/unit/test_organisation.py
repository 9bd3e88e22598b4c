"""People, teams, sites and team history: who belonged where, when, and who may change it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Membership, Person, Result, Role, Site, Team
from engagement import organisation
from engagement.access import SYSTEM, actor_for_email
from engagement.errors import Conflict, PermissionDenied, ValidationError
from engagement.organisation import PersonInput, add_person, move_person, update_person
from tests.factories import log, make_challenge, make_person


def _problems(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [str(p) for p in error.value.problems]


def _history(session: Session, person_id: int) -> list[tuple[str, date, date | None]]:
    rows = session.execute(
        select(Team.name, Membership.valid_from, Membership.valid_to)
        .join(Team, Team.id == Membership.team_id)
        .where(Membership.person_id == person_id)
        .order_by(Membership.valid_from)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_emails_are_unique_ignoring_case_and_spaces(session: Session) -> None:
    add_person(session, SYSTEM, PersonInput(" Ana@Example.ORG ", "Ana", Role.AGENT, team="Cedar"))
    with pytest.raises(ValidationError) as error:
        add_person(session, SYSTEM, PersonInput("ana@example.org", "Ana Two", Role.AGENT, team="Cedar"))
    assert _problems(error) == ["email: ana@example.org already belongs to someone"]
    assert session.scalars(select(Person.email)).all() == ["ana@example.org"]
    found = actor_for_email(session, "ANA@example.org")
    assert found is not None and found.name == "Ana"


def test_a_new_person_is_checked_in_full(session: Session) -> None:
    with pytest.raises(ValidationError) as error:
        add_person(session, SYSTEM, PersonInput("nope", " ", Role.LEAD, timezone="Mars/Olympus"))
    assert _problems(error) == [
        "email: 'nope' is not an email address",
        "name: is required",
        "timezone: unknown time zone 'Mars/Olympus' (use e.g. Europe/London)",
        "team: is required for a lead",
    ]


def test_names_are_stored_in_one_unicode_form_and_without_hidden_characters(session: Session) -> None:
    person = add_person(
        session, SYSTEM, PersonInput("e@example.org", "  Zoe\u0301   Hughes ", Role.AGENT, team="Cedar")
    )
    assert person.name == "Zoé Hughes"
    for sneaky in ("Ali\u202eecnA", "Ze\u200dro"):
        with pytest.raises(ValidationError) as error:
            add_person(session, SYSTEM, PersonInput("x@example.org", sneaky, Role.AGENT, team="Cedar"))
        assert _problems(error) == [
            "name: contains invisible or control characters (such as right-to-left marks); remove them"
        ]


def test_a_team_is_found_ignoring_case_and_spacing_and_a_look_alike_is_refused(session: Session) -> None:
    make_person(session, team="Aurora", site="Leeds")
    same = make_person(session, team="  aurora ")
    assert [t.name for t in organisation.list_teams(session)] == ["Aurora"]
    assert same.team_id == session.scalar(select(Team.id))
    with pytest.raises(ValidationError) as error:
        make_person(session, team="Аurora")  # Cyrillic А
    assert _problems(error) == ["team: 'Аurora' looks like the existing team 'Aurora'; use that name"]


def test_a_look_alike_site_is_refused(session: Session) -> None:
    make_person(session, team="Cedar", site="Leeds")
    with pytest.raises(ValidationError) as error:
        make_person(session, team="Birch", site="Lееds")  # two Cyrillic е
    assert _problems(error) == ["site: 'Lееds' looks like the existing site 'Leeds'; use that name"]
    assert session.scalars(select(Site.name)).all() == ["Leeds"]


def test_moving_someone_rewrites_history_and_credit_from_that_day(session: Session) -> None:
    challenge = make_challenge(session)
    person = make_person(session, team="Old")
    assert person.person_id is not None
    before, on, after = (log(session, person, challenge, 1, date(2026, 3, d)) for d in (9, 10, 11))
    move_person(session, SYSTEM, person.person_id, "New", date(2026, 3, 10))
    assert _history(session, person.person_id) == [
        ("Old", date(2000, 1, 1), date(2026, 3, 10)),
        ("New", date(2026, 3, 10), None),
    ]
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    credited = {rid: teams[session.get(Result, rid).team_id] for rid in (before, on, after)}  # type: ignore[union-attr]
    assert credited == {before: "Old", on: "New", after: "New"}
    move_person(session, SYSTEM, person.person_id, "Old", date(2026, 3, 5))  # back-dated before the first move
    assert _history(session, person.person_id) == [
        ("Old", date(2000, 1, 1), date(2026, 3, 5)),
        ("Old", date(2026, 3, 5), None),
    ]
    assert organisation.team_on(session, person.person_id, date(2026, 3, 11)) == _team_id(session, "Old")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "person.move")).first()
    assert entry is not None and entry.reason == "from 2026-03-10"
    new = {"team_id": _team_id(session, "New"), "from": "2026-03-10", "to": None}
    assert json.loads(entry.after or "{}")["history"][-1] == new


def _team_id(session: Session, name: str) -> int:
    team = organisation.find_team(session, name)
    assert team is not None
    return team.id


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(session: Session) -> None:
    admin = add_person(session, SYSTEM, PersonInput("boss@example.org", "Boss", Role.ADMIN))
    for change in ({"role": Role.MANAGER}, {"active": False}):
        with pytest.raises(ValidationError) as error:
            update_person(session, SYSTEM, admin.id, admin.version, **change)  # type: ignore[arg-type]
        assert _problems(error) == ["role: this is the last active admin; make someone else an admin first"]
    add_person(session, SYSTEM, PersonInput("second@example.org", "Second", Role.ADMIN))
    update_person(session, SYSTEM, admin.id, admin.version, role=Role.MANAGER)
    assert admin.role is Role.MANAGER


def test_editing_a_person_someone_else_saved_is_a_conflict(session: Session) -> None:
    person = make_person(session)
    assert person.person_id is not None
    update_person(session, SYSTEM, person.person_id, 1, name="First save")
    with pytest.raises(Conflict, match="changed by someone else"):
        update_person(session, SYSTEM, person.person_id, 1, name="Second save")
    assert session.get(Person, person.person_id).name == "First save"  # type: ignore[union-attr]


def test_a_team_with_active_members_cannot_be_retired(session: Session) -> None:
    member = make_person(session, team="Cedar")
    assert member.team_id is not None
    with pytest.raises(ValidationError) as error:
        organisation.set_team_active(session, SYSTEM, member.team_id, False)
    assert _problems(error) == ["team: Cedar still has 1 active members; move them first"]


def test_renaming_a_team_refuses_a_taken_or_look_alike_name(session: Session) -> None:
    make_person(session, team="Aurora")
    birch = make_person(session, team="Birch")
    assert birch.team_id is not None
    for name, problem in (
        ("AURORA", "team: another team is already called 'AURORA'"),
        ("Аurora", "team: 'Аurora' looks like the existing team 'Aurora'"),
    ):
        with pytest.raises(ValidationError) as error:
            organisation.rename_team(session, SYSTEM, birch.team_id, name)
        assert _problems(error) == [problem]
    organisation.rename_team(session, SYSTEM, birch.team_id, "Silver Birch", site="Leeds")
    assert [(t.name, t.site) for t in organisation.list_teams(session)] == [("Aurora", None), ("Silver Birch", "Leeds")]


def test_leads_list_their_own_team_only(session: Session) -> None:
    lead = make_person(session, team="Cedar", role=Role.LEAD, name="Lead")
    make_person(session, team="Cedar", name="Mate")
    make_person(session, team="Birch", name="Other")
    assert [p.name for p in organisation.list_people(session, lead, team_id=lead.team_id)] == ["Lead", "Mate"]
    with pytest.raises(PermissionDenied):
        organisation.list_people(session, lead)
    assert len(organisation.list_people(session, SYSTEM)) == 3


def _found(session: Session, search: str, **kwargs: Any) -> list[str]:
    return [p.name for p in organisation.find_people(session, SYSTEM, search, **kwargs).rows]


def test_the_people_search_ignores_case_in_every_alphabet_and_looks_in_name_email_and_team(session: Session) -> None:
    make_person(session, team="Cedar", name="Élodie Durand", email="elodie@example.org")
    make_person(session, team="Cedar", name="Zoe\u0301 Hughes", email="zoe@example.org")
    make_person(session, team="Øresund", name="Ana Lund", email="ana@example.org")
    make_person(session, team="Birch", name="Bo Chen", email="BO.Chen@Example.ORG")
    assert _found(session, "élodie") == _found(session, "ÉLODIE") == ["Élodie Durand"]
    assert _found(session, "elodie") == ["Élodie Durand"], "found by the email, which has no accent"
    assert _found(session, "zoé") == _found(session, "ZOE\u0301") == ["Zoé Hughes"], "one Unicode form"
    assert _found(session, "  øRESUND ") == ["Ana Lund"], "by team, trimmed"
    assert _found(session, "bo.chen@EXAMPLE") == ["Bo Chen"]
    assert _found(session, "durand  Élodie") == []
    assert sorted(_found(session, "")) == ["Ana Lund", "Bo Chen", "Zoé Hughes", "Élodie Durand"], "no search: all"


def test_wildcards_typed_in_the_people_search_match_themselves(session: Session) -> None:
    for name, email in (
        ("Sam 100% Keen", "sam@example.org"),
        ("Sam 1000 Keen", "sam1@example.org"),
        ("Kim_Lee", "kim@example.org"),
        ("KimXLee", "kimx@example.org"),
        ("Back\\slash", "back@example.org"),
    ):
        make_person(session, team="Cedar", name=name, email=email)
    assert _found(session, "100%") == ["Sam 100% Keen"]
    assert _found(session, "%") == ["Sam 100% Keen"]
    assert _found(session, "m_l") == ["Kim_Lee"]
    assert _found(session, "_") == ["Kim_Lee"]
    assert _found(session, "k\\s") == ["Back\\slash"]


def test_people_who_have_left_are_found_only_when_asked_for(session: Session) -> None:
    gone = make_person(session, team="Cedar", name="Gone Person", active=False)
    make_person(session, team="Cedar", name="Here Person")
    assert _found(session, "person") == ["Here Person"]
    page = organisation.find_people(session, SYSTEM, "person", include_inactive=True)
    assert [(p.name, p.active) for p in page.rows] == [("Gone Person", False), ("Here Person", True)]
    assert page.total == 2 and page.rows[0].id == gone.person_id


def test_people_come_a_page_at_a_time_with_the_number_that_match(session: Session) -> None:
    for n in range(7):
        make_person(session, team="Cedar", name=f"Page {n}")
    make_person(session, team="Birch", name="Other")
    pages = [organisation.find_people(session, SYSTEM, "page", limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert [[p.name for p in page.rows] for page in pages] == [
        ["Page 0", "Page 1", "Page 2"],
        ["Page 3", "Page 4", "Page 5"],
        ["Page 6"],
        [],
    ]
    assert {page.total for page in pages} == {7}, "the count is of every match, not of the page"
    assert organisation.find_people(session, SYSTEM, "nobody").total == 0
    for limit, offset in ((0, 0), (organisation.PAGE_MAX + 1, 0), (3, -1)):
        with pytest.raises(ValueError, match="a page is 1 to"):
            organisation.find_people(session, SYSTEM, limit=limit, offset=offset)


def test_only_admins_search_people_and_name_them(session: Session) -> None:
    lead = make_person(session, team="Cedar", role=Role.LEAD, name="Lead")
    assert lead.person_id is not None
    for search in (
        lambda a: organisation.find_people(session, a),
        lambda a: organisation.person_names(session, a, [1]),
    ):
        with pytest.raises(PermissionDenied):
            search(lead)


def test_the_audit_log_names_just_the_people_it_shows(session: Session) -> None:
    ana = make_person(session, team="Cedar", name="Ana")
    make_person(session, team="Cedar", name="Ben")
    gone = make_person(session, team="Cedar", name="Cy", active=False)
    assert ana.person_id is not None and gone.person_id is not None
    wanted = [ana.person_id, gone.person_id, ana.person_id, 999_999]
    assert organisation.person_names(session, SYSTEM, wanted) == {ana.person_id: "Ana", gone.person_id: "Cy"}
    assert organisation.person_names(session, SYSTEM, []) == {}


def test_every_organisation_change_is_audited(session: Session) -> None:
    person = make_person(session, team="Cedar", site="Leeds")
    assert person.person_id is not None
    organisation.deactivate_person(session, SYSTEM, person.person_id, 1)
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["site.create", "team.create", "person.create", "person.deactivate"]
    deactivated = session.scalars(select(AuditEntry).where(AuditEntry.action == "person.deactivate")).one()
    assert (json.loads(deactivated.before or "{}")["active"], json.loads(deactivated.after or "{}")["active"]) == (
        True,
        False,
    )
