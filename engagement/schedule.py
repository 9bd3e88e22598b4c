"""The weekly messages: what is due now, queued once, in each person's own time zone.

:func:`plan` runs at the start of every ``notify`` round. For the week open
now (the organisation's pulse week) it queues, for each active member of a
team whose local moment has passed (``invite_at``, ``remind_at`` in
:mod:`engagement.settings`), the pulse invitation and, to those who have not
answered, its one reminder. Queuing is idempotent (the outbox's unique key), so
every round may plan again: nothing is queued twice, and a person whose moment
passed while ``notify`` was not running is served by the next round.

A reminder is queued under a keyed hash of the person and week, not the
person: once sent it keeps no recipient, so nobody can list who was reminded.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OutboxMessage, Person, PulseResponse
from engagement import capabilities, messages, outbox, preferences, pulse, pulse_links, settings
from engagement.settings import Moment


@dataclass(frozen=True)
class Planned:
    """How many messages one :func:`plan` queued, by kind."""

    counts: dict[str, int]

    def describe(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.counts.items())) or "nothing new"


def moment_in_week(week: date, moment: Moment, zone: ZoneInfo) -> datetime:
    """The instant of ``moment`` in the week starting ``week``, in ``zone``."""
    return datetime.combine(week + timedelta(days=moment.weekday), moment.at, zone)


def plan(session: Session, now: datetime) -> Planned:
    """Queue the invitations and reminders due at ``now`` that are not queued yet."""
    org = settings.load(session)
    week = pulse.current_week(session, now)
    if not pulse.takes_answers(session, week, week):
        return Planned({})
    people = session.execute(
        select(Person.id, Person.email, Person.name, Person.timezone).where(Person.active, Person.team_id.is_not(None))
    ).all()
    by_zone: dict[str, list[preferences.Recipient]] = defaultdict(list)
    names = {}
    for person in people:
        zone = person.timezone or org.timezone
        by_zone[zone].append(preferences.Recipient(person.id, person.email, ZoneInfo(zone)))
        names[person.id] = person.name
    counts = {}
    invite = [p for zone, group in by_zone.items() for p in group if _passed(week, org.invite_at, zone, now)]
    counts["pulse_invitation"] = _queue(session, "pulse_invitation", week, invite, names, now)
    # One reminder, to those who were invited before their reminder moment and have not answered:
    # someone first invited late in the week (a new starter, notify down since Monday) is not
    # reminded at the same time.
    invited = dict(
        session.execute(
            select(OutboxMessage.person_id, OutboxMessage.created_at).where(
                OutboxMessage.kind == "pulse_invitation", OutboxMessage.period == week.isoformat()
            )
        ).all()
    )
    answered = set(session.scalars(select(PulseResponse.person_id).where(PulseResponse.week_start == week)))
    remind = [
        p
        for zone, group in by_zone.items()
        if _passed(week, org.remind_at, zone, now)
        for p in group
        if p.person_id not in answered
        and p.person_id in invited
        and invited[p.person_id] < moment_in_week(week, org.remind_at, ZoneInfo(zone))
    ]
    counts["pulse_reminder"] = _queue(session, "pulse_reminder", week, remind, names, now)
    return Planned({kind: n for kind, n in counts.items() if n})


def _passed(week: date, moment: Moment, zone: str, now: datetime) -> bool:
    return now >= moment_in_week(week, moment, ZoneInfo(zone))


def _queue(
    session: Session,
    kind: str,
    week: date,
    people: list[preferences.Recipient],
    names: dict[int, str],
    now: datetime,
) -> int:
    """Queue ``kind`` for ``people`` who have none for this week yet; return how many were queued."""
    if not people:
        return 0
    period = week.isoformat()
    audience = _audience(session, kind, week)
    queued = set(
        session.scalars(
            select(OutboxMessage.audience).where(OutboxMessage.kind == kind, OutboxMessage.period == period)
        )
    )
    todo = [p for p in people if audience(p.person_id) not in queued]
    if not todo:
        return 0
    routes = preferences.routes(session, kind, todo, now)
    links = pulse_links.link_maker(session, preferences.public_url())
    unsubscribe = preferences.unsubscribe_signer(session)
    closes = pulse_links.closes_at(session, week) - timedelta(minutes=1)
    rows = []
    for person in todo:
        route = routes.get(person.person_id)
        if route is None:
            continue
        stop_url = unsubscribe(person.person_id, kind, now)
        text = messages.render(
            kind,
            {
                "name": names[person.person_id],
                "week": _day(week),
                "closes": _day(closes.date()),
                "scores": links(person.person_id, week),
                "preferences_url": preferences.preferences_url(),
                "unsubscribe_url": stop_url,
            },
        )
        reminder = kind == "pulse_reminder"
        rows.append(
            {
                "kind": kind,
                "audience": audience(person.person_id),
                "person_id": None if reminder else person.person_id,
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
    outbox.enqueue_many(session, rows, now)
    return len(rows)


def _audience(session: Session, kind: str, week: date) -> Callable[[int], str]:
    """Whom a message is for, as the outbox keys it: the person, or for a reminder a keyed hash of them."""
    if kind != "pulse_reminder":
        return lambda person_id: f"person:{person_id}"
    key = capabilities.secret(session).encode()

    def hashed(person_id: int) -> str:
        digest = hmac.new(key, f"reminder/{person_id}/{week.isoformat()}".encode(), hashlib.sha256).hexdigest()
        return f"reminder:{digest[:64]}"

    return hashed


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"
