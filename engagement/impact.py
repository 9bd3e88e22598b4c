"""Real-world impact: kWh saved, trees planted and volunteer hours, converted.

Impact counts every approved quantity, of active and former colleagues alike:
it happened. (Daily caps limit points, not impact.) A factor converts a kind
from a month on (its period), for the sites of one region or as the default
for every other site; a later period takes over from its first day, so months
before it keep the factor they had and a past report stays what it was.

Figures are exact: each rollup row's quantity becomes a whole number of small
units (a millionth of a kWh or tree, a millisecond) in SQL, they are summed per
group and factor period in SQL, and converted with fractions, so a team, site
or company view of the same period gives the same total to the last digit.
Rounding happens once, where a figure is shown (``engagement.amounts.rounded``).
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, exists, func, literal, literal_column, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import CTE, Select, Subquery

from db.models import (
    Challenge,
    ImpactFactor,
    ImpactFactorPeriod,
    ImpactMonthly,
    Kind,
    Membership,
    Result,
    ResultsMonthly,
    Role,
    Site,
    Team,
)
from engagement import audit, text
from engagement.access import Actor, require
from engagement.errors import Conflict, NotFound, Problem, ValidationError

APPROVED = Result.__table__.c.status == literal_column("'approved'")
FACTOR_UNITS = {
    Kind.ENERGY: "kg CO2e per kWh",
    Kind.TREES: "kg CO2e per tree per year",
    Kind.VOLUNTEERING: "per hour",
}
# A volunteering factor's unit: a currency code, then "per hour" ("USD per hour").
MONEY_UNIT = re.compile(r"^([A-Z]{3}) per hour$")
# The first period of a factor loaded by `init` (or carried over by migration 0010): every past day.
BEGINNING = date(1900, 1, 1)
DEFAULT_REGION = ""  # a period for every site without one of its own region
# Whole units summed in SQL: a millionth of a kWh or a tree, a millisecond of volunteering.
SCALE = {Kind.ENERGY: 1_000_000, Kind.TREES: 1_000_000, Kind.VOLUNTEERING: 3_600_000}

# Sourced defaults, loaded by `init`; the first of each kind is the default from the beginning.
DEFAULT_FACTORS: tuple[dict[str, object], ...] = (
    {
        "kind": Kind.ENERGY,
        "name": "IEA world average grid 2024",
        "value": 0.445,
        "unit": "kg CO2e per kWh",
        "region": "World",
        "year": 2024,
        "source": "IEA, Electricity 2025 - Emissions: average CO2 intensity of global electricity "
        "generation, 445 g CO2/kWh in 2024. https://www.iea.org/reports/electricity-2025/emissions",
    },
    {
        "kind": Kind.ENERGY,
        "name": "US EIA average grid 2023",
        "value": 0.367,
        "unit": "kg CO2e per kWh",
        "region": "United States",
        "year": 2023,
        "source": "US EIA FAQ 'How much carbon dioxide is produced per kilowatthour of U.S. electricity "
        "generation?': 0.81 lb CO2/kWh in 2023. https://www.eia.gov/tools/faqs/faq.php?id=74&t=3",
    },
    {
        "kind": Kind.ENERGY,
        "name": "UK DESNZ grid 2025",
        "value": 0.177,
        "unit": "kg CO2e per kWh",
        "region": "United Kingdom",
        "year": 2025,
        "source": "UK DESNZ greenhouse gas reporting conversion factors 2025, UK electricity "
        "generation: 0.17700 kg CO2e/kWh.",
    },
    {
        "kind": Kind.TREES,
        "name": "US EPA urban tree seedling",
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
        "name": "Plant-for-the-Planet tree",
        "value": 10.0,
        "unit": "kg CO2e per tree per year",
        "region": "Latin America",
        "year": 2016,
        "source": "Plant-for-the-Planet, citing Poorter et al., Nature 2016: about 200 kg CO2 over a tree's "
        "first 20 years. https://plant-for-the-planet.org/",
    },
    {
        "kind": Kind.VOLUNTEERING,
        "name": "Independent Sector value of volunteer time 2022",
        "value": 31.80,
        "unit": "USD per hour",
        "region": "United States",
        "year": 2022,
        "source": "Independent Sector and Do Good Institute, Value of Volunteer Time, 2022 data "
        "(released April 2023): $31.80 an hour. https://independentsector.org/resource/value-of-volunteer-time/",
    },
    {
        "kind": Kind.VOLUNTEERING,
        "name": "UK ONS volunteering replacement cost 2017",
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
    name: str
    value: float
    unit: str
    region: str
    year: int
    source: str
    version: int

    @property
    def exact(self) -> Fraction:
        """The value as typed (0.445 is 89/200, not the nearest binary float)."""
        return Fraction(repr(self.value))

    @property
    def label(self) -> str:
        return f"{self.name}: {self.value:g} {self.unit} ({self.region}, {self.year})"


@dataclass(frozen=True)
class FactorUse:
    """One period: ``factor`` converts ``kind`` for ``region``'s sites ("" = the default) from ``valid_from``.

    ``valid_to`` is the first day of the next period of the same kind and
    region (exclusive), None while it is the latest.
    """

    id: int
    kind: Kind
    region: str
    valid_from: date
    valid_to: date | None
    factor: Factor

    @property
    def applies_to(self) -> str:
        return f"Sites in {self.region}" if self.region else "Every site without a factor of its own region"

    @property
    def since(self) -> str:
        return "the start" if self.valid_from == BEGINNING else self.valid_from.isoformat()

    @property
    def until(self) -> str:
        """The last day the period covers, or "" while it runs on."""
        return "" if self.valid_to is None else (self.valid_to - timedelta(days=1)).isoformat()

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


ZERO = Fraction(0)


@dataclass(frozen=True)
class ImpactRow:
    """One group's exact figures (fractions: round them only to show them) and the factor periods they used."""

    group: str
    kwh_saved: Fraction = ZERO
    kg_co2e_avoided: Fraction = ZERO
    trees_planted: Fraction = ZERO
    kg_co2e_per_year: Fraction = ZERO
    volunteer_hours: Fraction = ZERO
    volunteer_value: Fraction = ZERO
    uses: tuple[int, ...] = field(default=())


