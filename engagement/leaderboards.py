"""Team and individual leaderboards, computed in SQL.

Definitions (the CLI and the dashboard both show exactly these):
- counted quantity: per person, challenge and day, the sum of that day's
  approved quantities, capped at the challenge's ``daily_cap`` if it has one;
- points: counted quantity × points_per_unit, over the days in the window,
  for active people only;
- team row: ``members`` = active people on the team's roster on any day of
  the window (leads included; from the membership history, so a past period
  keeps its own roster); ``points`` = points credited to the team (a result
  credits the team its person belonged to on the day); ``points_per_member`` =
  points / members; ``participants`` = members with points credited to this
  team > 0; ``participation`` = participants / members. Every team with an
  active member in the window is listed;
- person row: active people with points > 0;
- rank: standard competition ranking (1, 2, 2, 4) on the value rounded to 2
  decimals, so float sums that differ in the last bit tie on every engine;
  ties are listed by name.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import CTE, Float, Numeric, Row, and_, case, cast, func, literal_column, or_, select, true, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause, Select

from db.models import Challenge, Membership, Person, Result, Role, Site, Team, WorkMode
from engagement import challenges
from engagement.access import Actor, require
from engagement.errors import ValidationError

RESULTS = Result.__table__
CHALLENGES = Challenge.__table__
PEOPLE = Person.__table__
TEAMS = Team.__table__
MEMBERSHIPS = Membership.__table__
SITES = Site.__table__
# A literal, not a bound parameter: SQLite only uses a partial index when the
# query's WHERE visibly implies the index's own WHERE.
APPROVED = RESULTS.c.status == literal_column("'approved'")


class RankBy(enum.StrEnum):
    PER_MEMBER = "per_member"
    TOTAL = "total"
    PARTICIPATION = "participation"


@dataclass(frozen=True)
class Scope:
    """What a board counts: one challenge or all, a window of days, optional filters."""

    challenge_id: int | None = None
    start: date | None = None
    end: date | None = None
    site_id: int | None = None
    work_mode: WorkMode | None = None


@dataclass(frozen=True)
class TeamRow:
    rank: int
    team_id: int
    team: str
    site: str | None
    points: float
    members: int
    points_per_member: float
    participants: int
    participation: float


@dataclass(frozen=True)
class PersonRow:
    rank: int
    person_id: int
    email: str
    name: str
    team: str | None
    points: float


def resolve_window(session: Session, scope: Scope) -> Scope:
    """Fill in a missing window: a challenge's own window, or all time for every challenge."""
    if scope.start is not None and scope.end is not None and scope.start > scope.end:
        first, last = scope.start.isoformat(), scope.end.isoformat()
        raise ValidationError.single("to", f"{last} is before the first day, {first}")
    if scope.challenge_id is None or (scope.start and scope.end):
        return scope
    window = session.execute(
        select(Challenge.starts_on, Challenge.ends_on).where(Challenge.id == scope.challenge_id)
    ).one_or_none()
    if window is None:
        return scope
    return Scope(
        scope.challenge_id,
        scope.start or window.starts_on,
        scope.end or window.ends_on,
        scope.site_id,
        scope.work_mode,
    )


