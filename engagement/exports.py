"""Report rows as plain records, in the exact shape the CLI and downloads promise.

The command line's JSON and CSV, and the dashboard's CSV downloads, all come
from these functions, so a figure is formatted once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engagement.amounts import rounded
from engagement.csvio import write_csv
from engagement.impact import FIGURES, ImpactReport, ImpactRow
from engagement.leaderboards import PersonRow, TeamRow
from engagement.morale import Cell, GroupBy

TEAM_COLUMNS = ("rank", "team", "points", "members", "points_per_member", "participants", "participation")
PERSON_COLUMNS = ("rank", "email", "name", "team", "points")
IMPACT_COLUMNS = FIGURES
# Decimals each impact figure is written with, rounded once from the exact sums: quantities as
# exactly as they were logged (hours to the second, so value = hours × rate to the cent), kg and money to 2.
IMPACT_PLACES = {
    "kwh_saved": 3,
    "kg_co2e_avoided": 2,
    "trees_planted": 3,
    "kg_co2e_per_year": 2,
    "volunteer_hours": 6,
    "volunteer_value": 2,
}
FACTOR_COLUMNS = (
    "number",
    "kind",
    "name",
    "value",
    "unit",
    "region",
    "year",
    "source",
    "applies_to",
    "valid_from",
    "valid_to",
)


def team_records(rows: Sequence[TeamRow]) -> list[dict[str, Any]]:
    return [{c: getattr(r, c) for c in TEAM_COLUMNS} for r in rows]


def person_records(rows: Sequence[PersonRow]) -> list[dict[str, Any]]:
    return [{c: getattr(r, c) for c in PERSON_COLUMNS} for r in rows]


def morale_columns(by: GroupBy) -> tuple[str, ...]:
    return ("week", by.value, "responses", "avg_score", "enps", "suppressed")


def morale_records(cells: Sequence[Cell], by: GroupBy) -> list[dict[str, Any]]:
    return [
        {
            "week": c.week.isoformat(),
            by.value: c.group,
            "responses": c.responses,
            "avg_score": c.avg_score,
            "enps": c.enps,
            "suppressed": c.suppressed,
        }
        for c in cells
    ]


def impact_columns(by: str) -> tuple[str, ...]:
    return (by, *IMPACT_COLUMNS, "currency", "factors")


def impact_records(report: ImpactReport, by: str, *, with_total: bool = False) -> list[dict[str, Any]]:
    """One record per group (and the total), each figure rounded once; ``factors`` numbers the factors it used.

    The numbers are those of :func:`factor_records` (1, 2, ...), in the order
    the report lists its factor periods.
    """
    numbers = {use_id: n for n, use_id in enumerate(report.uses, start=1)}
    rows: list[ImpactRow] = list(report.rows) + ([report.total] if with_total and len(report.rows) > 1 else [])
    return [
        {
            by: r.group,
            **{c: float(rounded(getattr(r, c), IMPACT_PLACES[c])) for c in IMPACT_COLUMNS},
            "currency": report.currency,
            "factors": ", ".join(str(numbers[u]) for u in r.uses),
        }
        for r in rows
    ]


def factor_records(report: ImpactReport) -> list[dict[str, Any]]:
    """The factor periods the report used: which factor, for which sites, from and until when."""
    return [
        {
            "number": n,
            "kind": u.kind.value,
            "name": u.factor.name,
            "value": u.factor.value,
            "unit": u.factor.unit,
            "region": u.factor.region,
            "year": u.factor.year,
            "source": u.factor.source,
            "applies_to": u.applies_to,
            "valid_from": u.valid_from.isoformat(),
            "valid_to": u.until,
        }
        for n, u in enumerate(report.uses.values(), start=1)
    ]


def to_csv(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    return write_csv(records, columns)


def to_json(records: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(records), indent=2, ensure_ascii=False, default=str)