FIGURES = (
    "kwh_saved",
    "kg_co2e_avoided",
    "trees_planted",
    "kg_co2e_per_year",
    "volunteer_hours",
    "volunteer_value",
)
# (quantity field, converted field) per kind.
FIELDS = {
    Kind.ENERGY: ("kwh_saved", "kg_co2e_avoided"),
    Kind.TREES: ("trees_planted", "kg_co2e_per_year"),
    Kind.VOLUNTEERING: ("volunteer_hours", "volunteer_value"),
}


@dataclass(frozen=True)
class ImpactReport:
    rows: list[ImpactRow]
    uses: dict[int, FactorUse]
    start: date | None
    end: date | None

    @property
    def currency(self) -> str:
        """The currency of the volunteering factors used (they share one: :func:`use_factor` sees to it)."""
        units = [u.factor.unit for u in self.uses.values() if u.kind is Kind.VOLUNTEERING]
        return units[0].split()[0] if units else ""

    @property
    def total(self) -> ImpactRow:
        """The exact sum of the rows: the same whichever way the period was grouped."""
        return ImpactRow(
            "Total",
            **{name: sum((getattr(r, name) for r in self.rows), ZERO) for name in FIGURES},
            uses=tuple(sorted({u for r in self.rows for u in r.uses})),
        )

    def used(self, row: ImpactRow) -> list[FactorUse]:
        return [self.uses[u] for u in row.uses]


def _factor(row: ImpactFactor) -> Factor:
    return Factor(row.id, row.kind, row.name, row.value, row.unit, row.region, row.year, row.source, row.version)


def list_factors(session: Session, actor: Actor) -> list[Factor]:
    """Every stored factor, by kind and name. Anyone may read where figures come from."""
    require(actor, *Role)
    rows = session.scalars(select(ImpactFactor).order_by(ImpactFactor.kind, ImpactFactor.name, ImpactFactor.id))
    return [_factor(r) for r in rows]


def factor_uses(session: Session, actor: Actor) -> list[FactorUse]:
    """Every factor period with its end, by kind, region (default first) and start. Anyone may read them."""
    require(actor, *Role)
    return list(_uses(session).values())


