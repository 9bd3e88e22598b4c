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

Each view reads only what its own decision needs, so a view of one site costs
the same in an organisation of fifty teams or five thousand: a team shows on
its own answers alone; a site on its own total and on what its shown teams
hold; the company on those two figures for every site, summed in SQL.
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

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
class _Site:
    """A site's sums in one week, and how many of them its shown teams show, per measure."""

    sums: _Sums = field(default_factory=_Sums)
    shown: int = 0
    shown_enps: int = 0


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


def _in_view(
    team_column: QueryableAttribute[Any], site_id: int | None, team_id: int | None = None
) -> list[ColumnElement[bool]]:
    """Conditions keeping the rows of one team, one site's teams, or (no filter) every team."""
    if team_id is not None:
        return [team_column == team_id]
    if site_id is not None:
        return [team_column.in_(select(Team.id).where(Team.site_id == site_id))]
    return []


# -- visibility: the rules of the module docstring, on counts ---------------------------


def _site_shows(total: int, shown: int, k: int) -> bool:
    """A site shows with k answers or more, unless its shown teams leave 1..k-1 of them."""
    return total >= k and not 0 < total - shown < k


def _company_shows(sites: dict[int | None, tuple[int, int]], k: int) -> bool:
    """The company shows unless what its shown sites and teams leave is 1..k-1 answers.

    ``sites`` maps each site (None: teams without one) to (its answers, those
    its shown teams hold); a shown site covers all its answers.
    """
    total = sum(n for n, _ in sites.values())
    covered = sum(n if site is not None and _site_shows(n, shown, k) else shown for site, (n, shown) in sites.items())
    return total >= k and not 0 < total - covered < k


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
    if not score_ok:
        reason = TOO_FEW if sums.responses < k else BY_SUBTRACTION
        return Cell(monday, group, group_id, site, None, None, None, True, None, reason)
    avg = round(sums.score_sum / sums.responses, 2)
    enps = round(100 * (sums.promoters - sums.detractors) / sums.enps_answers, 1) if enps_ok else None
    return Cell(monday, group, group_id, site, sums.responses, avg, enps, False, invited)


# -- reading ------------------------------------------------------------------------


def _org(session: Session, site_id: int | None, team_id: int | None = None) -> _Org:
    """Names and sites of the teams in view, and the names of their sites."""
    teams = session.execute(select(Team.id, Team.name, Team.site_id).where(*_in_view(Team.id, site_id, team_id))).all()
    sites = {site for _, _, site in teams if site is not None}
    return _Org({t: name for t, name, _ in teams}, {t: site for t, _, site in teams}, _site_names(session, sites))


def _site_names(session: Session, sites: set[int] | None = None) -> dict[int, str]:
    """Every site's name, or those of ``sites``."""
    query = select(Site.id, Site.name)
    return dict(session.execute(query if sites is None else query.where(Site.id.in_(sites))).all())


def _team_weeks(session: Session, first: date, last: date, *where: ColumnElement[bool]) -> dict[date, dict[int, _Sums]]:
    """The weekly rollup's sums per week and team."""
    w = PulseWeekly
    query = select(w.week_start, w.team_id, w.responses, w.score_sum, w.enps_answers, w.promoters, w.detractors)
    weeks: dict[date, dict[int, _Sums]] = defaultdict(dict)
    for week, team, *sums in session.execute(query.where(w.week_start.between(first, last), *where)):
        weeks[week][team] = _Sums(*sums)
    return weeks


