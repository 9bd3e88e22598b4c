"""The audit log: read by admins only, newest first, filterable."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from db.models import Role
from engagement import audit, settings
from engagement.access import SYSTEM
from engagement.errors import PermissionDenied
from tests.factories import log, make_challenge, make_person


def test_admins_read_the_log_newest_first_and_filtered(session: Session) -> None:
    admin = make_person(session, team=None, role=Role.ADMIN, email="boss@example.org")
    challenge = make_challenge(session)
    log(session, make_person(session), challenge, 2, date(2026, 3, 10), by=admin)
    settings.update(session, admin, anonymity_threshold=6)
    entries = audit.audit_entries(session, admin)
    assert [e.action for e in entries][:3] == ["setting.update", "result.create", "person.create"]
    assert [e.id for e in entries] == sorted((e.id for e in entries), reverse=True)
    by_admin = audit.audit_entries(session, admin, actor_label=" BOSS@example.org ")
    assert [(e.action, e.actor) for e in by_admin] == [
        ("setting.update", "boss@example.org"),
        ("result.create", "boss@example.org"),
    ]
    [setting] = audit.audit_entries(session, admin, entity="setting")
    assert (setting.before, setting.after) == (None, {"key": "anonymity_threshold", "value": "6"})
    assert [e.entity for e in audit.audit_entries(session, admin, action="challenge.create")] == ["challenge"]
    assert len(audit.audit_entries(session, admin, limit=2)) == 2


def test_nobody_but_admins_reads_the_log(session: Session) -> None:
    for role, team in ((Role.AGENT, "Cedar"), (Role.LEAD, "Cedar"), (Role.MANAGER, None)):
        with pytest.raises(PermissionDenied):
            audit.audit_entries(session, make_person(session, role=role, team=team))
    assert audit.audit_entries(session, SYSTEM, entity="person")