def person_points(scope: Scope, *, credited_site: int | None = None) -> CTE:
    """Points per (person, credited team) in the scope; the base of every board.

    ``credited_site`` keeps only results credited to that site's teams: a team
    board of one site needs no others, and skipping them early makes it cost
    that site's share of the window, not the whole organisation's.
    """
    where: list[ColumnElement[bool]] = [APPROVED]
    if credited_site is not None:
        where.append(RESULTS.c.team_id.in_(select(TEAMS.c.id).where(TEAMS.c.site_id == credited_site)))
    if scope.challenge_id is not None:
        where.append(RESULTS.c.challenge_id == scope.challenge_id)
    if scope.start is not None:
        where.append(RESULTS.c.occurred_on >= scope.start)
    if scope.end is not None:
        where.append(RESULTS.c.occurred_on <= scope.end)
    # Group in the index's own column order: PostgreSQL then aggregates while it reads the
    # index (no hash table of every person-day, three times faster); SQLite finds it either way.
    if scope.challenge_id is not None:
        index, day = "ix_results_ok_challenge_day", (RESULTS.c.challenge_id, RESULTS.c.occurred_on)
    else:
        index, day = "ix_results_ok_day", (RESULTS.c.occurred_on, RESULTS.c.challenge_id)
    daily = (
        select(
            RESULTS.c.person_id,
            RESULTS.c.team_id,
            RESULTS.c.challenge_id,
            func.sum(RESULTS.c.quantity).label("quantity"),
        )
        .where(*where)
        .group_by(*day, RESULTS.c.person_id, RESULTS.c.team_id)
        .with_hint(RESULTS, f"INDEXED BY {index}", dialect_name="sqlite")
        .subquery("daily")
    )
    if scope.challenge_id is not None:
        # One challenge: its cap and points are constants, read once, not joined per person-day.
        this = CHALLENGES.c.id == scope.challenge_id
        cap: ColumnElement[Any]
        per_unit: ColumnElement[Any]
        cap = select(CHALLENGES.c.daily_cap).where(this).scalar_subquery()
        per_unit = select(CHALLENGES.c.points_per_unit).where(this).scalar_subquery()
        source: FromClause = daily
    else:
        cap, per_unit = CHALLENGES.c.daily_cap, CHALLENGES.c.points_per_unit
        source = daily.join(CHALLENGES, CHALLENGES.c.id == daily.c.challenge_id)
    return (
        select(daily.c.person_id, daily.c.team_id, func.sum(_capped(daily.c.quantity, cap) * per_unit).label("points"))
        .select_from(source)
        .group_by(daily.c.person_id, daily.c.team_id)
        .cte("person_points")
    )


def _capped(quantity: ColumnElement[float], cap: ColumnElement[float]) -> ColumnElement[float]:
    """A day's quantity, limited to the daily cap when there is one."""
    return case((and_(cap.is_not(None), quantity > cap), cap), else_=quantity)


def _counted_people(scope: Scope) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [PEOPLE.c.active]
    if scope.work_mode is not None:
        where.append(PEOPLE.c.work_mode == scope.work_mode)
    return where


def _rank(value: ColumnElement[float]) -> ColumnElement[int]:
    return func.rank().over(order_by=func.round(cast(value, Numeric), 2).desc())