def _site_weeks(
    session: Session, first: date, last: date, k: int, site_id: int | None
) -> dict[date, dict[int | None, _Site]]:
    """Per week and site (None: teams without one): its teams' sums and what its shown teams hold, summed in SQL."""
    w = PulseWeekly

    def shown(count: QueryableAttribute[int]) -> ColumnElement[int]:
        return func.sum(case((count >= k, count), else_=0))

    query = (
        select(w.week_start, Team.site_id, func.sum(w.responses), func.sum(w.score_sum), func.sum(w.enps_answers))
        .add_columns(func.sum(w.promoters), func.sum(w.detractors), shown(w.responses), shown(w.enps_answers))
        .join(Team, Team.id == w.team_id)
        .where(w.week_start.between(first, last))
        .group_by(w.week_start, Team.site_id)
    )
    if site_id is not None:
        query = query.where(Team.site_id == site_id)
    weeks: dict[date, dict[int | None, _Site]] = defaultdict(dict)
    for week, site, *sums, shown_responses, shown_enps in session.execute(query):
        weeks[week][site] = _Site(_Sums(*(int(n) for n in sums)), int(shown_responses), int(shown_enps))
    return weeks


def _teams_with_members(session: Session, *where: ColumnElement[bool]) -> set[int]:
    query = select(Person.team_id).where(Person.active, Person.team_id.is_not(None), *where).distinct()
    return {team for team in session.scalars(query) if team is not None}


def _sites_with_members(session: Session, site_id: int | None) -> set[int | None]:
    query = select(Team.site_id).where(_has_members()).distinct()
    return set(session.scalars(query if site_id is None else query.where(Team.site_id == site_id)))


def _has_members() -> ColumnElement[bool]:
    """A team has an active member: one probe of the people index per team, not a pass over everyone."""
    return exists().where(Person.team_id == Team.id, Person.active)


def _rosters(
    session: Session, mondays: list[date], key: QueryableAttribute[Any], *where: ColumnElement[bool]
) -> dict[date, dict[int | None, int]]:
    """People on each group's roster (``key``: the team or its site) on each Monday: active people's team history.

    Memberships covering every Monday are counted in SQL; the few that start or
    end in between come back grouped by their dates and are placed on their
    Mondays here, so the cost is one pass over the memberships whatever the
    number of weeks, and the rows returned grow with groups, not people.
    """
    m, first, last = Membership, mondays[0], mondays[-1]
    whole = and_(m.valid_from <= first, or_(m.valid_to.is_(None), m.valid_to > last))
    each = (
        select(
            key.label("key"),
            case((whole, None), else_=m.valid_from).label("valid_from"),
            case((whole, None), else_=m.valid_to).label("valid_to"),
        )
        .select_from(m)
        .join(Person, Person.id == m.person_id)
        .join(Team, Team.id == m.team_id)
        .where(Person.active, m.valid_from <= last, or_(m.valid_to.is_(None), m.valid_to > first), *where)
        .subquery("each")
    )
    spans = select(each.c.key, each.c.valid_from, each.c.valid_to, func.count())
    out: dict[date, dict[int | None, int]] = {monday: defaultdict(int) for monday in mondays}
    for group, valid_from, valid_to, n in session.execute(
        spans.group_by(each.c.key, each.c.valid_from, each.c.valid_to)
    ):
        begin = 0 if valid_from is None else bisect_left(mondays, valid_from)
        stop = len(mondays) if valid_to is None else bisect_left(mondays, valid_to)
        for monday in mondays[begin:stop]:
            out[monday][group] += n
    return {monday: dict(groups) for monday, groups in out.items()}


# -- the cells of each view ---------------------------------------------------------------


def _team_cells(
    session: Session, mondays: list[date], k: int, site_id: int | None, team_id: int | None = None
) -> Iterator[Cell]:
    """Every team in view that had answers or has members, each week; a team shows on its own answers alone."""
    org = _org(session, site_id, team_id)
    weeks = _team_weeks(session, mondays[0], mondays[-1], *_in_view(PulseWeekly.team_id, site_id, team_id))
    rosters = _rosters(session, mondays, Membership.team_id, *_in_view(Membership.team_id, site_id, team_id))
    active = _teams_with_members(session, *_in_view(Person.team_id, site_id, team_id))
    for monday in mondays:
        week = weeks.get(monday, {})
        for team in sorted(set(week) | active):
            sums, site = week.get(team, _Sums()), org.team_site.get(team)
            site_name = org.site_names.get(site) if site else None
            score_ok, enps_ok = sums.responses >= k, sums.enps_answers >= k
            yield _cell(
                monday, org.team_names[team], team, site_name, sums, score_ok, enps_ok, rosters[monday].get(team), k
            )


