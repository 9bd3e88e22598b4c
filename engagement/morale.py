"""Morale from the weekly pulse, in groups big enough to keep people anonymous.

For each ISO week (its Monday) and group (team, site or the whole company):
response count, mean score (1-5) and eNPS (% promoters 9-10 minus % detractors
0-6). Privacy rules, applied before anything leaves this module:

- a group with fewer answers than the threshold (default 5, never below 3) is
  suppressed: no score, no eNPS, and no response count;
- a site or company figure is withheld too when the answers it holds beyond
  its visible parts number 1 to threshold-1, since subtracting the visible
  teams from it would reveal a small group;
- the same rules apply separately to eNPS, which some answers leave out;
- the current week is still open and never shown (no live count to watch);
- visibility is decided on the whole organisation, so no filter, period or
  grouping shows a different set of groups;
- derived figures (alerts, period means) use visible weeks only.
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models import Membership, Person, PulseWeekly, Role, Site, Team
from engagement import leaderboards, periods, settings
from engagement.access import Actor, require

COMPANY = "Company"
# Why a cell shows nothing: too few answers in the group itself, or enough
# answers but hiding them protects a smaller group that subtraction would reveal.
TOO_FEW = "too_few"
BY_SUBTRACTION = "by_subtraction"


class GroupBy(enum.StrEnum):
    TEAM = "team"
    SITE = "site"
    COMPANY = "company"


@dataclass(frozen=True)
class Cell:
    """One group in one week. Suppressed cells carry no figures at all."""

    week: date
    group: str
    group_id: int | None
    site: str | None
    responses: int | None
    avg_score: float | None
    enps: float | None
    suppressed: bool
    invited: int | None = None
    reason: str | None = None

    @property
    def response_rate(self) -> float | None:
        if self.responses is None or not self.invited:
            return None
        return round(min(self.responses / self.invited, 1.0), 4)


@dataclass
class _Sums:
    responses: int = 0
    score_sum: int = 0
    enps_answers: int = 0
    promoters: int = 0
    detractors: int = 0

    def add(self, other: _Sums) -> None:
        self.responses += other.responses
        self.score_sum += other.score_sum
        self.enps_answers += other.enps_answers
        self.promoters += other.promoters
        self.detractors += other.detractors


@dataclass
class _Week:
    teams: dict[int, _Sums] = field(default_factory=dict)


@dataclass(frozen=True)
class _Org:
    team_names: dict[int, str]
    team_site: dict[int, int | None]
    site_names: dict[int, str]


def _closed_weeks(session: Session, start: date, end: date, now: datetime | None) -> tuple[date, date] | None:
    """The Mondays of closed weeks in ``start``..``end``; the current week is left out."""
    this_monday = periods.week_start(periods.today(settings.load(session).zone, now))
    first, last = periods.week_start(start), min(periods.week_start(end), this_monday - timedelta(days=7))
    return (first, last) if first <= last else None


def _load(session: Session, first: date, last: date) -> tuple[_Org, dict[date, _Week]]:
    org = _Org(
        team_names=dict(session.execute(select(Team.id, Team.name)).all()),
        team_site=dict(session.execute(select(Team.id, Team.site_id)).all()),
        site_names=dict(session.execute(select(Site.id, Site.name)).all()),
    )
    return org, _weekly_sums(session, first, last)


def _weekly_sums(session: Session, first: date, last: date, team_id: int | None = None) -> dict[date, _Week]:
    """The weekly rollup's sums per week and team (one team's, if given)."""
    query = select(
        PulseWeekly.week_start,
        PulseWeekly.team_id,
        PulseWeekly.responses,
        PulseWeekly.score_sum,
        PulseWeekly.enps_answers,
        PulseWeekly.promoters,
        PulseWeekly.detractors,
    ).where(PulseWeekly.week_start.between(first, last))
    if team_id is not None:
        query = query.where(PulseWeekly.team_id == team_id)
    weeks: dict[date, _Week] = defaultdict(_Week)
    for week, team, *sums in session.execute(query):
        weeks[week].teams[team] = _Sums(*sums)
    return weeks


def _visible(org: _Org, week: _Week, count: str, k: int) -> tuple[set[int], set[int], bool]:
    """Which teams, sites and whether the company may show the figure based on ``count``.

    Decided bottom-up: a parent is hidden if what it holds beyond its visible
    descendants is 1..k-1 answers.
    """
    teams: set[int] = set()
    total: dict[int | None, int] = defaultdict(int)
    shown: dict[int | None, int] = defaultdict(int)
    for team, sums in week.teams.items():
        value = getattr(sums, count)
        site = org.team_site.get(team)
        total[site] += value
        if value >= k:
            teams.add(team)
            shown[site] += value
    sites = {s for s, n in total.items() if s is not None and n >= k and not 0 < n - shown[s] < k}
    company_total = sum(total.values())
    covered = sum(total[s] for s in sites) + sum(n for s, n in shown.items() if s not in sites)
    residual = company_total - covered
    company = company_total >= k and not 0 < residual < k
    return teams, sites, company


def _figures(sums: _Sums, score_ok: bool, enps_ok: bool) -> tuple[int | None, float | None, float | None]:
    if not score_ok:
        return None, None, None
    avg = round(sums.score_sum / sums.responses, 2)
    enps = round(100 * (sums.promoters - sums.detractors) / sums.enps_answers, 1) if enps_ok else None
    return sums.responses, avg, enps


def weekly_morale(
    session: Session,
    actor: Actor,
    by: GroupBy,
    start: date,
    end: date,
    *,
    site_id: int | None = None,
    now: datetime | None = None,
) -> list[Cell]:
    """Cells for every closed week in ``start``..``end``, by team, site or company.

    Managers and admins only. ``site_id`` narrows the output to one site's teams
    (or that site); it never changes which groups are visible.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    weeks_range = _closed_weeks(session, start, end, now)
    if weeks_range is None:
        return []
    k = settings.load(session).anonymity_threshold
    org, weeks = _load(session, *weeks_range)
    invited = _invited(session, periods.weeks_between(*weeks_range), org)
    active_teams = _teams_with_members(session)
    cells: list[Cell] = []
    for monday in periods.weeks_between(*weeks_range):
        week = weeks.get(monday, _Week())
        shown = _visible(org, week, "responses", k)
        enps_shown = _visible(org, week, "enps_answers", k)
        cells.extend(_cells(org, week, monday, by, shown, enps_shown, invited.get(monday, {}), active_teams, k))
    if site_id is not None:
        cells = [c for c in cells if _in_site(c, by, site_id, org)]
    return sorted(cells, key=lambda c: (c.week, c.group.casefold()))


