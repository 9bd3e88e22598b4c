"""The weekly digests: what each person's week looked like, built for everyone in a few statements.

At the organisation's digest moment (``digest_at``, Friday 15:00 by default,
in each person's own time zone) :func:`plan` queues:

- for agents and leads in a team: their points and place this week, their
  team's place and the gap to the team above (points per member, the board's
  ranking), a challenge ending within a week, and their entries decided since
  the last digest;
- for leads with entries waiting: how many, and how long the oldest has waited;
- for managers: the morale alerts and the response rates of the last closed
  week, exactly as the Morale page publishes them (groups too small to keep
  answers anonymous are not there to read);
- for each team webhook: the team's place, posted to its channel (never
  anything personal).

The boards are read once for everyone (:func:`engagement.leaderboards.ranking`)
and each person's figures looked up from it, so building 50,000 digests costs
a few scans of the week's results, not one per person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Challenge, OutboxMessage, Result, Role, Status, Team
from engagement import amounts, leaderboards, messages, morale, outbox, periods, preferences, pulse_links
from engagement.access import SYSTEM
from engagement.leaderboards import Scope, TeamRow
from engagement.mailing import Member, day_in_words, moment_in_week, queue_personal
from engagement.settings import OrgSettings

ENDING_WITHIN_DAYS = 7
DECIDED_SHOWN = 10
TEAMS_SHOWN = 10
ALERTS_SHOWN = 10  # the sharpest; the rest are counted, and all are on the Morale page


@dataclass(frozen=True)
class Place:
    """A team on this week's board: its place, how many teams are ranked, and the team just above."""

    rank: int
    teams_ranked: int
    above: TeamRow | None
    gap: float | None


def plan(session: Session, org: OrgSettings, week: date, people: Sequence[Member], now: datetime) -> dict[str, int]:
    """Queue the digests due at ``now`` for the week starting ``week``; how many of each kind were queued."""
    due = [p for p in people if now >= moment_in_week(week, org.digest_at, p.zone)]
    counts: dict[str, int] = {}
    agents = [p for p in due if p.role in (Role.AGENT, Role.LEAD) and p.team_id is not None]
    leads = [p for p in due if p.role is Role.LEAD and p.team_id is not None]
    managers = [p for p in due if p.role is Role.MANAGER]
    team_posts = now >= moment_in_week(week, org.digest_at, org.zone) and bool(preferences.team_webhooks(session))
    if agents or team_posts:
        board = leaderboards.ranking(session, SYSTEM, Scope(None, week, week + timedelta(days=6)))
        places = _places(board.teams)
        ending = _ending(session, week)
        if agents:
            counts["agent_digest"] = _agent_digests(session, org, week, agents, board, places, ending, now)
        if team_posts:
            counts["team_digest"] = _team_posts(session, org, week, places, ending, now)
    if leads:
        counts["lead_digest"] = _lead_digests(session, week, leads, now)
    if managers:
        counts["manager_digest"] = _manager_digests(session, org, week, managers, now)
    return {kind: n for kind, n in counts.items() if n}


def _places(teams: Sequence[TeamRow]) -> dict[int, Place]:
    """Each team's place, from the board in rank order: the team above is the last one ranked better."""
    places = {}
    better: TeamRow | None = None
    for n, row in enumerate(teams):
        if n and teams[n - 1].rank < row.rank:
            better = teams[n - 1]
        gap = None if better is None else round(better.points_per_member - row.points_per_member, 2)
        places[row.team_id] = Place(row.rank, len(teams), better, gap)
    return places


def _ending(session: Session, week: date) -> list[Challenge]:
    """Challenges running this week that end within :data:`ENDING_WITHIN_DAYS` of its start or later this week."""
    last = week + timedelta(days=6 + ENDING_WITHIN_DAYS)
    return list(
        session.scalars(
            select(Challenge)
            .where(Challenge.starts_on <= week + timedelta(days=6), Challenge.ends_on.between(week, last))
            .order_by(Challenge.ends_on, Challenge.name)
        )
    )


