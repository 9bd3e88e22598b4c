"""The weekly messages: what is due now, queued once, in each person's own time zone.

:func:`plan` runs at the start of every ``notify`` round. For the week open
now (the organisation's pulse week) it queues, for each active member of a
team whose local moment has passed (``invite_at``, ``remind_at`` in
:mod:`engagement.settings`), the pulse invitation and, to those invited
earlier who have not answered, its one reminder; then the weekly digests
(:mod:`engagement.digests`, at ``digest_at``). Queuing is idempotent (the
outbox's unique key), so every round may plan again: nothing is queued twice,
and a person whose moment passed while ``notify`` was not running is served by
the next round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OutboxMessage, Person, PulseResponse
from engagement import digests, periods, preferences, pulse, pulse_links, settings
from engagement.mailing import Member, day_in_words, moment_in_week, queue_personal
from engagement.settings import OrgSettings


@dataclass(frozen=True)
class Planned:
    """How many messages one :func:`plan` queued, by kind."""

    counts: dict[str, int]

    def describe(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.counts.items())) or "nothing new"


def plan(session: Session, now: datetime) -> Planned:
    """Queue the invitations, reminders and digests due at ``now`` that are not queued yet."""
    org = settings.load(session)
    week = pulse.current_week(session, now)
    people = members(session, org)
    counts: dict[str, int] = {}
    if pulse.takes_answers(session, week, week):
        counts.update(_pulse(session, org, week, [p for p in people if p.team_id is not None], now))
    counts.update(digests.plan(session, org, week, people, now))
    return Planned({kind: n for kind, n in counts.items() if n})


def members(session: Session, org: OrgSettings) -> list[Member]:
    """Every active person, with the time zone their days are counted in."""
    rows = session.execute(
        select(Person.id, Person.email, Person.name, Person.role, Person.team_id, Person.site_id, Person.timezone)
        .where(Person.active)
        .order_by(Person.id)
    )
    zones: dict[str | None, ZoneInfo] = {}
    people = []
    for row in rows:
        if row.timezone not in zones:
            zones[row.timezone] = periods.zone_for(row.timezone, org.zone)
        zone = zones[row.timezone]
        people.append(Member(row.id, row.email, row.name, row.role, row.team_id, row.site_id, zone))
    return people


def _pulse(session: Session, org: OrgSettings, week: date, people: list[Member], now: datetime) -> dict[str, int]:
    """The week's invitations, then one reminder to those invited before their reminder moment who have not answered.

    Someone first invited late in the week (a new starter, or ``notify`` down
    since Monday) is not reminded at the same time.
    """
    period = week.isoformat()
    links = pulse_links.link_maker(session, preferences.public_url())
    closes = pulse_links.closes_at(session, week) - timedelta(minutes=1)
    values = {"week": day_in_words(week), "closes": day_in_words(closes.date())}

    def context(person: Member) -> dict[str, object]:
        return {**values, "scores": links(person.person_id, week)}

    invite = [p for p in people if now >= moment_in_week(week, org.invite_at, p.zone)]
    counts = {"pulse_invitation": queue_personal(session, "pulse_invitation", period, invite, context, now)}
    invited = dict(
        session.execute(
            select(OutboxMessage.person_id, OutboxMessage.created_at).where(
                OutboxMessage.kind == "pulse_invitation", OutboxMessage.period == period
            )
        ).all()
    )
    answered = set(session.scalars(select(PulseResponse.person_id).where(PulseResponse.week_start == week)))
    remind = []
    for person in people:
        moment = moment_in_week(week, org.remind_at, person.zone)
        first_invited = invited.get(person.person_id)
        if now >= moment and person.person_id not in answered and first_invited is not None and first_invited < moment:
            remind.append(person)
    counts["pulse_reminder"] = queue_personal(session, "pulse_reminder", period, remind, context, now)
    return counts