def _in_site(cell: Cell, by: GroupBy, site_id: int, org: _Org) -> bool:
    if by is GroupBy.TEAM:
        return cell.group_id is not None and org.team_site.get(cell.group_id) == site_id
    return by is GroupBy.SITE and cell.group_id == site_id


def _cells(
    org: _Org,
    week: _Week,
    monday: date,
    by: GroupBy,
    shown: tuple[set[int], set[int], bool],
    enps_shown: tuple[set[int], set[int], bool],
    invited: dict[int, int],
    active_teams: set[int],
    k: int,
) -> Iterable[Cell]:
    if by is GroupBy.TEAM:
        for team in sorted(set(week.teams) | active_teams):
            sums = week.teams.get(team, _Sums())
            site = org.team_site.get(team)
            yield _cell(
                monday,
                org.team_names[team],
                team,
                org.site_names.get(site) if site else None,
                sums,
                team in shown[0],
                team in enps_shown[0],
                invited.get(team),
                k,
            )
    elif by is GroupBy.SITE:
        for site, name in org.site_names.items():
            members = [t for t in set(week.teams) | active_teams if org.team_site.get(t) == site]
            if not members:
                continue
            sums = _total(week, members)
            yield _cell(
                monday,
                name,
                site,
                name,
                sums,
                site in shown[1],
                site in enps_shown[1],
                sum(invited.get(t, 0) for t in members),
                k,
            )
    else:
        sums = _total(week, week.teams)
        yield _cell(monday, COMPANY, None, None, sums, shown[2], enps_shown[2], sum(invited.values()), k)