def _ending_for(ending: Sequence[Challenge], today: date) -> dict[str, Any] | None:
    """The challenge that ends soonest from ``today`` (within a week), as the templates show it."""
    for challenge in ending:
        days_left = (challenge.ends_on - today).days
        if 0 <= days_left <= ENDING_WITHIN_DAYS:
            return {"name": challenge.name, "ends_on": day_in_words(challenge.ends_on), "days_left": days_left}
    return None


def _team_values(place: Place | None, team: str) -> dict[str, Any]:
    if place is None:
        return {"team": team, "team_rank": None, "teams_ranked": 0, "gap": None, "team_above": None}
    return {
        "team": team,
        "team_rank": place.rank,
        "teams_ranked": place.teams_ranked,
        "gap": None if place.gap is None else amounts.number(place.gap),
        "team_above": None if place.above is None else place.above.team,
    }


def _agent_digests(
    session: Session,
    org: OrgSettings,
    week: date,
    people: Sequence[Member],
    board: leaderboards.Ranking,
    places: dict[int, Place],
    ending: Sequence[Challenge],
    now: datetime,
) -> int:
    team_names: dict[int, str] = dict(session.execute(select(Team.id, Team.name)).all())
    decided = _decided(session, week, org, people, now)
    link = f"{preferences.public_url()}/my_standing"

    def context(person: Member) -> dict[str, Any]:
        rank, points = board.people.get(person.person_id, (None, 0.0))
        assert person.team_id is not None
        return {
            "week": day_in_words(week),
            "points": amounts.number(points),
            "rank": rank,
            "people_ranked": len(board.people),
            **_team_values(places.get(person.team_id), team_names.get(person.team_id, "Your team")),
            "ending": _ending_for(ending, periods.today(person.zone, now)),
            "decided": decided.get(person.person_id, [])[:DECIDED_SHOWN],
            "link": link,
        }

    return queue_personal(session, "agent_digest", week.isoformat(), people, context, now)


def _decided(
    session: Session, week: date, org: OrgSettings, people: Sequence[Member], now: datetime
) -> dict[int, list[dict[str, str]]]:
    """Each person's entries decided by someone else since their previous digest, newest first.

    "Since the last digest" is since the digest moment a week earlier in the
    person's zone, so no decision is told twice and none is missed.
    """
    earliest = min(moment_in_week(week, org.digest_at, p.zone) for p in people) - timedelta(days=7)
    wanted = {p.person_id: moment_in_week(week, org.digest_at, p.zone) - timedelta(days=7) for p in people}
    rows = session.execute(
        select(
            Result.person_id,
            Result.decided_at,
            Result.status,
            Result.quantity,
            Result.occurred_on,
            Result.decision_reason,
            Challenge.name,
            Challenge.unit,
        )
        .join(Challenge, Challenge.id == Result.challenge_id)
        .where(
            Result.decided_by_id.is_not(None),
            Result.decided_at > earliest,
            Result.decided_at <= now,
            Result.decided_by_id != Result.person_id,
            Result.status.in_((Status.APPROVED, Status.REJECTED)),
        )
        .order_by(Result.decided_at.desc(), Result.id.desc())
    )
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        since = wanted.get(row.person_id)
        if since is None or row.decided_at is None or row.decided_at <= since:
            continue
        found[row.person_id].append(
            {
                "challenge": row.name,
                "day": day_in_words(row.occurred_on),
                "amount": amounts.in_words(row.quantity, row.unit),
                "decision": "approved" if row.status is Status.APPROVED else "rejected",
                "reason": row.decision_reason or "",
            }
        )
    return found


