"""A synthetic organisation at scale S, M or L, drawn from a seed (numpy only, no I/O).

Its shape follows ``perf-baseline.md``: two years of history up to an anchor
day; teams of 5 to 40 people (mean about 20) spread over sites; 12 % inactive
people; 35 % of members who never log anything and log-normal activity for the
rest, capped near three results a day; skewed challenge popularity (one busiest
challenge); 5 % rejected results and pending ones mostly in the last week;
some people who changed team (older results credit the old team); and a weekly
pulse with each person's own response propensity and each team's own morale.
The same seed, scale and anchor give the same rows on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from db.models import Kind, Role
from engagement.demo import FIRST, LAST, ORGANISATIONS

DAYS = 730
WEEKS = 104
BENCH_PASSWORD = "bench-password-2026"
ROLE_EMAILS = {role: f"{role.value}@bench.example" for role in Role}
STATUSES = np.array(["approved", "pending", "rejected"], dtype=object)
KINDS = (Kind.ENERGY, Kind.TREES, Kind.VOLUNTEERING)


@dataclass(frozen=True)
class Scale:
    name: str
    people: int
    teams: int
    results: int
    pulse: int
    challenges: int


SCALES = {
    # XS is for the test suite: big enough for planners to prefer indexes, quick to build.
    "XS": Scale("XS", 400, 20, 40_000, 10_000, 10),
    "S": Scale("S", 1_000, 50, 100_000, 50_000, 20),
    "M": Scale("M", 10_000, 500, 1_000_000, 500_000, 40),
    "L": Scale("L", 50_000, 2_500, 5_000_000, 2_500_000, 80),
}


@dataclass
class Org:
    """Column arrays, one entry per row; ids are positions + 1; ``-1`` means none."""

    scale: Scale
    anchor: date
    sites: list[str]
    team_site: np.ndarray
    team_lead: np.ndarray
    person_team: np.ndarray
    person_role: np.ndarray
    person_active: np.ndarray
    person_home: np.ndarray
    person_name: list[str]
    person_email: list[str]
    move_day: np.ndarray
    old_team: np.ndarray
    challenges: list[dict[str, object]]
    results: dict[str, np.ndarray] = field(default_factory=dict)
    pulse: dict[str, np.ndarray] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)

    def day(self, index: int) -> date:
        """The date of day ``index`` (0 = two years ago, DAYS - 1 = the anchor)."""
        return self.anchor - timedelta(days=DAYS - 1 - index)


def organisation(scale: Scale, seed: int, anchor: date) -> Org:
    """Draw the whole organisation; results and pulse answers are column arrays."""
    rng = np.random.default_rng(seed)
    org = _people(scale, rng, anchor)
    weights = _activity(org, rng)
    org.challenges = _challenges(scale, rng)
    org.results = _results(org, rng, weights)
    org.pulse = _pulse(org, rng)
    org.accounts = _accounts(org, weights)
    return org


def _team_sizes(rng: np.random.Generator, members: int, teams: int) -> np.ndarray:
    sizes = np.clip(np.round(rng.integers(5, 41, teams) * members / (22.5 * teams)), 5, 40).astype(np.int64)
    while (diff := members - int(sizes.sum())) != 0:
        step = 1 if diff > 0 else -1
        room = np.flatnonzero((sizes + step >= 5) & (sizes + step <= 40))
        chosen = rng.choice(room, size=min(abs(diff), len(room)), replace=False)
        sizes[chosen] += step
    return sizes


def _people(scale: Scale, rng: np.random.Generator, anchor: date) -> Org:
    staff = max(2, scale.people // 100)
    members = scale.people - staff
    sizes = _team_sizes(rng, members, scale.teams)
    n_sites = max(2, scale.teams // 25)
    team = np.full(scale.people, -1, dtype=np.int64)
    team[rng.permutation(members)] = np.repeat(np.arange(scale.teams), sizes)
    role = np.full(scale.people, Role.AGENT.value, dtype=object)
    lead = np.zeros(scale.teams, dtype=np.int64)
    for t, person in zip(team[:members], range(members), strict=True):
        if role[person] == Role.AGENT.value and lead[t] == 0:
            lead[t] = person + 1
            role[person] = Role.LEAD.value
    role[members:] = Role.MANAGER.value
    role[members + (2 * staff) // 3 :] = Role.ADMIN.value
    moved = (rng.random(scale.people) < 0.1) & (team >= 0) & (role == Role.AGENT.value)
    move_day = np.where(moved, rng.integers(30, DAYS - 30, scale.people), -1)
    old = (team + rng.integers(1, scale.teams, scale.people)) % scale.teams
    first = rng.choice(np.array(FIRST, dtype=object), scale.people)
    last = rng.choice(np.array(LAST, dtype=object), scale.people)
    return Org(
        scale=scale,
        anchor=anchor,
        sites=[f"Site {i + 1:03d}" for i in range(n_sites)],
        team_site=rng.integers(0, n_sites, scale.teams),
        team_lead=lead,
        person_team=team,
        person_role=role,
        person_active=rng.random(scale.people) >= 0.12,
        person_home=rng.random(scale.people) < 0.6,
        person_name=[f"{f} {ln}" for f, ln in zip(first, last, strict=True)],
        person_email=[f"p{i + 1}@bench.example" for i in range(scale.people)],
        move_day=move_day,
        old_team=np.where(moved, old, -1),
        challenges=[],
    )


def _activity(org: Org, rng: np.random.Generator) -> np.ndarray:
    """Each person's share of all results: none for 35 % of members, log-normal for the rest."""
    n = org.scale.people
    loggers = (rng.random(n) >= 0.35) & (org.person_team >= 0)
    weights = np.where(loggers, rng.lognormal(0.0, 1.2, n), 0.0)
    cap = 3 * DAYS / org.scale.results
    for _ in range(5):
        weights = np.minimum(weights / weights.sum(), cap)
    return weights / weights.sum()