def _site_cells(session: Session, mondays: list[date], k: int, site_id: int | None) -> Iterator[Cell]:
    """Every site in view with answers or members, each week; a site shows on its own figures alone."""
    weeks = _site_weeks(session, mondays[0], mondays[-1], k, site_id)
    names = _site_names(session, None if site_id is None else {site_id})
    rosters = _rosters(session, mondays, Team.site_id, *_in_view(Membership.team_id, site_id))
    active = _sites_with_members(session, site_id)
    for monday in mondays:
        week = weeks.get(monday, {})
        for site, name in names.items():
            if site not in week and site not in active:
                continue
            group = week.get(site, _Site())
            score_ok = _site_shows(group.sums.responses, group.shown, k)
            enps_ok = _site_shows(group.sums.enps_answers, group.shown_enps, k)
            yield _cell(monday, name, site, name, group.sums, score_ok, enps_ok, rosters[monday].get(site, 0), k)


def _company_cells(session: Session, mondays: list[date], k: int) -> Iterator[Cell]:
    """The whole company, each week: shown unless its shown sites and teams leave a small group."""
    weeks = _site_weeks(session, mondays[0], mondays[-1], k, None)
    rosters = _rosters(session, mondays, Team.site_id)
    for monday in mondays:
        sites, total = weeks.get(monday, {}), _Sums()
        for group in sites.values():
            total.add(group.sums)
        score_ok = _company_shows({s: (g.sums.responses, g.shown) for s, g in sites.items()}, k)
        enps_ok = _company_shows({s: (g.sums.enps_answers, g.shown_enps) for s, g in sites.items()}, k)
        yield _cell(monday, COMPANY, None, None, total, score_ok, enps_ok, sum(rosters[monday].values()), k)


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
    (or that site) and reads only theirs; it never changes which groups are
    visible. The company has no cell within one site.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    weeks_range = _closed_weeks(session, start, end, now)
    if weeks_range is None or (by is GroupBy.COMPANY and site_id is not None):
        return []
    k = settings.load(session).anonymity_threshold
    mondays = periods.weeks_between(*weeks_range)
    if by is GroupBy.TEAM:
        cells = _team_cells(session, mondays, k, site_id)
    elif by is GroupBy.SITE:
        cells = _site_cells(session, mondays, k, site_id)
    else:
        cells = _company_cells(session, mondays, k)
    return sorted(cells, key=lambda c: (c.week, c.group.casefold()))


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
    if weeks_range is None:
        return []
    k = settings.load(session).anonymity_threshold
    return list(_team_cells(session, periods.weeks_between(*weeks_range), k, None, team_id))


@dataclass(frozen=True)
class TeamView:
    """How many teams the team view lists (those with an active member), and the site to show first."""

    teams: int
    first_site: str | None