def _lead_digests(session: Session, week: date, leads: Sequence[Member], now: datetime) -> int:
    """Leads whose team has entries waiting for them (not their own): how many, and the oldest's wait."""
    teams = {p.team_id for p in leads}
    waiting = {
        row.team_id: (row.n, row.oldest)
        for row in session.execute(
            select(Result.team_id, func.count().label("n"), func.min(Result.logged_at).label("oldest"))
            .where(Result.status == Status.PENDING, Result.team_id.in_(teams))
            .group_by(Result.team_id)
        )
    }
    own = dict(
        session.execute(
            select(Result.person_id, func.count())
            .where(Result.status == Status.PENDING, Result.person_id.in_([p.person_id for p in leads]))
            .group_by(Result.person_id)
        ).all()
    )
    link = f"{preferences.public_url()}/approvals"

    def context(person: Member) -> dict[str, Any] | None:
        count, oldest = waiting.get(person.team_id, (0, None))
        count -= own.get(person.person_id, 0)
        if count <= 0 or oldest is None:
            return None
        return {"waiting": count, "oldest_days": max((now - oldest).days, 0), "link": link}

    return queue_personal(session, "lead_digest", week.isoformat(), leads, context, now)


def _manager_digests(session: Session, org: OrgSettings, week: date, managers: Sequence[Member], now: datetime) -> int:
    """The last closed week's alerts and response rates, as published: the same digest for every manager.

    Rates are the company's and each site's, then the :data:`TEAMS_SHOWN`
    shown teams with the lowest response rate (where a reminder would help most);
    alerts the :data:`ALERTS_SHOWN` sharpest, and how many more there are.
    """
    first = week - timedelta(weeks=5)
    cells = {by: morale.weekly_morale(session, SYSTEM, by, first, week) for by in morale.GroupBy}
    weeks = [c.week for group in cells.values() for c in group]
    if not weeks:
        return 0
    latest = max(weeks)
    shown = {
        by: [c for c in group if c.week == latest and not c.suppressed and c.responses and c.avg_score is not None]
        for by, group in cells.items()
    }
    lowest = sorted(shown[morale.GroupBy.TEAM], key=lambda c: (c.response_rate or 0.0, c.group.casefold()))
    rows = shown[morale.GroupBy.COMPANY] + shown[morale.GroupBy.SITE] + lowest[:TEAMS_SHOWN]
    rates = [
        {
            "group": cell.group,
            "answered": f"{cell.responses} of {cell.invited}" if cell.invited else str(cell.responses),
            "score": f"{cell.avg_score:.1f}",
        }
        for cell in rows
    ]
    raised = morale.alerts(session, SYSTEM)  # sharpest first
    alerts = [
        f"{alert.team}{f' ({alert.site})' if alert.site else ''}: {alert.sentence()}" for alert in raised[:ALERTS_SHOWN]
    ]
    values = {
        "week": day_in_words(latest),
        "alerts": alerts,
        "more_alerts": len(raised) - len(alerts),
        "rates": rates,
        "threshold": org.anonymity_threshold,
        "link": f"{preferences.public_url()}/morale",
    }
    return queue_personal(session, "manager_digest", week.isoformat(), managers, lambda _: values, now)


def _team_posts(
    session: Session,
    org: OrgSettings,
    week: date,
    places: dict[int, Place],
    ending: Sequence[Challenge],
    now: datetime,
) -> int:
    """The week's place of every team with a webhook, posted to its channel: nothing about any one person."""
    names: dict[int, str] = dict(session.execute(select(Team.id, Team.name)).all())
    period = week.isoformat()
    queued = set(
        session.scalars(
            select(OutboxMessage.audience).where(OutboxMessage.kind == "team_digest", OutboxMessage.period == period)
        )
    )
    closes = pulse_links.closes_at(session, week) - timedelta(minutes=1)
    rows = []
    for team_id, channel in preferences.team_webhooks(session):
        audience = f"team:{team_id}:{channel}"
        if audience in queued or team_id not in names:
            continue
        text = messages.render(
            "team_digest",
            {
                "week": day_in_words(week),
                **_team_values(places.get(team_id), names[team_id]),
                "ending": _ending_for(ending, periods.today(org.zone, now)),
                "closes": day_in_words(closes.date()),
            },
        )
        rows.append(
            {
                "kind": "team_digest",
                "audience": audience,
                "team_id": team_id,
                "period": period,
                "channel": channel,
                "recipient": f"team:{team_id}",
                "subject": text.subject,
                "body_text": text.text,
                "body_html": "",
            }
        )
    outbox.enqueue_many(session, rows, now)
    return len(rows)
