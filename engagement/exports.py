"""Report rows as plain records, in the exact shape the CLI and downloads promise.

The command line's JSON and CSV, and the dashboard's CSV downloads, all come
from these functions, so a figure is formatted once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engagement.csvio import write_csv
from engagement.impact import ImpactReport, ImpactRow
from engagement.leaderboards import PersonRow, TeamRow
from engagement.morale import Cell, GroupBy

TEAM_COLUMNS = ("rank", "team", "points", "members", "points_per_member", "participants", "participation")
PERSON_COLUMNS = ("rank", "email", "name", "team", "points")
IMPACT_COLUMNS = (
    "kwh_saved",
    "kg_co2e_avoided",
    "trees_planted",
    "kg_co2e_per_year",
    "volunteer_hours",
    "volunteer_value",
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
    return (by, *IMPACT_COLUMNS, "currency")


def impact_records(report: ImpactReport, by: str, *, with_total: bool = False) -> list[dict[str, Any]]:
    rows: list[ImpactRow] = list(report.rows) + ([report.total] if with_total and len(report.rows) > 1 else [])
    return [{by: r.group, **{c: getattr(r, c) for c in IMPACT_COLUMNS}, "currency": report.currency} for r in rows]


def factor_records(report: ImpactReport) -> list[dict[str, Any]]:
    return [
        {"kind": f.kind.value, "value": f.value, "unit": f.unit, "region": f.region, "year": f.year, "source": f.source}
        for f in report.factors.values()
    ]


def to_csv(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    return write_csv(records, columns)


def to_json(records: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(records), indent=2, ensure_ascii=False, default=str)