def _uses(session: Session) -> dict[int, FactorUse]:
    rows = session.execute(
        select(ImpactFactorPeriod, ImpactFactor)
        .join(ImpactFactor, ImpactFactor.id == ImpactFactorPeriod.factor_id)
        .order_by(ImpactFactorPeriod.kind, ImpactFactorPeriod.region, ImpactFactorPeriod.valid_from)
    ).all()
    out: dict[int, FactorUse] = {}
    for i, (period, factor) in enumerate(rows):
        following = rows[i + 1][0] if i + 1 < len(rows) else None
        same = following is not None and (following.kind, following.region) == (period.kind, period.region)
        valid_to = following.valid_from if same and following is not None else None
        out[period.id] = FactorUse(period.id, period.kind, period.region, period.valid_from, valid_to, _factor(factor))
    return out


def applying(uses: Iterable[FactorUse], kind: Kind, region: str | None, day: date) -> FactorUse | None:
    """The period converting ``kind`` on ``day`` for a site of ``region``: its region's own, else the default."""
    candidates = [u for u in uses if u.kind is kind and u.covers(day)]
    own = next((u for u in candidates if region and u.region == region), None)
    return own or next((u for u in candidates if u.region == DEFAULT_REGION), None)


def factors_in_use(session: Session, on: date) -> dict[Kind, Factor]:
    """Each kind's default factor on ``on`` (what a site without a region of its own is converted with)."""
    uses = _uses(session).values()
    found = {kind: applying(uses, kind, None, on) for kind in Kind}
    return {kind: use.factor for kind, use in found.items() if use is not None}


@dataclass(frozen=True)
class FactorInput:
    kind: Kind
    name: str
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
    for name, limit in (("name", 100), ("unit", 40), ("region", 60), ("source", 1000)):
        try:
            if not text.clean(getattr(data, name), name, limit):
                problems.append(Problem(name, "is required: every factor says where it comes from"))
        except text.TextProblem as e:
            problems.append(e.problem)
    unit = data.unit.strip() if isinstance(data.unit, str) else ""
    if unit and data.kind is Kind.VOLUNTEERING and not MONEY_UNIT.match(unit):
        problems.append(Problem("unit", "must be a currency code and 'per hour', such as 'USD per hour'"))
    elif unit and data.kind is not Kind.VOLUNTEERING and unit != FACTOR_UNITS[data.kind]:
        problems.append(Problem("unit", f"must be '{FACTOR_UNITS[data.kind]}': the report adds them up"))
    return problems


def add_factor(session: Session, actor: Actor, data: FactorInput) -> Factor:
    """Store a new sourced factor (admins only); :func:`use_factor` puts it in use from a month on."""
    require(actor, Role.ADMIN)
    problems = check_factor(data)
    if problems:
        raise ValidationError(problems)
    row = ImpactFactor(
        kind=data.kind,
        name=text.clean(data.name, "name", 100),
        value=float(data.value),
        unit=text.clean(data.unit, "unit", 40),
        region=text.clean(data.region, "region", 60),
        year=data.year,
        source=text.clean(data.source, "source", 1000),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "factor.create", "factor", row.id, None, audit.snapshot(row))
    return _factor(row)


def use_factor(
    session: Session,
    actor: Actor,
    factor_id: int,
    start: date,
    *,
    today: date,
    regional: bool = False,
    restate: bool = False,
    expected_in_use: int | None = None,
) -> FactorUse:
    """Convert the factor's kind with it from ``start`` on (admins only), for its region's sites or by default.

    ``start`` is the first day of a month; it lasts until the next period of
    the same kind and region. Months before ``today``'s are restated only with
    ``restate``: by default a change never rewrites what reports have shown.
    ``expected_in_use`` is the factor the admin saw applying on ``start`` (0:
    none); if another admin has changed it since, the choice is refused
    instead of silently replacing theirs.
    """
    require(actor, Role.ADMIN)
    row = session.get(ImpactFactor, factor_id)
    if row is None:
        raise NotFound(f"no factor with id {factor_id}")
    if start.day != 1:
        raise ValidationError.single("valid_from", "must be the first day of a month: reports add up whole months")
    if start < today.replace(day=1) and not restate:
        raise ValidationError.single(
            "valid_from",
            f"{start.isoformat()} is before this month: it would change figures already reported; "
            "choose this month or later, or restate the past on purpose",
        )
    region = row.region if regional else DEFAULT_REGION
    uses = _uses(session)
    current = next((u for u in uses.values() if u.kind is row.kind and u.region == region and u.covers(start)), None)
    if expected_in_use is not None and (current.factor.id if current else 0) != expected_in_use:
        raise Conflict(
            f"the {row.kind.value} factor in use from {start.isoformat()} was changed by someone else since you "
            "opened it; reload and try again"
        )
    replaced = next((u for u in uses.values() if (u.kind, u.region, u.valid_from) == (row.kind, region, start)), None)
    _same_currency(row, [u for u in uses.values() if u.kind is row.kind and u is not replaced])
    if current is not None and current.factor.id == row.id:
        return current  # already converting from then: nothing changes
    period = _claim(session, row, region, start, replaced)
    before = None if replaced is None else {"factor_id": replaced.factor.id}
    audit.record(session, actor, "factor.use", "factor_period", period.id, before, audit.snapshot(period))
    return _uses(session)[period.id]


