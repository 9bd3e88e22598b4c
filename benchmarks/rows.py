"""Turn a generated :class:`~benchmarks.generate.Org` into table rows, chunk by chunk.

Values are what SQLAlchemy itself stores (ISO dates, ``YYYY-MM-DD HH:MM:SS.ffffff``
times, enum values), so the product reads bench rows exactly as its own.
Chunks keep memory flat: five million results are never Python tuples at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from itertools import repeat
from typing import Any

import numpy as np

from benchmarks.generate import BENCH_PASSWORD, DAYS, ROLE_EMAILS, STATUSES, Org
from db.models import Role, WorkMode
from engagement.demo import ACTIVITIES, ORGANISATIONS
from engagement.periods import EARLIEST

__all__ = ["BENCH_PASSWORD", "facts", "rollups", "tables"]
CHUNK = 100_000
HOURS = 5  # results are logged between 07:00 and 11:59 on their day
# The weekly sums exactly as engagement.pulse._add keeps them.
PULSE_ROLLUP = """
INSERT INTO pulse_weekly (team_id, week_start, responses, score_sum, enps_answers, promoters, detractors)
SELECT team_id, week_start, COUNT(*), SUM(score), COUNT(enps),
       SUM(CASE WHEN enps >= 9 THEN 1 ELSE 0 END), SUM(CASE WHEN enps <= 6 THEN 1 ELSE 0 END)
