"""Morale from the weekly pulse, in groups big enough to keep people anonymous.

For each ISO week (its Monday) and group (team, site or the whole company):
response count, mean score (1-5) and eNPS (% promoters 9-10 minus % detractors
0-6). Privacy rules, applied when a week is settled:

- a group with fewer answers than the threshold (default 5, never below 3) is
  suppressed: no score, no eNPS, and no response count;
- a site or company figure is withheld too when the answers it holds beyond
  its visible parts number 1 to threshold-1, since subtracting the visible
  teams from it would reveal a small group;
- the same rules apply separately to eNPS, which some answers leave out;
- visibility is decided on the whole organisation, so no filter, period or
  grouping shows a different set of groups;
- derived figures (alerts, period means) use visible weeks only.

A week is settled once, when it closes (:mod:`engagement.publication`), under
that moment's threshold and sites, and its cells are stored; every view here
reads those stored cells and nothing else, so no later change of threshold,
site, team, membership or time zone can make two views of one week differ.
The open week is never shown (no live count to watch). Names are today's
(a renamed team keeps its figures); everything else is as it was settled.
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from db.models import Membership, MoraleCell, Person, PulseWeekly, Role, Site, Team
from engagement import alert_rules, leaderboards, periods
from engagement.access import Actor, require
from engagement.alert_rules import Alert

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
    score_sum: int | None = None
    site_id: int | None = None

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
    site: tuple[int | None, str | None],
    sums: _Sums,
    score_ok: bool,
    enps_ok: bool,
    invited: int | None,
    k: int,
) -> Cell:
    site_id, site_name = site
    if not score_ok:
        reason = TOO_FEW if sums.responses < k else BY_SUBTRACTION
        return Cell(monday, group, group_id, site_name, None, None, None, True, None, reason, site_id=site_id)
    avg = round(sums.score_sum / sums.responses, 2)
    enps = round(100 * (sums.promoters - sums.detractors) / sums.enps_answers, 1) if enps_ok else None
    return Cell(
        monday, group, group_id, site_name, sums.responses, avg, enps, False, invited, None, sums.score_sum, site_id
    )


# -- settling a closed week: the whole organisation as it is when the week closes ----------


def _team_weeks(session: Session, first: date, last: date) -> dict[date, dict[int, _Sums]]:
    """The weekly rollup's sums per week and team."""
    w = PulseWeekly
    query = select(w.week_start, w.team_id, w.responses, w.score_sum, w.enps_answers, w.promoters, w.detractors)
    weeks: dict[date, dict[int, _Sums]] = defaultdict(dict)
    for week, team, *sums in session.execute(query.where(w.week_start.between(first, last))):
        weeks[week][team] = _Sums(*sums)
    return weeks


def _site_weeks(session: Session, first: date, last: date, k: int) -> dict[date, dict[int | None, _Site]]:
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
    weeks: dict[date, dict[int | None, _Site]] = defaultdict(dict)
    for week, site, *sums, shown_responses, shown_enps in session.execute(query):
        weeks[week][site] = _Site(_Sums(*(int(n) for n in sums)), int(shown_responses), int(shown_enps))
    return weeks


def _has_members() -> ColumnElement[bool]:
    """A team has an active member: one probe of the people index per team, not a pass over everyone."""
    return exists().where(Person.team_id == Team.id, Person.active)


def _rosters(session: Session, mondays: list[date], key: QueryableAttribute[Any]) -> dict[date, dict[int | None, int]]:
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
        .where(Person.active, m.valid_from <= last, or_(m.valid_to.is_(None), m.valid_to > first))
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


def _team_cells(session: Session, mondays: list[date], k: int, site_names: dict[int, str]) -> Iterator[Cell]:
    """Every team that had answers or has members, each week; a team shows on its own answers alone."""
    teams = {t: (name, site) for t, name, site in session.execute(select(Team.id, Team.name, Team.site_id))}
    weeks = _team_weeks(session, mondays[0], mondays[-1])
    rosters = _rosters(session, mondays, Membership.team_id)
    active = set(session.scalars(select(Team.id).where(_has_members())))
    for monday in mondays:
        week = weeks.get(monday, {})
        for team in sorted(set(week) | active):
            sums, (name, site) = week.get(team, _Sums()), teams[team]
            score_ok, enps_ok = sums.responses >= k, sums.enps_answers >= k
            located = (site, site_names.get(site) if site else None)
            yield _cell(monday, name, team, located, sums, score_ok, enps_ok, rosters[monday].get(team), k)