def _claim(
    session: Session, factor: ImpactFactor, region: str, start: date, replaced: FactorUse | None
) -> ImpactFactorPeriod:
    """Write the period, refusing (Conflict) if another admin wrote the same one since it was read.

    A new period is inserted in a savepoint (two admins adding the same month
    meet the unique constraint); a replaced one changes only if it still holds
    the factor read, so neither save silently undoes the other.
    """
    conflict = Conflict(
        f"the {factor.kind.value} factor from {start.isoformat()} was changed by someone else; reload and try again"
    )
    if replaced is None:
        period = ImpactFactorPeriod(kind=factor.kind, region=region, valid_from=start, factor_id=factor.id)
        try:
            with session.begin_nested():
                session.add(period)
        except IntegrityError:
            raise conflict from None
        return period
    changed = session.execute(
        update(ImpactFactorPeriod)
        .where(ImpactFactorPeriod.id == replaced.id, ImpactFactorPeriod.factor_id == replaced.factor.id)
        .values(factor_id=factor.id)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict
    found = session.get(ImpactFactorPeriod, replaced.id, populate_existing=True)
    assert found is not None
    return found


def _same_currency(factor: ImpactFactor, others: Sequence[FactorUse]) -> None:
    """Volunteer values of every site are added up, so every volunteering factor in use has one currency."""
    if factor.kind is not Kind.VOLUNTEERING:
        return
    currency = factor.unit.split()[0]
    elsewhere = {u.factor.unit.split()[0] for u in others}
    if elsewhere and elsewhere != {currency}:
        theirs = ", ".join(sorted(elsewhere))
        raise ValidationError.single(
            "unit", f"volunteering factors in use are in {theirs}; the report adds values up, so use one in {theirs}"
        )


@dataclass(frozen=True)
class SiteRegion:
    id: int
    name: str
    region: str | None


def site_regions(session: Session, actor: Actor) -> list[SiteRegion]:
    """Every site and the region its factors come from (admins only)."""
    require(actor, Role.ADMIN)
    rows = session.execute(select(Site.id, Site.name, Site.region).order_by(Site.name))
    return [SiteRegion(*r) for r in rows]


def set_site_region(session: Session, actor: Actor, site_id: int, region: str | None) -> SiteRegion:
    """Say which region a site is in (admins only): its results are converted with that region's periods.

    Empty means none: the site is converted with the default factors. Audited.
    """
    require(actor, Role.ADMIN)
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(f"no site with id {site_id}")
    try:
        cleaned = text.clean(region or "", "region", 60) or None
    except text.TextProblem as e:
        raise ValidationError([e.problem]) from None
    if cleaned != site.region:
        before = audit.snapshot(site)
        site.region = cleaned
        session.flush()
        audit.record(session, actor, "site.region", "site", site.id, before, audit.snapshot(site))
    return SiteRegion(site.id, site.name, site.region)


def seed_default_factors(session: Session, actor: Actor) -> int:
    """Load the sourced defaults once (admins only), the first of each kind the default from the start."""
    require(actor, Role.ADMIN)
    if session.scalar(select(func.count()).select_from(ImpactFactor)):
        return 0
    seen: set[Kind] = set()
    for values in DEFAULT_FACTORS:
        kind = values["kind"]
        assert isinstance(kind, Kind)
        added = add_factor(session, actor, FactorInput(**values))  # type: ignore[arg-type]
        if kind not in seen:
            use_factor(session, actor, added.id, BEGINNING, today=BEGINNING)
        seen.add(kind)
    return len(DEFAULT_FACTORS)


# -- exact sums, converted per factor period in SQL ------------------------------------


class _Whole(FunctionElement[int]):
    """A positive number to the nearest whole number, halves up, the same on both stores."""

    type = BigInteger()
    name = "whole"
    inherit_cache = True


@compiles(_Whole)
def _whole(element: _Whole, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) + 0.5 AS INTEGER)"  # SQLite truncates


