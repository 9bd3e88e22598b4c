"""Real-world impact: kWh saved, trees planted and volunteer hours, converted.

Impact counts every approved quantity, of active and former colleagues alike:
it happened. (Daily caps limit points, not impact.) Conversions use the factor
in use for each kind; every factor carries its value, unit, region, year and
source, and the report shows the ones it used.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, exists, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from db.models import Challenge, ImpactFactor, ImpactMonthly, Kind, Membership, Result, ResultsMonthly, Role, Site, Team
from engagement import audit, text
from engagement.access import Actor, require
from engagement.errors import Conflict, NotFound, Problem, ValidationError

APPROVED = Result.__table__.c.status == literal_column("'approved'")
FACTOR_UNITS = {
    Kind.ENERGY: "kg CO2e per kWh",
    Kind.TREES: "kg CO2e per tree per year",
    Kind.VOLUNTEERING: "per hour",
}

# Sourced defaults, loaded by `init`. The first of each kind is put in use.
DEFAULT_FACTORS: tuple[dict[str, object], ...] = (
    {
        "kind": Kind.ENERGY,
        "value": 0.445,
        "unit": "kg CO2e per kWh",
        "region": "World",
        "year": 2024,
        "source": "IEA, Electricity 2025 - Emissions: average CO2 intensity of global electricity "
        "generation, 445 g CO2/kWh in 2024. https://www.iea.org/reports/electricity-2025/emissions",
    },
    {
        "kind": Kind.ENERGY,
        "value": 0.367,
        "unit": "kg CO2e per kWh",
        "region": "United States",
        "year": 2023,
        "source": "US EIA FAQ 'How much carbon dioxide is produced per kilowatthour of U.S. electricity "
        "generation?': 0.81 lb CO2/kWh in 2023. https://www.eia.gov/tools/faqs/faq.php?id=74&t=3",
    },
    {
        "kind": Kind.ENERGY,
        "value": 0.177,
        "unit": "kg CO2e per kWh",
        "region": "United Kingdom",
        "year": 2025,
        "source": "UK DESNZ greenhouse gas reporting conversion factors 2025, UK electricity "
        "generation: 0.17700 kg CO2e/kWh.",
    },
    {
        "kind": Kind.TREES,
        "value": 6.0,
        "unit": "kg CO2e per tree per year",
        "region": "United States",
        "year": 2024,
        "source": "US EPA Greenhouse Gas Equivalencies Calculator, Calculations and References: 0.060 t CO2 "
        "per urban tree seedling grown for 10 years (survival included), i.e. about 6 kg a year. "
        "https://www.epa.gov/energy/greenhouse-gases-equivalencies-calculator-calculations-and-references",
    },
    {
        "kind": Kind.TREES,
        "value": 10.0,
        "unit": "kg CO2e per tree per year",
        "region": "Latin America",
        "year": 2016,
        "source": "Plant-for-the-Planet, citing Poorter et al., Nature 2016: about 200 kg CO2 over a tree's "
        "first 20 years. https://plant-for-the-planet.org/",
    },
    {
        "kind": Kind.VOLUNTEERING,
        "value": 31.80,
        "unit": "USD per hour",
        "region": "United States",
        "year": 2022,
        "source": "Independent Sector and Do Good Institute, Value of Volunteer Time, 2022 data "
        "(released April 2023): $31.80 an hour. https://independentsector.org/resource/value-of-volunteer-time/",
    },
    {
        "kind": Kind.VOLUNTEERING,
        "value": 14.43,
        "unit": "GBP per hour",
        "region": "United Kingdom",
        "year": 2017,
        "source": "UK Office for National Statistics, replacement cost of formal volunteering, 2017 "
        "(as quoted by NCVO): £14.43 an hour.",
    },
)


class ImpactBy(enum.StrEnum):
    TEAM = "team"
    SITE = "site"
    COMPANY = "company"


@dataclass(frozen=True)
class Factor:
    id: int
    kind: Kind
    value: float
    unit: str
    region: str
    year: int
    source: str
    in_use: bool
    version: int


@dataclass(frozen=True)
class ImpactRow:
    group: str
    kwh_saved: float
    kg_co2e_avoided: float
    trees_planted: float
    kg_co2e_per_year: float
    volunteer_hours: float
    volunteer_value: float


@dataclass(frozen=True)
class ImpactReport:
    rows: list[ImpactRow]
    factors: dict[Kind, Factor]
    start: date | None
    end: date | None

    @property
    def currency(self) -> str:
        factor = self.factors.get(Kind.VOLUNTEERING)
        return factor.unit.split()[0] if factor else ""

    @property
    def total(self) -> ImpactRow:
        return ImpactRow(
            "Total",
            *(
                round(sum(getattr(r, name) for r in self.rows), 2)
                for name in (
                    "kwh_saved",
                    "kg_co2e_avoided",
                    "trees_planted",
                    "kg_co2e_per_year",
                    "volunteer_hours",
                    "volunteer_value",
                )
            ),
        )


def _factor(row: ImpactFactor) -> Factor:
    return Factor(row.id, row.kind, row.value, row.unit, row.region, row.year, row.source, row.in_use, row.version)


def list_factors(session: Session, actor: Actor) -> list[Factor]:
    """Every stored factor, those in use first. Anyone may read where figures come from."""
    require(actor, *Role)
    rows = session.scalars(
        select(ImpactFactor).order_by(ImpactFactor.kind, ImpactFactor.in_use.desc(), ImpactFactor.year.desc())
    )
    return [_factor(r) for r in rows]


def factors_in_use(session: Session) -> dict[Kind, Factor]:
    return {f.kind: _factor(f) for f in session.scalars(select(ImpactFactor).where(ImpactFactor.in_use))}


@dataclass(frozen=True)
class FactorInput:
    kind: Kind
    value: float
    unit: str
    region: str
    year: int
    source: str


def check_factor(data: FactorInput) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(data.value, (int, float)) or not math.isfinite(data.value) or data.value <= 0:
        problems.append(Problem("value", "must be a number greater than 0"))
    if not 1900 <= data.year <= 2100:
        problems.append(Problem("year", "must be a year such as 2024"))
    for name, limit in (("unit", 40), ("region", 60), ("source", 1000)):
        try:
            if not text.clean(getattr(data, name), name, limit):
                problems.append(Problem(name, "is required: every factor says where it comes from"))
        except text.TextProblem as e:
            problems.append(e.problem)
    return problems


def add_factor(session: Session, actor: Actor, data: FactorInput, *, use: bool = False) -> Factor:
    """Store a new sourced factor (admins only), optionally putting it in use."""
    require(actor, Role.ADMIN)
    problems = check_factor(data)
    if problems:
        raise ValidationError(problems)
    row = ImpactFactor(
        kind=data.kind,
        value=float(data.value),
        unit=text.clean(data.unit, "unit", 40),
        region=text.clean(data.region, "region", 60),
        year=data.year,
        source=text.clean(data.source, "source", 1000),
        in_use=False,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "factor.create", "factor", row.id, None, audit.snapshot(row))
    if use:
        return use_factor(session, actor, row.id)
    return _factor(row)


def use_factor(session: Session, actor: Actor, factor_id: int, *, expected_in_use: int | None = None) -> Factor:
    """Make ``factor_id`` the one in use for its kind (admins only).

    ``expected_in_use`` is the factor the admin saw in use when choosing; if
    another admin has switched it since, this choice is refused instead of
    silently replacing theirs.
    """
    require(actor, Role.ADMIN)
    row = session.get(ImpactFactor, factor_id)
    if row is None:
        raise NotFound(f"no factor with id {factor_id}")
    previous = session.scalar(select(ImpactFactor).where(ImpactFactor.kind == row.kind, ImpactFactor.in_use))
    if expected_in_use is not None and (previous.id if previous else None) != expected_in_use:
        raise Conflict(
            f"the {row.kind.value} factor in use was changed by someone else since you opened it; reload and try again"
        )
    if previous is not None and previous.id != row.id:
        previous.in_use = False
        session.flush()  # before the new one goes in use: only one per kind may be
    before = audit.snapshot(row)
    row.in_use = True
    session.flush()
    audit.record(session, actor, "factor.use", "factor", row.id, before, audit.snapshot(row))
    return _factor(row)


def seed_default_factors(session: Session, actor: Actor) -> int:
    """Load the sourced defaults once (admins only); return how many were added."""
    require(actor, Role.ADMIN)
    if session.scalar(select(func.count()).select_from(ImpactFactor)):
        return 0
    seen: set[Kind] = set()
    for values in DEFAULT_FACTORS:
        kind = values["kind"]
        assert isinstance(kind, Kind)
        add_factor(session, actor, FactorInput(**values), use=kind not in seen)  # type: ignore[arg-type]
        seen.add(kind)
    return len(DEFAULT_FACTORS)


def approved_quantities(
    session: Session, by: ImpactBy, start: date | None, end: date | None, challenge_id: int | None = None
) -> dict[str, dict[Kind, float]]:
    """Approved quantity per group and kind in ``start``..``end`` (None: open-ended), summed in SQL.

    Whole calendar months are read from the monthly rollups kept by the store
    (``impact_monthly`` per kind for every challenge, ``results_monthly`` for
    one challenge); the days of a month the period only partly covers
    are summed from ``results``. Either way it is every approved result of the
    period, credited to the team of the day.
    """
    months, partial = _read_plan(session, start, end)
    out: dict[str, dict[Kind, float]] = {}
    sources = [_from_rollup(by, *months, challenge_id)] if months is not None else []
    sources += [_from_results(by, first, last, challenge_id) for first, last in partial]
    for query in sources:
        for name, kind, quantity in session.execute(query):
            kinds = out.setdefault(name, {})
            kinds[kind] = kinds.get(kind, 0.0) + float(quantity or 0)
    return out


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (_month(day) + timedelta(days=32)).replace(day=1)


def _split_by_month(
    start: date | None, end: date | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date, date]]]:
    """The whole months in ``start``..``end`` as [first, after) month starts, and the partial ranges around them."""
    first = None if start is None else (start if start.day == 1 else _next_month(start))
    after = None if end is None else (_next_month(end) if _next_month(end) - timedelta(days=1) == end else _month(end))
    if first is not None and after is not None and first > after:
        assert start is not None and end is not None
        return None, [(start, end)]
    partial: list[tuple[date, date]] = []
    if start is not None and first is not None and start < first:
        partial.append((start, first - timedelta(days=1)))
    if end is not None and after is not None and after <= end:
        partial.append((after, end))
    return (first, after), partial


def _read_plan(
    session: Session, start: date | None, end: date | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date, date]]]:
    """:func:`_split_by_month`, reading a partial month from the rollup when its other days hold no approved result.

    A period that ends today covers the current month as far as anything can
    have happened, so "the last 12 months" or "this year" need results only
    for the part of the first month they leave out.
    """
    months, partial = _split_by_month(start, end)
    if months is None:
        first, last = partial[0]
        month = _month(first)
        before, after = (month - timedelta(days=1), first), (last, _next_month(month))
        if _month(last) == month and _nothing_approved(session, before, after):
            return (month, _next_month(month)), []
        return months, partial
    lower, upper = months
    keep: list[tuple[date, date]] = []
    for first, last in partial:
        month = _month(first)
        if upper is not None and first == upper and _nothing_approved(session, (last, _next_month(month))):
            upper = _next_month(month)
        elif (
            lower is not None
            and last == lower - timedelta(days=1)
            and _nothing_approved(session, (month - timedelta(days=1), first))
        ):
            lower = month
        else:
            keep.append((first, last))
    return (lower, upper), keep


def _nothing_approved(session: Session, *gaps: tuple[date, date]) -> bool:
    """Whether no approved result falls strictly between each (after, before) pair of days."""
    for after, before in gaps:
        if (before - after).days <= 1:
            continue
        found = session.scalar(
            select(Result.id)
            .where(APPROVED, Result.occurred_on > after, Result.occurred_on < before)
            .with_hint(Result.__table__, "INDEXED BY ix_results_ok_day", dialect_name="sqlite")
            .limit(1)
        )
        if found is not None:
            return False
    return True


def _group(by: ImpactBy):  # type: ignore[no-untyped-def]
    if by is ImpactBy.TEAM:
        return func.coalesce(Team.name, "No team")
    if by is ImpactBy.SITE:
        return func.coalesce(Site.name, "No site")
    return literal("Company")


def _grouped(by: ImpactBy, sums: Subquery):  # type: ignore[no-untyped-def]
    """Per (team, challenge) sums, named by team, site or company and summed per kind."""
    group = _group(by)
    return (
        select(group.label("grp"), Challenge.kind, func.sum(sums.c.quantity))
        .select_from(sums)
        .join(Challenge, Challenge.id == sums.c.challenge_id)
        .outerjoin(Team, Team.id == sums.c.team_id)
        .outerjoin(Site, Site.id == Team.site_id)
        .group_by(group, Challenge.kind)
    )


def _from_rollup(by: ImpactBy, first: date | None, after: date | None, challenge_id: int | None):  # type: ignore[no-untyped-def]
    if challenge_id is None:
        return _from_kind_rollup(by, first, after)
    # Grouped in the (challenge, team, month) index's own order: summed while it is read.
    query = select(
        ResultsMonthly.team_key.label("team_id"),
        ResultsMonthly.challenge_id,
        func.sum(ResultsMonthly.quantity).label("quantity"),
    ).group_by(ResultsMonthly.challenge_id, ResultsMonthly.team_key)
    if first is not None:
        query = query.where(ResultsMonthly.month >= first)
    if after is not None:
        query = query.where(ResultsMonthly.month < after)
    if challenge_id is not None:
        query = query.where(ResultsMonthly.challenge_id == challenge_id)
    return _grouped(by, query.subquery("sums"))


def _from_kind_rollup(by: ImpactBy, first: date | None, after: date | None):  # type: ignore[no-untyped-def]
    """Every challenge at once: the per-kind rollup, a fifth of the per-challenge one's rows.

    Summed per (team, kind) on integer keys first, then named: grouping every
    month's row by team name would sort them all (on disk, at 2,500 teams).
    """
    query = select(
        ImpactMonthly.team_key.label("team_id"), ImpactMonthly.kind, func.sum(ImpactMonthly.quantity).label("quantity")
    ).group_by(ImpactMonthly.team_key, ImpactMonthly.kind)
    if first is not None:
        query = query.where(ImpactMonthly.month >= first)
    if after is not None:
        query = query.where(ImpactMonthly.month < after)
    sums = query.subquery("sums")
    group = _group(by)
    return (
        select(group.label("grp"), sums.c.kind, func.sum(sums.c.quantity))
        .select_from(sums)
        .outerjoin(Team, Team.id == sums.c.team_id)
        .outerjoin(Site, Site.id == Team.site_id)
        .group_by(group, sums.c.kind)
    )


def _from_results(by: ImpactBy, first: date, last: date, challenge_id: int | None):  # type: ignore[no-untyped-def]
    query = (
        select(Result.team_id, Result.challenge_id, func.sum(Result.quantity).label("quantity"))
        .where(APPROVED, Result.occurred_on >= first, Result.occurred_on <= last)
        .group_by(Result.team_id, Result.challenge_id)
        .with_hint(Result.__table__, "INDEXED BY ix_results_ok_day", dialect_name="sqlite")
    )
    if challenge_id is not None:
        query = query.where(Result.challenge_id == challenge_id)
    return _grouped(by, query.subquery("sums"))


def impact_report(
    session: Session, actor: Actor, by: ImpactBy, start: date | None = None, end: date | None = None
) -> ImpactReport:
    """Impact by team, site or company over a period (managers and admins)."""
    require(actor, Role.MANAGER, Role.ADMIN)
    factors = factors_in_use(session)
    quantities = approved_quantities(session, by, start, end)
    rows = [_convert(name, q, factors) for name, q in sorted(quantities.items(), key=lambda kv: kv[0].casefold())]
    return ImpactReport(rows, factors, start, end)


def _convert(group: str, quantities: dict[Kind, float], factors: dict[Kind, Factor]) -> ImpactRow:
    def converted(kind: Kind) -> float:
        factor = factors.get(kind)
        return round(quantities.get(kind, 0.0) * factor.value, 2) if factor else 0.0

    return ImpactRow(
        group=group,
        kwh_saved=round(quantities.get(Kind.ENERGY, 0.0), 2),
        kg_co2e_avoided=converted(Kind.ENERGY),
        trees_planted=round(quantities.get(Kind.TREES, 0.0), 2),
        kg_co2e_per_year=converted(Kind.TREES),
        volunteer_hours=round(quantities.get(Kind.VOLUNTEERING, 0.0), 2),
        volunteer_value=converted(Kind.VOLUNTEERING),
    )


def challenge_impact(session: Session, actor: Actor, challenge_id: int) -> ImpactRow:
    """What one challenge has achieved so far, company-wide. Everyone may read it."""
    require(actor, *Role)
    quantities = approved_quantities(session, ImpactBy.COMPANY, None, None, challenge_id)
    return _convert("Company", quantities.get("Company", {}), factors_in_use(session))


@dataclass(frozen=True)
class TeamAmount:
    """One active team's approved quantity in a challenge, and its rank (equal amounts share a rank)."""

    team_id: int
    team: str
    amount: float
    rank: int