def round2(value: float) -> float:
    """Round as :func:`_rank` does in SQL: half up, on the value's 15 significant digits.

    Python's ``round`` works on the binary value (``round(0.125, 2) == 0.12``)
    while both stores give 0.13; rows that tie on rank must also show one value.
    """
    scaled = value * 100
    if abs(value) < 1e7 and abs(scaled - math.floor(scaled) - 0.5) > 1e-6:
        return round(value, 2)  # not near a tie: binary and decimal rounding agree (and it is 20x faster)
    return float(Decimal(f"{value:.15g}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def ranked_value(row: TeamRow, rank_by: RankBy) -> float:
    """The value a team is ranked on, rounded as :func:`_rank` rounds it (2 decimals, half up)."""
    return round2(getattr(row, RANKED_VALUE[rank_by]))


def places_apart(values: Sequence[float], fewest: int = 1) -> int:
    """The fewest decimals, from ``fewest`` up to the 2 ranking uses, that print no two ranks alike.

    ``values`` are ranked values as :func:`round2` gives them: equal values share
    a rank and print alike at any number of decimals, so only different ones
    need telling apart (3.24 and 3.16 both read "3.2" with 1 decimal).
    """
    distinct = set(values)
    for places in range(fewest, 2):
        if len({f"{value:.{places}f}" for value in distinct}) == len(distinct):
            return places
    return 2


def period_roster(scope: Scope) -> Select[tuple[int, int]]:
    """(team, person) for each counted person who was on the team's roster on any day of the window.

    From the membership history (``valid_from`` inclusive, ``valid_to``
    exclusive), so a past period is measured with the roster it had: someone
    who joins today does not count in March, and a team nobody was in during
    the window has no members and is not on its board. A window open at
    either end is open in the history too (all time: everyone who was ever in
    the team).
    """
    overlap: list[ColumnElement[bool]] = []
    if scope.end is not None:
        overlap.append(MEMBERSHIPS.c.valid_from <= scope.end)
    if scope.start is not None:
        overlap.append(or_(MEMBERSHIPS.c.valid_to.is_(None), MEMBERSHIPS.c.valid_to > scope.start))
    if scope.site_id is not None:
        overlap.append(MEMBERSHIPS.c.team_id.in_(select(TEAMS.c.id).where(TEAMS.c.site_id == scope.site_id)))
    return (
        select(MEMBERSHIPS.c.team_id, MEMBERSHIPS.c.person_id)
        .join(PEOPLE, PEOPLE.c.id == MEMBERSHIPS.c.person_id)
        .where(*_counted_people(scope), *overlap)
        .distinct()
    )


def team_board_query(scope: Scope, rank_by: RankBy, pp: CTE | None = None):  # type: ignore[no-untyped-def]
    """The team board as one SELECT (used by the functions below and the benchmark).

    ``pp`` lets another part of the same statement share one :func:`person_points`.
    """
    pp = person_points(scope, credited_site=scope.site_id) if pp is None else pp
    roster = period_roster(scope).cte("roster")
    members = select(roster.c.team_id, func.count().label("members")).group_by(roster.c.team_id).subquery("members")
    # Points of the people on each team's roster, credited to that team: read once for both figures below.
    counted = (
        select(pp.c.team_id, pp.c.points)
        .join(roster, and_(roster.c.team_id == pp.c.team_id, roster.c.person_id == pp.c.person_id))
        .cte("counted_points")
    )
    credited = (
        select(counted.c.team_id, func.sum(counted.c.points).label("points"))
        .group_by(counted.c.team_id)
        .subquery("credited")
    )
    participants = (
        select(counted.c.team_id, func.count().label("participants"))
        .where(counted.c.points > 0)
        .group_by(counted.c.team_id)
        .subquery("participants")
    )
    points = cast(func.coalesce(credited.c.points, 0.0), Float)
    per_member = cast(points / members.c.members, Float)
    participation = cast(func.coalesce(participants.c.participants, 0) * 1.0 / members.c.members, Float)
    value = {RankBy.TOTAL: points, RankBy.PER_MEMBER: per_member, RankBy.PARTICIPATION: participation}[rank_by]
    query = (
        select(
            _rank(value).label("rank"),
            TEAMS.c.id,
            TEAMS.c.name,
            SITES.c.name.label("site"),
            points.label("points"),
            members.c.members,
            per_member.label("points_per_member"),
            func.coalesce(participants.c.participants, 0).label("participants"),
            participation.label("participation"),
        )
        .join(members, members.c.team_id == TEAMS.c.id)
        .outerjoin(credited, credited.c.team_id == TEAMS.c.id)
        .outerjoin(participants, participants.c.team_id == TEAMS.c.id)
        .outerjoin(SITES, SITES.c.id == TEAMS.c.site_id)
    )
    if scope.site_id is not None:
        query = query.where(TEAMS.c.site_id == scope.site_id)
    return query


def team_leaderboard(
    session: Session, actor: Actor, scope: Scope, rank_by: RankBy = RankBy.PER_MEMBER
) -> list[TeamRow]:
    """Every team with an active member, in rank order. Everyone may read boards."""
    require(actor, *Role)
    ranked = team_board_query(resolve_window(session, scope), rank_by).subquery("ranked")
    rows = session.execute(select(ranked).order_by(ranked.c.rank, ranked.c.name)).all()
    return [_team_row(row) for row in rows]


def _team_row(row) -> TeamRow:  # type: ignore[no-untyped-def]
    return TeamRow(
        rank=int(row.rank),
        team_id=row.id,
        team=row.name,
        site=row.site,
        points=round2(float(row.points)),
        members=int(row.members),
        points_per_member=round2(float(row.points_per_member)),
        participants=int(row.participants),
        participation=round(float(row.participation), 4),
    )


def person_board_query(scope: Scope, pp: CTE | None = None):  # type: ignore[no-untyped-def]
    """The person board as one SELECT; ``pp`` as for :func:`team_board_query`."""
    pp = person_points(scope) if pp is None else pp
    totals = select(pp.c.person_id, func.sum(pp.c.points).label("points")).group_by(pp.c.person_id).subquery("totals")
    query = (
        select(
            _rank(totals.c.points).label("rank"),
            PEOPLE.c.id,
            PEOPLE.c.email,
            PEOPLE.c.name,
            TEAMS.c.name.label("team"),
            cast(totals.c.points, Float).label("points"),
        )
        .join(PEOPLE, PEOPLE.c.id == totals.c.person_id)
        .outerjoin(TEAMS, TEAMS.c.id == PEOPLE.c.team_id)
        .where(*_counted_people(scope), totals.c.points > 0)
    )
    if scope.site_id is not None:
        query = query.where(func.coalesce(PEOPLE.c.site_id, TEAMS.c.site_id) == scope.site_id)
    return query


def person_leaderboard(session: Session, actor: Actor, scope: Scope, limit: int | None = None) -> list[PersonRow]:
    """Active people with points, in rank order (top ``limit`` if given). Everyone may read boards."""
    require(actor, *Role)
    ranked = person_board_query(resolve_window(session, scope)).subquery("ranked")
    query = select(ranked).order_by(ranked.c.rank, ranked.c.name, ranked.c.email)
    if limit is not None:
        query = query.limit(limit)
    return [_person_row(row) for row in session.execute(query)]


def _person_row(row) -> PersonRow:  # type: ignore[no-untyped-def]
    return PersonRow(int(row.rank), row.id, row.email, row.name, row.team, round2(float(row.points)))


@dataclass(frozen=True)
class Standing:
    """Where one person and their team stand on one board."""

    me: PersonRow | None
    people_ranked: int
    team: TeamRow | None
    teams_ranked: int
    team_above: TeamRow | None

    @property
    def gap_to_team_above(self) -> float | None:
        """Points per member the team needs to draw level with the team above."""
        if self.team is None or self.team_above is None:
            return None
        return round(self.team_above.points_per_member - self.team.points_per_member, 2)


def standing(session: Session, actor: Actor, scope: Scope) -> Standing:
    """The actor's own row and rank, their team's row, and the team just above it.

    One statement reads the scope's results once: the points per person are
    summed in one CTE and both boards are ranked from it, so a page showing a
    standing pays for one scan, not one per figure.
    """
    require(actor, *Role)
    scope = resolve_window(session, scope)
    pp = person_points(scope)
    people = person_board_query(scope, pp).cte("people_board")
    counted = select(func.count().label("people_ranked")).select_from(people).subquery("counted")
    me = (
        select(counted.c.people_ranked, *(column.label(f"me_{column.name}") for column in people.c))
        .select_from(counted.outerjoin(people, people.c.id == actor.person_id))
        .subquery("me")
    )
    board = team_board_query(scope, RankBy.PER_MEMBER, pp).cte("team_board")
    my_rank = select(board.c.rank).where(board.c.id == actor.team_id).scalar_subquery()
    above = (
        select(board.c.id)
        .where(board.c.rank < my_rank)
        .order_by(board.c.rank.desc(), board.c.name.desc())
        .limit(1)
        .scalar_subquery()
    )
    teams = select(board).where(or_(board.c.id == actor.team_id, board.c.id == above)).subquery("teams")
    teams_ranked = select(func.count()).select_from(board).scalar_subquery()
    rows = session.execute(
        select(me, teams, teams_ranked.label("teams_ranked")).select_from(me.outerjoin(teams, true()))
    ).all()
    first = rows[0]
    found = {row.id: _team_row(row) for row in rows if row.id is not None}
    mine = found.pop(actor.team_id, None) if actor.team_id is not None else None
    me_row = None
    if first.me_id is not None:
        me_row = PersonRow(
            int(first.me_rank),
            first.me_id,
            first.me_email,
            first.me_name,
            first.me_team,
            round2(float(first.me_points)),
        )
    return Standing(
        me=me_row,
        people_ranked=first.people_ranked,
        team=mine,
        teams_ranked=first.teams_ranked,
        team_above=next(iter(found.values()), None) if mine is not None else None,
    )


@dataclass(frozen=True)
class Ranking:
    """Everyone's place on one scope's boards: each person's (rank, points) and the team board.

    The boards are public, so one ranking per scope can be computed once and
    shared by every viewer; :meth:`standing_of` then gives anyone their
    standing without asking the store again. That is what lets a few hundred
    people open My standing at the start of a shift.
    """

    people: dict[int, tuple[int, float]]
    teams: tuple[TeamRow, ...]

    def standing_of(self, actor: Actor) -> Standing:
        """The same figures as :func:`standing` for ``actor``."""
        mine = next((t for t in self.teams if t.team_id == actor.team_id), None)
        above = None
        if mine is not None:
            better = [t for t in self.teams if t.rank < mine.rank]
            above = better[-1] if better else None
        me = self.people.get(actor.person_id) if actor.person_id is not None else None
        me_row = None
        if me is not None and actor.person_id is not None:
            me_row = PersonRow(me[0], actor.person_id, actor.email, actor.name, mine.team if mine else None, me[1])
        return Standing(me_row, len(self.people), mine, len(self.teams), above)


def ranking(session: Session, actor: Actor, scope: Scope) -> Ranking:
    """Everyone's rank and points, and the team board by points per member, in one statement."""
    require(actor, *Role)
    scope = resolve_window(session, scope)
    pp = person_points(scope)
    people = person_board_query(scope, pp).subquery("people_board")
    teams = team_board_query(scope, RankBy.PER_MEMBER, pp).subquery("team_board")
    blank: ColumnElement[Any] = literal_column("NULL")
    rows = session.execute(
        union_all(
            select(
                literal_column("'person'").label("kind"),
                people.c.id,
                people.c.rank,
                people.c.points,
                *(blank.label(name) for name in ("name", "site", "members", "points_per_member")),
                *(blank.label(name) for name in ("participants", "participation")),
            ),
            select(
                literal_column("'team'"),
                teams.c.id,
                teams.c.rank,
                teams.c.points,
                teams.c.name,
                teams.c.site,
                teams.c.members,
                teams.c.points_per_member,
                teams.c.participants,
                teams.c.participation,
            ),
        ).order_by(literal_column("kind"), literal_column("rank"), literal_column("name"))
    ).all()
    board = [_team_row(r) for r in rows if r.kind == "team"]
    people_ranks = {row[1]: (int(row[2]), round2(float(row[3]))) for row in rows if row[0] == "person"}
    return Ranking(people_ranks, tuple(board))


def my_points(session: Session, actor: Actor, challenge_ids: Sequence[int]) -> dict[int, float]:
    """The actor's points in each of these challenges over its own window, by the rules above.

    Reads only the actor's own results, so a page can show every running
    challenge at a glance without ranking everyone in each. Challenges without
    points are left out; people who are not active have none.
    """
    require(actor, *Role)
    if actor.person_id is None or not challenge_ids:
        return {}
    daily = (
        select(RESULTS.c.challenge_id, func.sum(RESULTS.c.quantity).label("quantity"))
        .join(CHALLENGES, CHALLENGES.c.id == RESULTS.c.challenge_id)
        .join(PEOPLE, PEOPLE.c.id == RESULTS.c.person_id)
        .where(
            APPROVED,
            PEOPLE.c.active,
            RESULTS.c.person_id == actor.person_id,
            RESULTS.c.challenge_id.in_(list(challenge_ids)),
            RESULTS.c.occurred_on.between(CHALLENGES.c.starts_on, CHALLENGES.c.ends_on),
        )
        .group_by(RESULTS.c.challenge_id, RESULTS.c.occurred_on)
        .subquery("daily")
    )
    points = func.sum(_capped(daily.c.quantity, CHALLENGES.c.daily_cap) * CHALLENGES.c.points_per_unit)
    rows = session.execute(
        select(daily.c.challenge_id, points)
        .join(CHALLENGES, CHALLENGES.c.id == daily.c.challenge_id)
        .group_by(daily.c.challenge_id)
    )
    return {challenge_id: round2(float(total)) for challenge_id, total in rows if total}


def my_period_points(session: Session, actor: Actor, start: date, end: date) -> float:
    """The actor's points over every challenge in ``start``..``end``: their row's points on that period's board.

    Reads only the actor's own results, like :func:`my_points`.
    """
    require(actor, *Role)
    if actor.person_id is None:
        return 0.0
    daily = (
        select(RESULTS.c.challenge_id, func.sum(RESULTS.c.quantity).label("quantity"))
        .join(PEOPLE, PEOPLE.c.id == RESULTS.c.person_id)
        .where(
            APPROVED, PEOPLE.c.active, RESULTS.c.person_id == actor.person_id, RESULTS.c.occurred_on.between(start, end)
        )
        .group_by(RESULTS.c.challenge_id, RESULTS.c.occurred_on)
        .subquery("daily")
    )
    points = func.sum(_capped(daily.c.quantity, CHALLENGES.c.daily_cap) * CHALLENGES.c.points_per_unit)
    total = session.scalar(select(points).select_from(daily.join(CHALLENGES, CHALLENGES.c.id == daily.c.challenge_id)))
    return round2(float(total)) if total else 0.0


def person_row(session: Session, actor: Actor, scope: Scope, person_id: int | None) -> PersonRow | None:
    """One person's row on the person board, ranked among everyone (None without points).

    The dashboard lists the top of the board and then adds the viewer's own
    row from here, so a person far down still sees where they stand.
    """
    require(actor, *Role)
    if person_id is None:
        return None
    people = person_board_query(resolve_window(session, scope)).subquery("ranked")
    row = session.execute(select(people).where(people.c.id == person_id)).first()
    return _person_row(row) if row is not None else None


RANKED_VALUE = {RankBy.PER_MEMBER: "points_per_member", RankBy.TOTAL: "points", RankBy.PARTICIPATION: "participation"}


@dataclass(frozen=True)
class TeamPosition:
    """Where one team stands on a board: its row, the team just above and the gap to it.

    ``gap`` is in the value the board is ranked by (points per member, points,
    or share of members taking part), so the sentence beside a chart matches
    the bars.
    """

    row: TeamRow
    teams_ranked: int
    above: TeamRow | None
    gap: float | None


def team_position(rows: Sequence[TeamRow], team_id: int | None, rank_by: RankBy) -> TeamPosition | None:
    """Find ``team_id`` on an already ranked board; None if it is not on it."""
    mine = next((r for r in rows if r.team_id == team_id), None)
    if mine is None:
        return None
    better = [r for r in rows if r.rank < mine.rank]
    above = better[-1] if better else None
    # The gap between the values the two are ranked on: what the chart and the table print for them.
    gap = None if above is None else round(ranked_value(above, rank_by) - ranked_value(mine, rank_by), 2)
    return TeamPosition(mine, len(rows), above, gap)


PLACES = 3


@dataclass(frozen=True)
class Podium:
    """An ended challenge's standings over its own window: the top places of teams and of people.

    ``teams`` and ``people`` hold every row ranked within the top places with
    points (ties share a place, so there may be more than three); the winners
    are those ranked first. Teams rank by points per member, the boards' default.
    The results are ``final`` once the late-entry window has closed
    (``late_until`` has passed); until then a late entry can still change them.
    """

    ended_on: date
    late_until: date
    final: bool
    teams: tuple[TeamRow, ...]
    people: tuple[PersonRow, ...]
    teams_ranked: int
    people_ranked: int

    @property
    def winning_teams(self) -> tuple[TeamRow, ...]:
        return tuple(r for r in self.teams if r.rank == 1)

    @property
    def winning_people(self) -> tuple[PersonRow, ...]:
        return tuple(r for r in self.people if r.rank == 1)


def podium(session: Session, actor: Actor, challenge_id: int, today: date, places: int = PLACES) -> Podium | None:
    """The top places of a challenge that ended before ``today``; None while it runs, before it starts, or if unknown.

    Counted over the challenge's own window with the rosters of that window,
    so nothing that happens after it ended (a new team, a new member) changes
    who won. Two short reads: at most a few rows each, with the number ranked.
    """
    require(actor, *Role)
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or challenge.ends_on >= today:
        return None
    scope = Scope(challenge_id, challenge.starts_on, challenge.ends_on)
    team_rows = _podium(session, team_board_query(scope, RankBy.PER_MEMBER), places, "name")
    people_rows = _podium(session, person_board_query(scope), places, "name", "email")
    late_until = challenges.last_entry_day(challenge)
    return Podium(
        ended_on=challenge.ends_on,
        late_until=late_until,
        final=today > late_until,
        teams=tuple(_team_row(r) for r in team_rows if r.points > 0),
        people=tuple(_person_row(r) for r in people_rows),
        teams_ranked=int(team_rows[0].ranked) if team_rows else 0,
        people_ranked=int(people_rows[0].ranked) if people_rows else 0,
    )


def _podium(session: Session, board: Select[Any], places: int, *order: str) -> Sequence[Row[Any]]:
    """A board's rows ranked within the top ``places``, each with how many rows the whole board has."""
    counted = select(board.subquery("board"), func.count().over().label("ranked")).subquery("counted")
    query = select(counted).where(counted.c.rank <= places)
    return session.execute(query.order_by(counted.c.rank, *(counted.c[name] for name in order))).all()