@compiles(_Whole, "postgresql")
def _whole_pg(element: _Whole, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR(({compiler.process(element.clauses, **kw)}) + 0.5) AS BIGINT)"  # PostgreSQL's CAST rounds


def _units(kind: ColumnElement[Any], quantity: ColumnElement[Any]) -> ColumnElement[int]:
    scale = case(
        (kind == Kind.ENERGY, SCALE[Kind.ENERGY]),
        (kind == Kind.TREES, SCALE[Kind.TREES]),
        else_=SCALE[Kind.VOLUNTEERING],
    )
    return _Whole(quantity * scale)


def _spans() -> CTE:
    """The factor periods with their ends (the next start of the same kind and region)."""
    p = ImpactFactorPeriod
    following = func.lead(p.valid_from).over(partition_by=(p.kind, p.region), order_by=p.valid_from)
    return select(p.id, p.kind, p.region, p.valid_from, following.label("valid_to")).cte("spans")


def _converted(by: ImpactBy, base: Subquery) -> Select[Any]:
    """Whole units per group, kind and factor period, from ``base`` rows (team_key, kind, month, quantity).

    Each base row becomes whole units first, so every grouping sums the very
    same integers; the period is the site's region's own covering the month,
    else the default's. Summed per team on integer keys, then named.
    """
    spans = _spans()
    own, default = spans.alias("own"), spans.alias("fallback")
    home, place = Team.__table__.alias("home"), Site.__table__.alias("place")

    def covering(span: Any) -> ColumnElement[bool]:
        return and_(
            span.c.kind == base.c.kind,
            span.c.valid_from <= base.c.month,
            or_(span.c.valid_to.is_(None), base.c.month < span.c.valid_to),
        )

    use = func.coalesce(own.c.id, default.c.id)
    per_team = (
        select(
            base.c.team_key,
            base.c.kind,
            use.label("use_id"),
            func.sum(_units(base.c.kind, base.c.quantity)).label("units"),
        )
        .select_from(base)
        .outerjoin(home, home.c.id == base.c.team_key)
        .outerjoin(place, place.c.id == home.c.site_id)
        .outerjoin(own, and_(covering(own), own.c.region == place.c.region))
        .outerjoin(default, and_(covering(default), default.c.region == DEFAULT_REGION))
        .group_by(base.c.team_key, base.c.kind, use)
        .subquery("per_team")
    )
    group = _group(by)
    return (
        select(group.label("grp"), per_team.c.kind, per_team.c.use_id, func.sum(per_team.c.units))
        .select_from(per_team)
        .outerjoin(Team, Team.id == per_team.c.team_key)
        .outerjoin(Site, Site.id == Team.site_id)
        .group_by(group, per_team.c.kind, per_team.c.use_id)
    )


def _sums(
    session: Session, by: ImpactBy, start: date | None, end: date | None, challenge_id: int | None = None
) -> list[tuple[str, Kind, int | None, int]]:
    """(group, kind, factor period, whole units) for the approved results in ``start``..``end``.

    Whole calendar months are read from the monthly rollups kept by the store
    (``impact_monthly`` per kind for every challenge, ``results_monthly`` for
    one challenge); the days of a month the period only partly covers are
    summed from ``results``. Either way it is every approved result of the
    period, credited to the team of the day.
    """
    months, partial = _read_plan(session, start, end)
    sources = [_from_rollup(*months, challenge_id)] if months is not None else []
    sources += [_from_results(first, last, challenge_id) for first, last in partial]
    out: list[tuple[str, Kind, int | None, int]] = []
    for base in sources:
        out += [(g, Kind(k), u, int(n)) for g, k, u, n in session.execute(_converted(by, base))]
    return out


def approved_quantities(
    session: Session, by: ImpactBy, start: date | None, end: date | None, challenge_id: int | None = None
) -> dict[str, dict[Kind, Fraction]]:
    """Approved quantity per group and kind in ``start``..``end`` (None: open-ended), exact, summed in SQL."""
    out: dict[str, dict[Kind, Fraction]] = {}
    for name, kind, _, units in _sums(session, by, start, end, challenge_id):
        kinds = out.setdefault(name, {})
        kinds[kind] = kinds.get(kind, ZERO) + Fraction(units, SCALE[kind])
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


