"""The notification outbox: queue a message once, claim it for one sender, record how it went.

Guarantees, on SQLite and PostgreSQL alike:

- :func:`enqueue` is idempotent: ``INSERT … ON CONFLICT DO NOTHING`` on
  ``(kind, audience, period)``, so it can run inside the transaction that
  caused the message (an approval, a closed week) and running it again, or
  from two processes at once, still leaves one row.
- :func:`claim` moves due rows to ``sending`` in one statement. On PostgreSQL
  the rows are picked ``FOR UPDATE SKIP LOCKED``, so two senders at once take
  disjoint rows; on SQLite the write transaction holds the single writer lock,
  so the second sender sees the first one's claim. A claim is a lease of
  :data:`LEASE`: a ``sending`` row whose lease ran out (its sender was killed
  mid-send) is due again, and goes out with the same Message-ID. At most the
  one message in flight when a process dies can arrive twice.
- :func:`mark_failed` retries with backoff (:data:`BACKOFF`) and, after
  :data:`MAX_ATTEMPTS` tries, keeps the row as ``failed`` with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import OutboxMessage

LEASE = timedelta(minutes=5)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
MAX_ATTEMPTS = len(BACKOFF) + 1
KINDS = frozenset(
    {"pulse_invitation", "pulse_reminder", "agent_digest", "lead_digest", "manager_digest", "team_digest", "decision"}
)
CHANNELS = frozenset({"email", "slack", "teams"})
FORGOTTEN = ""


def enqueue(
    session: Session,
    *,
    kind: str,
    period: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str,
    now: datetime,
    channel: str = "email",
    person_id: int | None = None,
    team_id: int | None = None,
    audience: str | None = None,
    not_before: datetime | None = None,
    unsubscribe_url: str | None = None,
) -> bool:
    """Queue one message unless the same (kind, audience, period) is already queued; True when it was added.

    Runs in the caller's transaction: the message exists exactly when what
    caused it was committed. ``audience`` defaults to ``person:<person_id>``;
    ``not_before`` holds it back (the end of the person's quiet hours).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of message {kind!r}; expected one of {sorted(KINDS)}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {sorted(CHANNELS)}")
    if audience is None:
        if person_id is None:
            raise ValueError("a message needs an audience or a person")
        audience = f"person:{person_id}"
    values = {
        "kind": kind,
        "audience": audience,
        "person_id": person_id,
        "team_id": team_id,
        "unsubscribe_url": unsubscribe_url,
        "period": period,
        "channel": channel,
        "recipient": recipient,
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "message_id": f"<{uuid.uuid4()}@impact-board>",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before is not None else now,
        "created_at": now,
    }
    # RETURNING, not rowcount: psycopg reports no count for a single INSERT SQLAlchemy already returns from.
    return session.execute(_insert(session).values(values).returning(OutboxMessage.id)).first() is not None


def enqueue_many(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Queue many messages in few statements, each skipped if already queued: what the weekly schedule writes.

    Each row has :func:`enqueue`'s fields (``audience`` required); the same rules apply.
    """
    values = []
    for row in rows:
        if row["kind"] not in KINDS or row.get("channel", "email") not in CHANNELS:
            raise ValueError(f"unknown kind or channel in {row['kind']!r}, {row.get('channel')!r}")
        not_before = row.pop("not_before", None)
        values.append(
            {
                "channel": "email",
                "person_id": None,
                "team_id": None,
                "unsubscribe_url": None,
                **row,
                "message_id": f"<{uuid.uuid4()}@impact-board>",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": max(now, not_before) if not_before is not None else now,
                "created_at": now,
            }
        )
    for start in range(0, len(values), 500):
        session.execute(_insert(session), values[start : start + 500])


def _insert(session: Session) -> Any:
    """INSERT … ON CONFLICT (kind, audience, period) DO NOTHING, in the session's dialect."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(OutboxMessage).on_conflict_do_nothing(index_elements=["kind", "audience", "period"])


def claim(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this sender, oldest due first, and lease them for :data:`LEASE`.

    Due: ``pending`` with ``next_attempt_at`` reached, or ``sending`` whose
    lease (kept in ``next_attempt_at``) ran out. Each claim counts as an attempt.
    Commit the session before sending, so other senders see the claim.
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(session.scalars(claimed))
    if not ids:
        return []
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id))
    return list(rows)


def mark_sent(session: Session, message_id: int, now: datetime) -> None:
    """Record that the message was handed to the channel; it is never sent again.

    A pulse reminder forgets its recipient and text once sent, so the outbox
    keeps only that some reminder went out, never to whom.
    """
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status="sent", sent_at=now, last_error=None, **_forgotten_if_reminder())
        .execution_options(synchronize_session=False)
    )


def _forgotten_if_reminder() -> dict[str, Any]:
    """Column values that blank a reminder's recipient, text and link, and keep any other message's as they are."""
    reminder = OutboxMessage.kind == "pulse_reminder"
    return {
        column.key: case((reminder, None if column.key == "unsubscribe_url" else FORGOTTEN), else_=column)
        for column in (
            OutboxMessage.recipient,
            OutboxMessage.body_text,
            OutboxMessage.body_html,
            OutboxMessage.unsubscribe_url,
        )
    }


def release(session: Session, message_ids: Sequence[int], leased_until: datetime, now: datetime) -> int:
    """Give back claimed messages this sender will not try (it is stopping): due again at ``now``.

    Only rows still under this sender's lease (``leased_until``, the end of the
    lease :func:`claim` took) are released, and the claim's attempt is taken
    back, since no try was made. Returns how many were released.
    """
    if not message_ids:
        return 0
    released = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.status == "sending",
            OutboxMessage.next_attempt_at == leased_until,
        )
        .values(status="pending", attempts=OutboxMessage.attempts - 1, next_attempt_at=now)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return len(released.all())


def mark_failed(session: Session, message_id: int, error: str, now: datetime) -> str:
    """Record a failed try: back to ``pending`` after the next backoff, or ``failed`` after the last try.

    Returns the new status; the reason is kept in ``last_error`` either way.
    """
    attempts = session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == message_id))
    if attempts is None:
        raise ValueError(f"no outbox message {message_id}")
    if attempts >= MAX_ATTEMPTS:
        status, next_at = "failed", now
    else:
        status, next_at = "pending", now + BACKOFF[max(attempts, 1) - 1]
    forget = _forgotten_if_reminder() if status == "failed" else {}
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=status, next_attempt_at=next_at, last_error=error[:2000], **forget)
        .execution_options(synchronize_session=False)
    )
    return status


def due(session: Session, now: datetime) -> Sequence[OutboxMessage]:
    """The messages a sender would claim at ``now``, without claiming them (for a dry run)."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    ).all()