@dataclass(frozen=True)
class TargetStanding:
    """How the active teams stand against a challenge's team target.

    ``top`` holds the leading teams only (most first, then by name), and
    ``mine`` the asking team wherever it stands, so what is drawn stays the
    same size however many teams there are.
    """

    target: float
    teams: int
    reached: int
    top: list[TeamAmount]
    mine: TeamAmount | None


def target_standing(
    session: Session, actor: Actor, challenge_id: int, team_id: int | None, top: int = 10
) -> TargetStanding | None:
    """The leading ``top`` teams, team ``team_id`` and how many teams reached the team target.

    Approved quantities of active teams that existed during the challenge
    (someone was on their roster on one of its days: a team formed after it
    ended is not ranked in it), from the monthly rollup, ranked and counted in
    SQL: at most ``top`` + 1 rows come back. None for a challenge without a
    team target. Everyone may read it.
    """
    require(actor, *Role)
    challenge = session.execute(
        select(Challenge.team_target, Challenge.starts_on, Challenge.ends_on).where(Challenge.id == challenge_id)
    ).one_or_none()
    if challenge is None or challenge.team_target is None:
        return None
    target = challenge.team_target
    existed = exists().where(
        Membership.team_id == Team.id,
        Membership.valid_from <= challenge.ends_on,
        or_(Membership.valid_to.is_(None), Membership.valid_to > challenge.starts_on),
    )
    per_team = (
        select(ResultsMonthly.team_key, func.sum(ResultsMonthly.quantity).label("amount"))
        .where(ResultsMonthly.challenge_id == challenge_id)
        .group_by(ResultsMonthly.team_key)
        .subquery("per_team")
    )
    amount = func.coalesce(per_team.c.amount, 0.0)
    board = (
        select(
            Team.id,
            Team.name,
            amount.label("amount"),
            func.row_number().over(order_by=(amount.desc(), Team.name, Team.id)).label("position"),
            func.rank().over(order_by=amount.desc()).label("rank"),
            func.count().over().label("teams"),
            func.sum(case((amount >= target, 1), else_=0)).over().label("reached"),
        )
        .outerjoin(per_team, per_team.c.team_key == Team.id)
        .where(Team.active, existed)
        .subquery("board")
    )
    rows = session.execute(
        select(board).where(or_(board.c.position <= top, board.c.id == team_id)).order_by(board.c.position)
    ).all()
    ranked = [TeamAmount(r.id, r.name, float(r.amount), int(r.rank)) for r in rows]
    return TargetStanding(
        target=float(target),
        teams=int(rows[0].teams) if rows else 0,
        reached=int(rows[0].reached) if rows else 0,
        top=[t for t, r in zip(ranked, rows, strict=True) if r.position <= top],
        mine=next((t for t in ranked if t.team_id == team_id), None),
    )