def _site_cells(
    session: Session,
    mondays: list[date],
    k: int,
    site_names: dict[int, str],
    weeks: dict[date, dict[int | None, _Site]],
) -> Iterator[Cell]:
    """Every site with answers or members, each week; a site shows on its own figures alone."""
    rosters = _rosters(session, mondays, Team.site_id)
    active = set(session.scalars(select(Team.site_id).where(_has_members()).distinct()))
    for monday in mondays:
        week = weeks.get(monday, {})
        for site, name in site_names.items():
            if site not in week and site not in active:
                continue
            group = week.get(site, _Site())
            score_ok = _site_shows(group.sums.responses, group.shown, k)
            enps_ok = _site_shows(group.sums.enps_answers, group.shown_enps, k)
            located = (site, name)
            yield _cell(monday, name, site, located, group.sums, score_ok, enps_ok, rosters[monday].get(site, 0), k)


def _company_cells(
    session: Session, mondays: list[date], k: int, weeks: dict[date, dict[int | None, _Site]]
) -> Iterator[Cell]:
    """The whole company, each week: shown unless its shown sites and teams leave a small group."""
    rosters = _rosters(session, mondays, Team.site_id)
    for monday in mondays:
        sites, total = weeks.get(monday, {}), _Sums()
        for group in sites.values():
            total.add(group.sums)
        score_ok = _company_shows({s: (g.sums.responses, g.shown) for s, g in sites.items()}, k)
        enps_ok = _company_shows({s: (g.sums.enps_answers, g.shown_enps) for s, g in sites.items()}, k)
        invited = sum(rosters[monday].values())
        yield _cell(monday, COMPANY, None, (None, None), total, score_ok, enps_ok, invited, k)


def settle(session: Session, mondays: list[date], k: int) -> dict[GroupBy, list[Cell]]:
    """Every group's cell for each of ``mondays`` under threshold ``k``: what closing those weeks publishes."""
    first, last = min(mondays), max(mondays)
    span = periods.weeks_between(first, last)
    wanted = set(mondays)
    site_names = dict(session.execute(select(Site.id, Site.name)).all())
    sites = _site_weeks(session, first, last, k)
    cells = {
        GroupBy.TEAM: _team_cells(session, span, k, site_names),
        GroupBy.SITE: _site_cells(session, span, k, site_names, sites),
        GroupBy.COMPANY: _company_cells(session, span, k, sites),
    }
    return {by: [c for c in found if c.week in wanted] for by, found in cells.items()}


# -- reading what closed weeks published ----------------------------------------------


def _published(by: GroupBy, first: date, last: date, *where: ColumnElement[bool]) -> Any:
    """The stored cells of one grouping in ``first``..``last`` (Mondays), with today's names of their groups."""
    c, group_site, cell_site = MoraleCell, aliased(Site), aliased(Site)
    query = select(c).where(c.grouping == by.value, c.week_start.between(first, last), *where)
    if by is GroupBy.TEAM:
        team = aliased(Team)
        query = query.outerjoin(team, team.id == c.group_id).add_columns(func.coalesce(team.name, c.name))
    elif by is GroupBy.SITE:
        query = query.outerjoin(group_site, group_site.id == c.group_id).add_columns(
            func.coalesce(group_site.name, c.name)
        )
    else:
        query = query.add_columns(c.name)
    return query.outerjoin(cell_site, cell_site.id == c.site_id).add_columns(func.coalesce(cell_site.name, c.site_name))


def _cells(session: Session, by: GroupBy, start: date, end: date, *where: ColumnElement[bool]) -> list[Cell]:
    out = []
    for row, name, site in session.execute(_published(by, periods.week_start(start), periods.week_start(end), *where)):
        group_id = None if by is GroupBy.COMPANY else row.group_id
        out.append(
            Cell(
                row.week_start,
                name,
                group_id,
                site,
                row.responses,
                row.avg_score,
                row.enps,
                row.reason is not None,
                row.invited,
                row.reason,
                row.score_sum,
                row.site_id,
            )
        )
    return sorted(out, key=lambda cell: (cell.week, cell.group.casefold()))


def weekly_morale(
    session: Session, actor: Actor, by: GroupBy, start: date, end: date, *, site_id: int | None = None
) -> list[Cell]:
    """Cells of every closed week in ``start``..``end``, by team, site or company, as they were published.

    Managers and admins only. ``site_id`` narrows the output to the teams that
    were in that site when each week closed (or to that site); it never changes
    which groups are visible. The company has no cell within one site.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    if by is GroupBy.COMPANY and site_id is not None:
        return []
    where: list[ColumnElement[bool]] = []
    if site_id is not None:
        where.append((MoraleCell.site_id if by is GroupBy.TEAM else MoraleCell.group_id) == site_id)
    return _cells(session, by, start, end, *where)


def team_trend(session: Session, actor: Actor, team_id: int, start: date, end: date) -> list[Cell]:
    """One team's cells of every closed week in ``start``..``end``, exactly as :func:`weekly_morale` shows them.

    Managers and admins only. Reads that team's stored cells alone, so it costs
    the same in an organisation of fifty people or fifty thousand.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    return _cells(session, GroupBy.TEAM, start, end, MoraleCell.group_id == team_id)


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
class _Pooled:
    """A team's visible weeks in one window: their answers' score sum, answers and how many weeks."""

    score_sum: int
    responses: int
    weeks: int

    @property
    def mean(self) -> float | None:
        return round(self.score_sum / self.responses, 2) if self.responses else None


