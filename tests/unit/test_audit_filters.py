"""Audit additions for the Admin page: filter menus and readable before/after."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from db.models import Role
from engagement import audit, organisation, settings
from engagement.access import SYSTEM, Actor
from engagement.audit import describe_change
from engagement.errors import PermissionDenied
from tests.factories import make_person


def test_facets_list_what_the_log_holds(session: Session) -> None:
    make_person(session, team="Oak")
    settings.update(session, SYSTEM, anonymity_threshold=4)
    facets = audit.audit_facets(session, SYSTEM)
    assert {"person", "team", "setting"} <= set(facets.entities)
    assert {"person.create", "team.create", "setting.update"} <= set(facets.actions)
    assert facets.actors == ["cli"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.MANAGER])
def test_only_admins_may_list_facets(session: Session, role: Role) -> None:
    with pytest.raises(PermissionDenied):
        audit.audit_facets(session, Actor(1, "x@example.org", "X", role))


def test_a_change_lists_only_what_changed_with_names_for_ids() -> None:
    labels = {"team_id": {1: "Cedar", 2: "Birch"}}
    line = describe_change(
        {"name": "Ana", "team_id": 1, "active": True}, {"name": "Ana", "team_id": 2, "active": False}, labels
    )
    assert line == "active: yes → no; team: Cedar → Birch"


def test_a_creation_lists_the_values_set_without_empty_ones() -> None:
    assert describe_change(None, {"id": 7, "name": "Ana", "timezone": None, "role": "agent"}) == (
        "created: name: Ana; role: agent"
    )


def test_a_setting_reads_as_its_name_then_old_and_new() -> None:
    before = {"key": "anonymity_threshold", "value": "5"}
    assert describe_change(before, {"key": "anonymity_threshold", "value": "3"}) == "anonymity threshold: 5 → 3"
    assert describe_change(None, {"key": "timezone", "value": "UTC"}) == "timezone: (default) → UTC"


def test_nothing_and_no_change_are_said_plainly() -> None:
    assert describe_change(None, None) == ""
    assert describe_change({"a": 1}, {"a": 1}) == "no change"
    assert describe_change({"name": "Ana"}, None) == "removed: name: Ana"


def test_an_unknown_id_keeps_its_number() -> None:
    assert describe_change({"team_id": 1}, {"team_id": 9}, {"team_id": {1: "Cedar"}}) == "team: Cedar → #9"


def test_site_names_map_ids_to_names(session: Session) -> None:
    make_person(session, team="Oak", site="North")
    assert list(organisation.site_names(session).values()) == ["North"]
