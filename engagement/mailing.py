"""Queuing one kind of personal message for many people at once: routed, rendered, keyed, in batches.

The weekly schedule (invitations, reminders, digests) queues messages for up to
tens of thousands of people in one ``notify`` round. :func:`queue_personal`
reads the choices, quiet hours and webhooks of 5,000 people at a time in a few statements
(:func:`engagement.preferences.routes`), renders each message from its
template with the person's own unsubscribe link, and writes the rows 500 at a
time, so memory stays flat at any size and a round that dies part-way has
queued whole messages only. The outbox's unique key makes it idempotent: a
person already queued for the period is skipped.

A reminder is queued under a keyed hash of the person and period, not the
person, and keeps no person id: once sent it keeps no recipient either
(:func:`engagement.outbox.mark_sent`), so nobody can list who was reminded.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OutboxMessage, Role
from engagement import capabilities, messages, outbox, preferences
from engagement.settings import Moment

BATCH = 500  # rows per INSERT
CHUNK = 5_000  # people routed at once: memory stays flat however many there are
ANONYMOUS_KINDS = frozenset({"pulse_reminder"})


@dataclass(frozen=True, slots=True)
class Member:
    """What the schedule knows of one active person."""

    person_id: int
    email: str
    name: str
    role: Role
    team_id: int | None
    site_id: int | None
    zone: ZoneInfo

    @property
    def recipient(self) -> preferences.Recipient:
        return preferences.Recipient(self.person_id, self.email, self.zone)


def moment_in_week(week: date, moment: Moment, zone: ZoneInfo) -> datetime:
    """The instant of ``moment`` in the week starting ``week``, in ``zone``."""
    return datetime.combine(week + timedelta(days=moment.weekday), moment.at, zone)


def day_in_words(day: date) -> str:
    """ "Monday 16 March 2026": how every message names a day."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def audience_of(session: Session, kind: str, period: str) -> Callable[[int], str]:
    """Whom a message is for, as the outbox keys it: the person, or for a reminder a keyed hash of them."""
    if kind not in ANONYMOUS_KINDS:
        return lambda person_id: f"person:{person_id}"
    key = capabilities.secret(session).encode()

    def hashed(person_id: int) -> str:
        digest = hmac.new(key, f"{kind}/{person_id}/{period}".encode(), hashlib.sha256).hexdigest()
        return f"reminder:{digest}"

    return hashed


def queue_personal(
    session: Session,
    kind: str,
    period: str,
    people: Sequence[Member],
    context_of: Callable[[Member], dict[str, Any] | None],
    now: datetime,
) -> int:
    """Queue ``kind`` for each of ``people`` not queued for ``period`` yet; return how many were queued.

    ``context_of(person)`` gives the template's values (the person's name and
    the footer's links are added here), or None when there is nothing to tell
    them. People who turned ``kind`` off are skipped.
    """
    if not people:
        return 0
    audience = audience_of(session, kind, period)
    queued = set(
        session.scalars(
            select(OutboxMessage.audience).where(OutboxMessage.kind == kind, OutboxMessage.period == period)
        )
    )
    todo = [p for p in people if audience(p.person_id) not in queued]
    unsubscribe = preferences.unsubscribe_signer(session)
    anonymous = kind in ANONYMOUS_KINDS
    batch: list[dict[str, Any]] = []
    count = 0
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        routes = preferences.routes(session, kind, [p.recipient for p in chunk], now)
        for person in chunk:
            route = routes.get(person.person_id)
            if route is None:
                continue
            context = context_of(person)
            if context is None:
                continue
            stop_url = unsubscribe(person.person_id, kind, now)
            text = messages.render(
                kind,
                {
                    **context,
                    "name": person.name,
                    "preferences_url": preferences.preferences_url(),
                    "unsubscribe_url": stop_url,
                },
            )
            batch.append(
                {
                    "kind": kind,
                    "audience": audience(person.person_id),
                    "person_id": None if anonymous else person.person_id,
                    "period": period,
                    "channel": route.channel,
                    "recipient": route.recipient,
                    "subject": text.subject,
                    "body_text": text.text,
                    "body_html": text.html,
                    "unsubscribe_url": stop_url,
                    "not_before": route.not_before,
                }
            )
            if len(batch) == BATCH:
                outbox.enqueue_many(session, batch, now)
                count += len(batch)
                batch = []
    outbox.enqueue_many(session, batch, now)
    return count + len(batch)
