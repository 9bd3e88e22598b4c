"""The audit log: every change, with who, when, and the state before and after.

Entries are written in the same transaction as the change they describe, so a
rolled-back change leaves no trace and a committed one always has its entry.
Pulse answers are not logged at all: any row per answer, by its position,
id or time beside the person's other actions, would tell who answered. The
log records when a pulse week closed ("pulse.week_close") instead.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db import bulk
from db.models import AuditEntry
from engagement.access import Actor, Role, require


def snapshot(obj: Any, exclude: tuple[str, ...] = ("version",)) -> dict[str, Any]:
    """Column values of a mapped object, JSON-ready."""
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        if column.key not in exclude:
            out[column.key] = _jsonable(getattr(obj, column.key))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _dump(state: dict[str, Any] | None) -> str | None:
    return None if state is None else json.dumps(state, sort_keys=True, ensure_ascii=False)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Add one audit entry to the session's transaction."""
    session.add(
        AuditEntry(
            at=datetime.now(UTC),
            actor_id=actor.person_id,
            actor_label=actor.label,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=_dump(before),
            after=_dump(after),
            reason=reason,
        )
    )


def record_many(session: Session, actor: Actor, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk form of :func:`record` for imports: each row has action, entity, entity_id, after."""
    if not rows:
        return
    now = datetime.now(UTC)
    bulk.insert_rows(
        session,
        AuditEntry.__table__,  # type: ignore[arg-type]
        [
            {
                "at": now,
                "actor_id": actor.person_id,
                "actor_label": actor.label,
                "action": row["action"],
                "entity": row["entity"],
                "entity_id": row.get("entity_id"),
                "before": _dump(row.get("before")),
                "after": _dump(row.get("after")),
                "reason": row.get("reason"),
            }
            for row in rows
        ],
    )


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


def audit_entries(
    session: Session,
    actor: Actor,
    *,
    entity: str | None = None,
    action: str | None = None,
    actor_label: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[AuditRow]:
    """Newest audit entries first, filtered; admins only."""
    require(actor, Role.ADMIN)
    query: Select[AuditEntry] = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_label:
        query = query.where(AuditEntry.actor_label == actor_label.strip().lower())
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return [
        AuditRow(
            id=e.id,
            at=e.at,
            actor=e.actor_label,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            before=json.loads(e.before) if e.before else None,
            after=json.loads(e.after) if e.after else None,
            reason=e.reason,
        )
        for e in session.scalars(query)
    ]


@dataclass(frozen=True)
class AuditFacets:
    """The values the audit log can be filtered on, as stored."""

    entities: list[str]
    actions: list[str]
    actors: list[str]


def audit_facets(session: Session, actor: Actor) -> AuditFacets:
    """Distinct entities, actions and actors in the log, for filter menus; admins only."""
    require(actor, Role.ADMIN)

    def distinct(column: Any) -> list[str]:
        return list(session.scalars(select(column).distinct().order_by(column)))

    return AuditFacets(distinct(AuditEntry.entity), distinct(AuditEntry.action), distinct(AuditEntry.actor_label))


Labels = Mapping[str, Mapping[Any, str]]


def describe_change(before: dict[str, Any] | None, after: dict[str, Any] | None, labels: Labels | None = None) -> str:
    """One readable line for an entry's before/after, e.g. ``name: Ana → Anna; active: yes → no``.

    ``labels`` turns ids into names (``{"team_id": {3: "Rowan"}}``), so a move
    reads "team: Cedar → Birch" rather than "team_id: 1 → 2".
    """
    labels = labels or {}
    if before is None and after is None:
        return ""
    if after is not None and set(after) == {"key", "value"}:  # a setting: name it, then old → new
        old = _value("value", before.get("value"), labels) if before else "(default)"
        return f"{_name(after['key'], labels)}: {old} → {_value('value', after['value'], labels)}"
    if before is None:
        assert after is not None
        shown = {k: v for k, v in after.items() if v not in (None, "") and k != "id"}
        return "created: " + "; ".join(_field(k, v, labels) for k, v in shown.items())
    if after is None:
        return "removed: " + "; ".join(_field(k, v, labels) for k, v in before.items() if v not in (None, ""))
    changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    if not changed:
        return "no change"
    return "; ".join(
        f"{_name(k, labels)}: {_value(k, before.get(k), labels)} → {_value(k, after.get(k), labels)}" for k in changed
    )


def _name(key: str, labels: Labels) -> str:
    return key.removesuffix("_id") if key in labels else key.replace("_", " ")


def _field(key: str, value: Any, labels: Labels) -> str:
    return f"{_name(key, labels)}: {_value(key, value, labels)}"


def _value(key: str, value: Any, labels: Labels) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in labels:
        return labels[key].get(value, f"#{value}")
    if isinstance(value, list):
        return "[" + ", ".join(_value(key, item, labels) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(_field(k, v, labels) for k, v in value.items()) + "}"
    return str(value)