def _shown_weeks(
    session: Session, windows: list[tuple[date, date]], *where: ColumnElement[bool]
) -> dict[int, list[_Pooled]]:
    """Per team, its shown closed weeks pooled in each window (Mondays ``first``..``last``), in one grouped query.

    Only published figures go in, so a pooled mean reveals nothing the cells did not.
    """
    c = MoraleCell
    columns: list[ColumnElement[int]] = []
    for first, last in windows:
        inside = c.week_start.between(first, last)
        columns += [func.sum(case((inside, c.score_sum), else_=0)), func.sum(case((inside, c.responses), else_=0))]
        columns.append(func.count(case((inside, 1))))
    query = (
        select(c.group_id, *columns)
        .where(
            c.grouping == GroupBy.TEAM.value,
            c.reason.is_(None),
            c.week_start.between(windows[0][0], windows[-1][1]),
            *where,
        )
        .group_by(c.group_id)
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
    """Mean score over visible cells, weighted by their responses, and those responses.

    Exact from the cells' score sums; a cell built without one counts by its rounded mean.
    """
    visible = [c for c in cells if not c.suppressed and c.responses and c.avg_score is not None]
    n = sum(c.responses or 0 for c in visible)
    if not n:
        return None, 0
    total = sum(c.score_sum if c.score_sum is not None else (c.avg_score or 0) * (c.responses or 0) for c in visible)
    return round(total / n, 2), n


def pooled_response_rate(cells: Iterable[Cell]) -> tuple[float | None, int, int]:
    """Share of invited people who answered, over visible cells only: (rate, responses, invited)."""
    visible = [c for c in cells if not c.suppressed and c.responses and c.invited]
    responses = sum(c.responses or 0 for c in visible)
    invited = sum(c.invited or 0 for c in visible)
    if not invited:
        return None, 0, 0
    return round(min(responses / invited, 1.0), 4), responses, invited


def alerts(session: Session, actor: Actor) -> list[Alert]:
    """Teams whose published morale fell by one of :mod:`engagement.alert_rules`' rules, sharpest first.

    Managers and admins only. Reads the shown team cells of the last
    :data:`~engagement.alert_rules.SLIDE_WEEKS` closed weeks (at most that many
    rows a team) and nothing else, so an alert reveals nothing a hidden cell hides.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    latest = session.scalar(select(func.max(MoraleCell.week_start)))
    if latest is None:
        return []
    c = MoraleCell
    query = (
        select(c.group_id, c.week_start, c.avg_score, c.enps)
        .where(
            c.grouping == GroupBy.TEAM.value,
            c.reason.is_(None),
            c.week_start.between(latest - timedelta(weeks=alert_rules.SLIDE_WEEKS - 1), latest),
        )
        .order_by(c.group_id, c.week_start)
    )
    weeks: dict[int, list[alert_rules.Week]] = defaultdict(list)
    for team, week, mean, enps in session.execute(query):
        if mean is not None:  # every shown cell has its mean
            weeks[team].append(alert_rules.Week(week, mean, enps))
    fired = {team: found for team, shown in weeks.items() if (found := alert_rules.findings(shown, latest))}
    labels = _team_labels(session, fired)
    # A team with answers cannot be deleted (pulse_weekly refers to it), so every label is there.
    raised = [Alert(labels[t][0], labels[t][1], findings) for t, findings in fired.items()]
    return sorted(raised, key=lambda a: (*alert_rules.severity(a), a.team.casefold()))


@dataclass(frozen=True)
class TeamComparison:
    team: str
    participation: float
    points_per_member: float
    morale: float | None
    responses: int


def participation_vs_morale(
    session: Session, actor: Actor, start: date, end: date, *, site_id: int | None = None
) -> list[TeamComparison]:
    """Per team (of one site, if given): challenge participation in the period beside its mean morale.

    Managers and admins only. The mean is over the answers of the team's shown closed weeks.
    """
    require(actor, Role.MANAGER, Role.ADMIN)
    board = leaderboards.team_leaderboard(session, actor, leaderboards.Scope(start=start, end=end, site_id=site_id))
    where = [] if site_id is None else [MoraleCell.group_id.in_(select(Team.id).where(Team.site_id == site_id))]
    pooled = _shown_weeks(session, [(periods.week_start(start), periods.week_start(end))], *where)
    out = []
    for row in board:
        team = pooled.get(row.team_id, [_Pooled(0, 0, 0)])[0]
        out.append(TeamComparison(row.team, row.participation, row.points_per_member, team.mean, team.responses))
    return out