def _challenges(scale: Scale, rng: np.random.Generator) -> list[dict[str, object]]:
    """Windows spread over two years, a quarter still running on the anchor day."""
    out: list[dict[str, object]] = []
    for i in range(scale.challenges):
        kind = KINDS[int(rng.choice(3, p=[0.5, 0.25, 0.25]))]
        length = int(rng.integers(28, 366))
        running = i >= scale.challenges - max(2, scale.challenges // 4)
        end = DAYS - 1 + int(rng.integers(7, 90)) if running else int(rng.integers(length - 300, DAYS - 7))
        start = end - length + 1
        out.append(
            {
                "slug": f"c{i + 1:03d}-{kind.value}",
                "name": f"{kind.value.title()} challenge {i + 1}",
                "kind": kind,
                "unit": {Kind.ENERGY: "kWh", Kind.TREES: "trees", Kind.VOLUNTEERING: "hours"}[kind],
                "points_per_unit": {Kind.ENERGY: 1.0, Kind.TREES: 10.0, Kind.VOLUNTEERING: 8.0}[kind],
                "start": start,
                "end": end,
                "daily_cap": {Kind.ENERGY: 20.0, Kind.TREES: None, Kind.VOLUNTEERING: 8.0}[kind],
                "team_target": 500.0 if i % 3 == 0 else None,
                "auto_approve_up_to": 5.0 if kind is Kind.ENERGY else None,
                "popularity": float(rng.lognormal(0.0, 0.3)),
            }
        )
    return out


def _results(org: Org, rng: np.random.Generator, weights: np.ndarray) -> dict[str, np.ndarray]:
    n = org.scale.results
    lo = np.array([max(0, int(c["start"])) for c in org.challenges])  # type: ignore[call-overload]
    hi = np.array([min(DAYS - 1, int(c["end"])) for c in org.challenges])  # type: ignore[call-overload]
    popularity = np.array([c["popularity"] for c in org.challenges], dtype=float) * np.maximum(hi - lo + 1, 0)
    challenge = rng.choice(len(org.challenges), n, p=popularity / popularity.sum())
    person = rng.choice(org.scale.people, n, p=weights)
    day = lo[challenge] + (rng.random(n) * (hi - lo + 1)[challenge]).astype(np.int64)
    before_move = (org.move_day[person] >= 0) & (day < org.move_day[person])
    team = np.where(before_move, org.old_team[person], org.person_team[person])
    age = DAYS - 1 - day
    pending_share = np.where(age < 7, 0.5, np.where(age < 30, 0.05, 0.002))
    u = rng.random(n)
    status = np.where(u < pending_share, 1, np.where(u < pending_share + 0.05, 2, 0))
    kind = np.array([KINDS.index(c["kind"]) for c in org.challenges])[challenge]  # type: ignore[arg-type]
    energy = np.clip(np.round(rng.lognormal(np.log(3.0), 0.7, n), 1), 0.1, 100.0)
    trees = rng.choice(np.array([1.0, 1.0, 1.0, 2.0, 3.0, 5.0]), n)
    hours = rng.choice(np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]), n)
    quantity = np.choose(kind, [energy, trees, hours])
    by_lead = rng.random(n) < 0.3
    lead = org.team_lead[team] - 1
    order = np.lexsort((rng.random(n), day))  # ids follow logging order, as in production
    columns = {
        "person": person,
        "challenge": challenge,
        "team": team,
        "day": day,
        "quantity": quantity,
        "status": status,
        "volunteering": kind == 2,
        "organisation": rng.integers(0, len(ORGANISATIONS), n),
        "logged_by": np.where(by_lead, lead, person),
        "decider": lead,
        "hour": rng.integers(0, 5, n),
        "csv": rng.random(n) < 0.2,
    }
    return {name: values[order] for name, values in columns.items()}