FROM pulse_responses GROUP BY team_id, week_start
"""
# The monthly results rollup exactly as migration 0003's triggers keep it.
MONTHLY_ROLLUP = """
INSERT INTO results_monthly (month, challenge_id, team_key, quantity, results)
SELECT {month}, challenge_id, COALESCE(team_id, 0), SUM(quantity), COUNT(*)
FROM results WHERE status = 'approved'
GROUP BY {month}, challenge_id, COALESCE(team_id, 0)
"""
# The per-kind impact rollup exactly as migration 0006's triggers keep it.
IMPACT_ROLLUP = """
INSERT INTO impact_monthly (month, team_key, kind, quantity, results)
SELECT m.month, m.team_key, c.kind, SUM(m.quantity), SUM(m.results)
FROM results_monthly m JOIN challenges c ON c.id = m.challenge_id
GROUP BY m.month, m.team_key, c.kind
"""
MONTH = {"sqlite": "strftime('%Y-%m-01', occurred_on)", "postgresql": "date_trunc('month', occurred_on)::date"}
Table = tuple[str, tuple[str, ...], Iterator[list[tuple[Any, ...]]]]


def rollups(dialect: str) -> tuple[str, str, str]:
    """The statements that build the weekly pulse, monthly results and impact rollups from the loaded rows."""
    return PULSE_ROLLUP, MONTHLY_ROLLUP.format(month=MONTH[dialect]), IMPACT_ROLLUP


def _none(values: np.ndarray, missing: int = -1) -> list[Any]:
    """1-based ids from 0-based positions; ``missing`` becomes NULL."""
    return [None if v == missing else v + 1 for v in values.tolist()]


def _days(org: Org, first: int, last: int) -> np.ndarray:
    return np.array([org.day(i).isoformat() for i in range(first, last + 1)], dtype=object)


def tables(org: Org, password_hash: str) -> Iterator[Table]:
    """(table, columns, chunks of rows) in foreign-key order."""
    n_teams = len(org.team_site)
    yield "sites", ("id", "name"), iter([[(i + 1, name) for i, name in enumerate(org.sites)]])
    yield (
        "teams",
        ("id", "name", "site_id", "active"),
        iter([[(t + 1, f"Team {t + 1:04d}", int(org.team_site[t]) + 1, True) for t in range(n_teams)]]),
    )
    yield "people", _PEOPLE, iter([_people(org)])
    yield "team_memberships", ("id", "person_id", "team_id", "valid_from", "valid_to"), iter([_memberships(org)])
    yield "challenges", _CHALLENGES, iter([_challenges(org)])
    yield "results", _RESULTS, _results(org)
    yield "pulse_responses", _PULSE, _pulse(org)
    changed = datetime.combine(org.anchor - timedelta(days=60), time(9)).isoformat(" ", "microseconds")
    accounts = [(person + 1, password_hash, False, changed) for person in sorted(org.accounts.values())]
    yield "accounts", ("person_id", "password_hash", "must_change", "changed_at"), iter([accounts])


_PEOPLE = ("id", "email", "name", "role", "team_id", "site_id", "work_mode", "timezone", "active", "version")


def _people(org: Org) -> list[tuple[Any, ...]]:
    home = [WorkMode.HOME.value if h else WorkMode.CENTRE.value for h in org.person_home.tolist()]
    return list(
        zip(
            range(1, len(org.person_email) + 1),
            org.person_email,
            org.person_name,
            org.person_role.tolist(),
            _none(org.person_team),
            repeat(None),
            home,
            repeat(None),
            org.person_active.tolist(),
            repeat(1),
            strict=False,
        )
    )


def _memberships(org: Org) -> list[tuple[Any, ...]]:
    """One open membership per team member; movers also have the closed one before their move."""
    out: list[tuple[Any, ...]] = []
    for person, team in enumerate(org.person_team.tolist()):
        if team < 0:
            continue
        moved = int(org.move_day[person])
        if moved >= 0:
            moved_on = org.day(moved)
            out.append((len(out) + 1, person + 1, int(org.old_team[person]) + 1, EARLIEST, moved_on))
            out.append((len(out) + 1, person + 1, team + 1, moved_on, None))
        else:
            out.append((len(out) + 1, person + 1, team + 1, EARLIEST, None))
    return [(i, p, t, start.isoformat(), end.isoformat() if end else None) for i, p, t, start, end in out]


_CHALLENGES = (
    "id",
    "slug",
    "name",
    "kind",
    "unit",
    "points_per_unit",
    "starts_on",
    "ends_on",
    "daily_cap",
    "team_target",
    "auto_approve_up_to",
    "description",
    "version",
)


def _challenges(org: Org) -> list[tuple[Any, ...]]:
    return [
        (
            i + 1,
            c["slug"],
            c["name"],
            c["kind"].value,  # type: ignore[attr-defined]
            c["unit"],
            c["points_per_unit"],
            org.day(int(c["start"])).isoformat(),  # type: ignore[call-overload]
            org.day(int(c["end"])).isoformat(),  # type: ignore[call-overload]
            c["daily_cap"],
            c["team_target"],
            c["auto_approve_up_to"],
            "",
            1,
        )
        for i, c in enumerate(org.challenges)
    ]


_RESULTS = (
    "id",
    "person_id",
    "challenge_id",
    "team_id",
    "quantity",
    "occurred_on",
    "status",
    "organisation",
    "activity_type",
    "logged_by_id",
    "logged_at",
    "source",
    "decided_by_id",
    "decided_at",
)


def _results(org: Org) -> Iterator[list[tuple[Any, ...]]]:
    days = _days(org, 0, DAYS)
    stamps = np.array([f"{d} {7 + h:02d}:05:00.000000" for d in days for h in range(HOURS)], dtype=object)
    names = np.array(ORGANISATIONS, dtype=object)
    activities = np.array([ACTIVITIES[o] for o in ORGANISATIONS], dtype=object)
    r = org.results
    for start in range(0, len(r["person"]), CHUNK):
        part = {k: v[start : start + CHUNK] for k, v in r.items()}
        decided = part["status"] != 1
        volunteering = part["volunteering"]
        yield list(
            zip(
                range(start + 1, start + len(part["person"]) + 1),
                (part["person"] + 1).tolist(),
                (part["challenge"] + 1).tolist(),
                (part["team"] + 1).tolist(),
                part["quantity"].tolist(),
                days[part["day"]].tolist(),
                STATUSES[part["status"]].tolist(),
                np.where(volunteering, names[part["organisation"]], None).tolist(),
                np.where(volunteering, activities[part["organisation"]], None).tolist(),
                (part["logged_by"] + 1).tolist(),
                stamps[part["day"] * HOURS + part["hour"]].tolist(),
                np.where(part["csv"], "csv", "manual").tolist(),
                np.where(decided, part["decider"] + 1, None).tolist(),
                np.where(decided, stamps[(part["day"] + 1) * HOURS + part["hour"]], None).tolist(),
                strict=True,
            )
        )


_PULSE = ("id", "person_id", "team_id", "week_start", "score", "enps", "comment")


def _pulse(org: Org) -> Iterator[list[tuple[Any, ...]]]:
    p = org.pulse
    first = int(p["monday"].min()) if len(p["monday"]) else 0
    days = _days(org, first, DAYS - 1)
    for start in range(0, len(p["person"]), CHUNK):
        part = {k: v[start : start + CHUNK] for k, v in p.items()}
        yield list(
            zip(
                range(start + 1, start + len(part["person"]) + 1),
                (part["person"] + 1).tolist(),
                (part["team"] + 1).tolist(),
                days[part["monday"] - first].tolist(),
                part["score"].tolist(),
                [None if e < 0 else e for e in part["enps"].tolist()],
                repeat(""),
                strict=False,
            )
        )


def facts(org: Org) -> dict[str, Any]:
    """What the benchmark needs to know about the data: sizes, the busiest challenge, the accounts."""
    approved = org.results["status"] == 0
    per_challenge = np.bincount(org.results["challenge"][approved], minlength=len(org.challenges))
    ids = {role.value: org.accounts[email] + 1 for role, email in ROLE_EMAILS.items()}
    agent = ids[Role.AGENT.value] - 1
    return {
        "people": len(org.person_email),
        "teams": len(org.team_site),
        "results": len(org.results["person"]),
        "pulse_answers": len(org.pulse["person"]),
        "challenges": len(org.challenges),
        "busiest_challenge": int(per_challenge.argmax()) + 1,
        "busiest_challenge_results": int(per_challenge.max()),
        "open_challenges": sum(1 for c in org.challenges if int(c["start"]) <= DAYS - 1 <= int(c["end"])),  # type: ignore[call-overload]
        "person_ids": ids,
        "agent_team_id": int(org.person_team[agent]) + 1,
        "load_accounts": sorted(email for email in org.accounts if email not in ROLE_EMAILS.values()),
        "password": BENCH_PASSWORD,
    }