def team_totals(session: Session, actor: Actor, team_id: int, challenge_ids: Sequence[int]) -> dict[int, float]:
    """One team's approved quantity in each of these challenges (its progress towards a team target).

    The same figures as :func:`target_standing` gives for that team, for many
    challenges at once; everyone may read them.
    """
    require(actor, *Role)
    if not challenge_ids:
        return {}
    rows = session.execute(
        select(ResultsMonthly.challenge_id, func.sum(ResultsMonthly.quantity))
        .where(ResultsMonthly.team_key == team_id, ResultsMonthly.challenge_id.in_(list(challenge_ids)))
        .group_by(ResultsMonthly.challenge_id)
    )
    return {challenge_id: float(total) for challenge_id, total in rows}


def volunteering_totals(
    breakdown: Sequence[tuple[str, str, float]],
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Hours by activity type and by organisation, from ``results.volunteering_breakdown`` rows.

    Both lists are summed from the one breakdown, so the chart, the two
    totals and the detailed table always agree. Most hours first, then by name.
    """
    by_activity: dict[str, float] = {}
    by_organisation: dict[str, float] = {}
    for activity, organisation, hours in breakdown:
        by_activity[activity] = by_activity.get(activity, 0.0) + hours
        by_organisation[organisation] = by_organisation.get(organisation, 0.0) + hours

    def ordered(totals: dict[str, float]) -> list[tuple[str, float]]:
        return sorted(((k, round(v, 2)) for k, v in totals.items()), key=lambda kv: (-kv[1], kv[0].casefold()))

    return ordered(by_activity), ordered(by_organisation)