def _group(by: ImpactBy) -> ColumnElement[str]:
    if by is ImpactBy.TEAM:
        return func.coalesce(Team.name, "No team")
    if by is ImpactBy.SITE:
        return func.coalesce(Site.name, "No site")
    return literal("Company")


def _from_rollup(first: date | None, after: date | None, challenge_id: int | None) -> Subquery:
    """Rows (team_key, kind, month, quantity) of the whole months: the per-kind rollup, or one challenge's."""
    if challenge_id is None:
        m = ImpactMonthly
        query = select(m.team_key, m.kind, m.month, m.quantity)
    else:
        r = ResultsMonthly
        query = (
            select(r.team_key, Challenge.kind, r.month, r.quantity)
            .join(Challenge, Challenge.id == r.challenge_id)
            .where(r.challenge_id == challenge_id)
        )
        m = r  # type: ignore[assignment]
    if first is not None:
        query = query.where(m.month >= first)
    if after is not None:
        query = query.where(m.month < after)
    return query.subquery("base")


def _from_results(first: date, last: date, challenge_id: int | None) -> Subquery:
    """Rows (team_key, kind, month, quantity) of the days ``first``..``last`` (inside one month), from results."""
    per_challenge = (
        select(Result.team_id, Result.challenge_id, func.sum(Result.quantity).label("quantity"))
        .where(APPROVED, Result.occurred_on >= first, Result.occurred_on <= last)
        .group_by(Result.team_id, Result.challenge_id)
        .with_hint(Result.__table__, "INDEXED BY ix_results_ok_day", dialect_name="sqlite")
    )
    if challenge_id is not None:
        per_challenge = per_challenge.where(Result.challenge_id == challenge_id)
    sums = per_challenge.subquery("per_challenge")
    team_key = func.coalesce(sums.c.team_id, 0)
    return (
        select(
            team_key.label("team_key"),
            Challenge.kind,
            literal(_month(first)).label("month"),
            func.sum(sums.c.quantity).label("quantity"),
        )
        .join(Challenge, Challenge.id == sums.c.challenge_id)
        .group_by(team_key, Challenge.kind)
        .subquery("base")
    )


def impact_report(
    session: Session, actor: Actor, by: ImpactBy, start: date | None = None, end: date | None = None
) -> ImpactReport:
    """Impact by team, site or company over a period (managers and admins), with the factor periods used."""
    require(actor, Role.MANAGER, Role.ADMIN)
    return _report(session, by, start, end, None)


def _report(
    session: Session, by: ImpactBy, start: date | None, end: date | None, challenge_id: int | None
) -> ImpactReport:
    uses = _uses(session)
    figures: dict[str, dict[str, Fraction]] = {}
    used: dict[str, set[int]] = {}
    for name, kind, use_id, units in _sums(session, by, start, end, challenge_id):
        quantity_field, converted_field = FIELDS[kind]
        quantity = Fraction(units, SCALE[kind])
        row = figures.setdefault(name, dict.fromkeys(FIGURES, ZERO))
        row[quantity_field] += quantity
        used.setdefault(name, set())
        if use_id is not None:
            row[converted_field] += quantity * uses[use_id].factor.exact
            used[name].add(use_id)
    rows = [
        ImpactRow(name, **figures[name], uses=tuple(sorted(used[name]))) for name in sorted(figures, key=str.casefold)
    ]
    shown = {u for r in rows for u in r.uses}
    return ImpactReport(rows, {i: u for i, u in uses.items() if i in shown}, start, end)


def company_total(session: Session, actor: Actor, start: date, end: date) -> ImpactRow:
    """The company's exact figures for ``start``..``end``: the Impact report's total for that period.

    Company goals count with it, so a goal's progress and the report agree to
    the last digit. Everyone may read it (it names no team or person).
    """
    require(actor, *Role)
    return _report(session, ImpactBy.COMPANY, start, end, None).total


def challenge_impact(session: Session, actor: Actor, challenge_id: int) -> ImpactReport:
    """What one challenge has achieved so far, company-wide, with the factor periods used. Everyone may read it."""
    require(actor, *Role)
    return _report(session, ImpactBy.COMPANY, None, None, challenge_id)


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