def _pulse(org: Org, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Answers for the 104 closed weeks before the anchor's week; at most one per person and week."""
    members = np.flatnonzero(org.person_team >= 0)
    propensity = rng.beta(2.0, 1.2, len(members))
    propensity = np.minimum(propensity * org.scale.pulse / (WEEKS * propensity.sum()), 0.98)
    week, index = np.nonzero(rng.random((WEEKS, len(members))) < propensity[None, :])
    person = members[index]
    anchor_monday = DAYS - 1 - org.anchor.weekday()
    monday = anchor_monday - 7 * (WEEKS - week)
    before_move = (org.move_day[person] >= 0) & (monday < org.move_day[person])
    team = np.where(before_move, org.old_team[person], org.person_team[person])
    mood = rng.normal(3.6, 0.35, org.scale.teams)
    shock = rng.normal(0.0, 0.25, (org.scale.teams, WEEKS))
    score = np.clip(np.round(mood[team] + shock[team, week] + rng.normal(0.0, 0.8, len(person))), 1, 5)
    enps = np.clip(np.round(2 * score + rng.normal(-0.5, 1.5, len(person))), 0, 10)
    answered = rng.random(len(person)) < 0.8
    return {
        "person": person,
        "team": team,
        "monday": monday,
        "score": score.astype(np.int64),
        "enps": np.where(answered, enps, -1).astype(np.int64),
    }


def _accounts(org: Org, weights: np.ndarray) -> dict[str, int]:
    """Sign-in accounts: one per role (the agent a median logger, the lead their lead) and load-test agents.

    Returns email -> person position; the role accounts' emails replace the generated ones.
    """
    agents = np.flatnonzero((org.person_role == Role.AGENT.value) & org.person_active & (weights > 0))
    agent = int(agents[np.argsort(weights[agents])[len(agents) // 2]])
    lead = int(org.team_lead[org.person_team[agent]] - 1)
    org.person_active[lead] = True
    manager = int(np.flatnonzero(org.person_role == Role.MANAGER.value)[0])
    admin = int(np.flatnonzero(org.person_role == Role.ADMIN.value)[0])
    org.person_active[[manager, admin]] = True
    chosen = {Role.AGENT: agent, Role.LEAD: lead, Role.MANAGER: manager, Role.ADMIN: admin}
    for role, person in chosen.items():
        org.person_email[person] = ROLE_EMAILS[role]
    accounts = {ROLE_EMAILS[role]: person for role, person in chosen.items()}
    for person in agents[:200]:
        accounts.setdefault(org.person_email[int(person)], int(person))
    return accounts
