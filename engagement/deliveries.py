"""What Admin → Deliveries shows: how many messages of each kind went, wait or failed, and why some failed.

Admins only. Counts are read in SQL (one GROUP BY), never row by row. A failed
message is listed with its reason and its recipient so an admin can fix an
address or a webhook, except a pulse reminder: nobody, admins included, learns
who was reminded, so reminders appear in the counts only (once sent or failed
they keep no recipient anyway). "Try again" puts failed messages back in the
queue, due at once, with their tries reset; it is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models import OutboxMessage, Person, Team
from engagement import audit, preferences
from engagement.access import Actor, Role, require

STATUSES = ("pending", "sending", "sent", "failed")
FAILED_SHOWN = 200
HIDDEN = "pulse_reminder"
KIND_LABELS = {**preferences.KINDS, "team_digest": "A team's weekly post (team channels)"}


@dataclass(frozen=True)
class KindCounts:
    kind: str
    label: str
    counts: dict[str, int]  # by status, every status present


@dataclass(frozen=True)
class Failed:
    id: int
    kind: str
    period: str
    channel: str
    to: str
    tries: int
    reason: str
    queued_at: datetime


@dataclass(frozen=True)
class Overview:
    since: datetime
    kinds: list[KindCounts]
    failed: list[Failed]
    failed_total: int


def overview(session: Session, actor: Actor, since: datetime) -> Overview:
    """Messages queued since ``since``: counts by kind and status, and the failed ones (reminders as counts only)."""
    require(actor, Role.ADMIN)
    counted: dict[str, dict[str, int]] = {}
    for kind, status, n in session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count())
        .where(OutboxMessage.created_at >= since)
        .group_by(OutboxMessage.kind, OutboxMessage.status)
    ):
        counted.setdefault(kind, dict.fromkeys(STATUSES, 0))[status] = n
    kinds = [KindCounts(kind, KIND_LABELS.get(kind, kind), counted[kind]) for kind in KIND_LABELS if kind in counted]
    failed_where = (
        OutboxMessage.status == "failed",
        OutboxMessage.created_at >= since,
        OutboxMessage.kind != HIDDEN,
    )
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*failed_where)) or 0
    team_names = dict(session.execute(select(Team.id, Team.name)).all())
    rows = session.execute(
        select(OutboxMessage, Person.name)
        .outerjoin(Person, Person.id == OutboxMessage.person_id)
        .where(*failed_where)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(FAILED_SHOWN)
    ).all()
    failed = [
        Failed(
            row.id,
            row.kind,
            row.period,
            preferences.CHANNELS.get(row.channel, row.channel),
            _to(row, name, team_names),
            row.attempts,
            row.last_error or "",
            row.created_at,
        )
        for row, name in rows
    ]
    return Overview(since, kinds, failed, total)


def _to(row: OutboxMessage, name: str | None, team_names: dict[int, str]) -> str:
    """Whom a failed message was for, as an admin can act on it: a person's address, or a team's channel."""
    if row.channel == "email":
        return f"{name} <{row.recipient}>" if name else row.recipient
    scope, _, owner = row.recipient.partition(":")
    if scope == "team" and owner.isdigit():
        return f"team {team_names.get(int(owner), owner)}'s {preferences.CHANNELS[row.channel]} channel"
    return f"{name or 'a person'}'s own {preferences.CHANNELS[row.channel]} webhook"


def retry(session: Session, actor: Actor, message_ids: list[int], now: datetime) -> int:
    """Queue failed messages again, due now with their tries reset; how many were queued. Audited."""
    require(actor, Role.ADMIN)
    if not message_ids:
        return 0
    failed = (OutboxMessage.id.in_(message_ids), OutboxMessage.status == "failed", OutboxMessage.kind != HIDDEN)
    ids = sorted(session.scalars(select(OutboxMessage.id).where(*failed)))
    if not ids:
        return 0
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(status="pending", attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(session, actor, "outbox.retry", "outbox", None, None, {"messages": ids})
    return len(ids)


def default_since(now: datetime) -> datetime:
    """The Deliveries tab's window unless chosen: the last 14 days."""
    return now - timedelta(days=14)