def _total(week: _Week, teams: Iterable[int]) -> _Sums:
    total = _Sums()
    for team in teams:
        if team in week.teams:
            total.add(week.teams[team])
    return total


def _cell(
    monday: date,
    group: str,
    group_id: int | None,
    site: str | None,
    sums: _Sums,
    score_ok: bool,
    enps_ok: bool,
    invited: int | None,
    k: int,
) -> Cell:
    responses, avg, enps = _figures(sums, score_ok, enps_ok)
    reason = None if score_ok else (TOO_FEW if sums.responses < k else BY_SUBTRACTION)
    return Cell(
        monday, group, group_id, site, responses, avg, enps, not score_ok, invited if score_ok else None, reason
    )


def _teams_with_members(session: Session, team_id: int | None = None) -> set[int]:
    query = select(Person.team_id).where(Person.active, Person.team_id.is_not(None)).distinct()
    if team_id is not None:
        query = query.where(Person.team_id == team_id)
    return set(session.scalars(query))


def _invited(
    session: Session, mondays: list[date], org: _Org, team_id: int | None = None
) -> dict[date, dict[int, int]]:
    """People on each team's roster on each Monday (active people with a team history).

    Each membership covers a run of consecutive Mondays, found by bisection and
    counted as +1 at its first Monday and -1 after its last, so the cost grows
    with memberships plus teams × weeks, not their product.
    """
    if not mondays:
        return {}
    query = (
        select(Membership.team_id, Membership.valid_from, Membership.valid_to)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Person.active,
            Membership.valid_from <= mondays[-1],
            or_(Membership.valid_to.is_(None), Membership.valid_to > mondays[0]),
        )
    )
    if team_id is not None:
        query = query.where(Membership.team_id == team_id)
    changes: dict[int, list[int]] = defaultdict(lambda: [0] * (len(mondays) + 1))
    for team, valid_from, valid_to in session.execute(query):
        first = bisect_left(mondays, valid_from)
        after = len(mondays) if valid_to is None else bisect_left(mondays, valid_to)
        if first < after:
            changes[team][first] += 1
            changes[team][after] -= 1
    out: dict[date, dict[int, int]] = {m: {} for m in mondays}
    for team, steps in changes.items():
        on_roster = 0
        for monday, step in zip(mondays, steps, strict=False):
            on_roster += step
            if on_roster:
                out[monday][team] = on_roster
    return out