def team_view(session: Session, actor: Actor) -> TeamView:
    """The size of the team view, and the actor's own site (else the first by name) for a view of one site.

    Managers and admins only. Counts teams, never answers, so it reveals nothing about the pulse.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    teams = session.scalar(select(func.count()).select_from(Team).where(_has_members()))
    first = None if actor.site_id is None else session.scalar(select(Site.name).where(Site.id == actor.site_id))
    return TeamView(teams or 0, first or session.scalar(select(Site.name).order_by(Site.name).limit(1)))


# -- derived views: built only from visible weeks --------------------------------


@dataclass(frozen=True)
class Alert:
    team: str
    recent_mean: float
    previous_mean: float
    site: str | None = None

    @property
    def change(self) -> float:
        return round(self.recent_mean - self.previous_mean, 2)


@dataclass(frozen=True)
class _Pooled:
    """A team's visible weeks in one window: their answers' score sum, answers and how many weeks."""

    score_sum: int
    responses: int
    weeks: int

    @property
    def mean(self) -> float | None:
        return round(self.score_sum / self.responses, 2) if self.responses else None


def _visible_weeks(
    session: Session, windows: list[tuple[date, date]], k: int, site_id: int | None = None
) -> dict[int, list[_Pooled]]:
    """Per team, its visible weeks pooled in each window (Mondays ``first``..``last``), in one grouped query.

    A team's week is visible on its own answers alone, so this needs no other group's figures.
    """
    w = PulseWeekly
    columns: list[ColumnElement[int]] = []
    for first, last in windows:
        inside = and_(w.responses >= k, w.week_start.between(first, last))
        columns += [func.sum(case((inside, w.score_sum), else_=0)), func.sum(case((inside, w.responses), else_=0))]
        columns.append(func.count(case((inside, 1))))
    query = (
        select(w.team_id, *columns)
        .where(w.week_start.between(windows[0][0], windows[-1][1]), *_in_view(w.team_id, site_id))
        .group_by(w.team_id)
    )
    return {
        team: [_Pooled(*(int(n) for n in sums[i : i + 3])) for i in range(0, len(sums), 3)]
        for team, *sums in session.execute(query)
    }


def _team_labels(session: Session, teams: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    query = (
        select(Team.id, Team.name, Site.name).outerjoin(Site, Site.id == Team.site_id).where(Team.id.in_(set(teams)))
    )
    return {team: (name, site) for team, name, site in session.execute(query)}


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
    """Teams whose last 4 closed weeks' mean fell by ``drop`` or more against the 4 before, biggest fall first.

    Each window needs at least 2 visible weeks, so a quiet team never raises an
    alarm. A window's mean is over the answers of its visible weeks. Both
    windows of every team come from one grouped query over the weekly sums.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    org = settings.load(session)
    split = periods.week_start(periods.today(org.zone, now)) - timedelta(weeks=4)
    windows = [(split - timedelta(weeks=4), split - timedelta(days=1)), (split, split + timedelta(weeks=3))]
    falling: dict[int, tuple[float, float]] = {}
    for team, (previous, recent) in _visible_weeks(session, windows, org.anonymity_threshold).items():
        if previous.mean is None or recent.mean is None or min(previous.weeks, recent.weeks) < 2:
            continue
        # Compare at the means' own 2 decimals: 4.1 - 3.6 is 0.4999999999999996 in binary.
        if round(previous.mean - recent.mean, 2) >= drop:
            falling[team] = (recent.mean, previous.mean)
    labels = _team_labels(session, falling)
    found = [Alert(labels[t][0], recent, previous, labels[t][1]) for t, (recent, previous) in falling.items()]
    return sorted(found, key=lambda a: (a.change, a.team.casefold()))


@dataclass(frozen=True)
class TeamComparison:
    team: str
    participation: float
    points_per_member: float
    morale: float | None
    responses: int


def participation_vs_morale(
    session: Session, actor: Actor, start: date, end: date, now: datetime | None = None, *, site_id: int | None = None
) -> list[TeamComparison]:
    """Per team (of one site, if given): challenge participation in the period beside its mean morale.

    Managers and admins only. The mean is over the answers of the team's visible closed weeks.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    board = leaderboards.team_leaderboard(session, actor, leaderboards.Scope(start=start, end=end, site_id=site_id))
    weeks_range = _closed_weeks(session, start, end, now)
    k = settings.load(session).anonymity_threshold
    pooled = {} if weeks_range is None else _visible_weeks(session, [weeks_range], k, site_id)
    out = []
    for row in board:
        team = pooled.get(row.team_id, [_Pooled(0, 0, 0)])[0]
        out.append(TeamComparison(row.team, row.participation, row.points_per_member, team.mean, team.responses))
    return out