def team_trend(
    session: Session, actor: Actor, team_id: int, start: date, end: date, *, now: datetime | None = None
) -> list[Cell]:
    """One team's cells for every closed week in ``start``..``end``, exactly as :func:`weekly_morale` shows them.

    Managers and admins only. Whether a team's cell is shown depends on its own
    answers alone (a site or the company may be withheld to protect a team,
    never the other way round), so this reads that team's weekly sums only and
    costs the same in an organisation of fifty people or fifty thousand.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    weeks_range = _closed_weeks(session, start, end, now)
    team = session.execute(select(Team.id, Team.name, Team.site_id).where(Team.id == team_id)).one_or_none()
    if weeks_range is None or team is None:
        return []
    k = settings.load(session).anonymity_threshold
    site_names = dict(session.execute(select(Site.id, Site.name).where(Site.id == team.site_id)).all())
    org = _Org({team.id: team.name}, {team.id: team.site_id}, site_names)
    weeks = _weekly_sums(session, *weeks_range, team_id=team.id)
    mondays = periods.weeks_between(*weeks_range)
    invited = _invited(session, mondays, org, team_id=team.id)
    active = {team.id} & _teams_with_members(session, team_id=team.id)
    cells: list[Cell] = []
    for monday in mondays:
        week = weeks.get(monday, _Week())
        shown = _visible(org, week, "responses", k)
        enps_shown = _visible(org, week, "enps_answers", k)
        cells.extend(_cells(org, week, monday, GroupBy.TEAM, shown, enps_shown, invited[monday], active, k))
    return cells


# -- derived views: built only from visible cells --------------------------------


@dataclass(frozen=True)
class Alert:
    team: str
    recent_mean: float
    previous_mean: float

    @property
    def change(self) -> float:
        return round(self.recent_mean - self.previous_mean, 2)


def pooled_mean(cells: Iterable[Cell]) -> tuple[float | None, int]:
    """Mean score over visible cells, weighted by their responses, and those responses."""
    visible = [c for c in cells if not c.suppressed and c.responses and c.avg_score is not None]
    n = sum(c.responses or 0 for c in visible)
    if not n:
        return None, 0
    return round(sum((c.avg_score or 0) * (c.responses or 0) for c in visible) / n, 2), n


def pooled_response_rate(cells: Iterable[Cell]) -> tuple[float | None, int, int]:
    """Share of invited people who answered, over visible cells only: (rate, responses, invited)."""
    visible = [c for c in cells if not c.suppressed and c.responses and c.invited]
    responses = sum(c.responses or 0 for c in visible)
    invited = sum(c.invited or 0 for c in visible)
    if not invited:
        return None, 0, 0
    return round(min(responses / invited, 1.0), 4), responses, invited


def alerts(session: Session, actor: Actor, *, drop: float = 0.5, now: datetime | None = None) -> list[Alert]:
    """Teams whose last 4 closed weeks' mean fell by ``drop`` or more against the 4 before.

    Each window needs at least 2 visible weeks, so a quiet team never raises an alarm.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    today = periods.today(settings.load(session).zone, now)
    last = periods.week_start(today) - timedelta(days=7)
    first = last - timedelta(weeks=7)
    cells = weekly_morale(session, actor, GroupBy.TEAM, first, last + timedelta(days=6), now=now)
    by_team: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_team[cell.group].append(cell)
    found: list[Alert] = []
    split = last - timedelta(weeks=3)
    for team, team_cells in by_team.items():
        recent = [c for c in team_cells if c.week >= split and not c.suppressed]
        previous = [c for c in team_cells if c.week < split and not c.suppressed]
        if len(recent) < 2 or len(previous) < 2:
            continue
        recent_mean, _ = pooled_mean(recent)
        previous_mean, _ = pooled_mean(previous)
        # Compare at the means' own 2 decimals: 4.1 - 3.6 is 0.4999999999999996 in binary.
        if recent_mean is not None and previous_mean is not None and round(previous_mean - recent_mean, 2) >= drop:
            found.append(Alert(team, recent_mean, previous_mean))
    return sorted(found, key=lambda a: a.change)


@dataclass(frozen=True)
class TeamComparison:
    team: str
    participation: float
    points_per_member: float
    morale: float | None
    responses: int


def participation_vs_morale(
    session: Session, actor: Actor, start: date, end: date, now: datetime | None = None
) -> list[TeamComparison]:
    """Per team: challenge participation in the period beside its mean morale (visible weeks only)."""
    require(actor, Role.MANAGER, Role.ADMIN)
    cells = weekly_morale(session, actor, GroupBy.TEAM, start, end, now=now)
    by_team: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_team[cell.group].append(cell)
    board = leaderboards.team_leaderboard(session, actor, leaderboards.Scope(start=start, end=end))
    out = []
    for row in board:
        mean, n = pooled_mean(by_team.get(row.team, []))
        out.append(TeamComparison(row.team, row.participation, row.points_per_member, mean, n))
    return out
