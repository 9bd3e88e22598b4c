"""The benchmark's output: the machine, a table on screen, a JSON file, markdown for the README."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.pool import NullPool

from db.engine import make_engine

# The targets of issue 5, at scale L (milliseconds unless named otherwise).
PAGE_DB_MS = {"sqlite": 300.0, "postgresql": 200.0}
RATIO = 1.5
LOG_P99_MS = 5.0
IMPORT_S = 2.0
# "Flat" memory from M to L: a page's process may grow by at most this share (5x the data).
MEMORY_GROWTH = 0.2


def machine(pg_url: str | None) -> dict[str, Any]:
    """CPU model, cores, RAM and the software versions the figures depend on."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    mem_kb = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": metadata.version("sqlalchemy"),
        "psycopg": metadata.version("psycopg"),
        "streamlit": metadata.version("streamlit"),
    }
    if pg_url:
        engine = make_engine(pg_url, poolclass=NullPool)
        with engine.connect() as conn:
            info["postgresql"] = conn.execute(text("SHOW server_version")).scalar()
            info["pg_settings"] = {
                name: conn.execute(text(f"SHOW {name}")).scalar()
                for name in ("shared_buffers", "work_mem", "random_page_cost", "effective_cache_size", "jit")
            }
        engine.dispose()
    return info


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def write_json(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, default=str) + "\n")


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def _columns(result: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(result["runs"], key=lambda r: ("SMLX".find(r["scale"][0]), r["store"]))


def rows(result: dict[str, Any]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Column heads (store and scale) and one (label, cells) line per figure: ours / raw = ratio."""
    runs = _columns(result)
    heads = [f"{r['scale']} {'SQLite' if r['store'] == 'sqlite' else 'PG'}" for r in runs]
    lines: list[tuple[str, list[str]]] = []
    for key, label in _labels(runs):
        cells = []
        for run in runs:
            q = run["functions"].get(key)
            if q is None:
                cells.append("-")
            elif q.get("raw_ms") is None:
                cells.append(_ms(q["ms"]))
            else:
                flag = "" if q["same_answer"] else " DIFF"
                cells.append(f"{_ms(q['ms'])} / {_ms(q['raw_ms'])} = {q['ratio']:.2f}{flag}")
        lines.append((label, cells))
    for label, pick in _extras():
        lines.append((label, [pick(r) for r in runs]))
    for page in sorted({p for r in runs for p in r.get("pages", {}).get("pages", {})}):
        lines.append((f"page {page}: rerun / DB ms, peak MB", [_page(r, page) for r in runs]))
    return heads, lines


def table(result: dict[str, Any]) -> str:
    """Plain text for the screen."""
    heads, lines = rows(result)
    width = max([len(label) for label, _ in lines] + [10])
    cell = max([len(c) for _, cells in lines for c in cells] + [len(h) for h in heads])
    out = [f"{'ms: ours / raw SQL = ratio':<{width}}  " + "  ".join(f"{h:>{cell}}" for h in heads)]
    out += [f"{label:<{width}}  " + "  ".join(f"{c:>{cell}}" for c in cells) for label, cells in lines]
    return "\n".join(out)


def markdown(result: dict[str, Any]) -> str:
    """The same figures as a markdown table, for the README's Performance section."""
    heads, lines = rows(result)
    out = ["| ms: ours / raw SQL = ratio | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
    out += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in lines]
    return "\n".join(out)


def _labels(runs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for run in runs:
        for key, q in run["functions"].items():
            seen.setdefault(key, q["label"])
    return list(seen.items())


def _extras() -> list[tuple[str, Any]]:
    return [
        ("log one result p50 / p99", lambda r: f"{_ms(r['log_result']['p50_ms'])} / {_ms(r['log_result']['p99_ms'])}"),
        ("CSV import of 10,000 rows", lambda r: f"{_ms(r['import']['ms'])}"),
        (
            "naive pandas team board (ms, peak MB, x slower)",
            lambda r: (
                "-"
                if not r.get("naive")
                else f"{_ms(r['naive']['ms'])}, {r['naive']['peak_rss_mb']:,} MB, {r['naive']['slowdown']:.0f}x"
                + ("" if r["naive"]["same_answer"] else " DIFF")
            ),
        ),
        (
            "load (s; cached = built earlier)",
            lambda r: f"{r['load']['seconds']}{' cached' if r['load']['cached'] else ''}",
        ),
    ]


def _page(run: dict[str, Any], page: str) -> str:
    found = run.get("pages", {}).get("pages", {}).get(page)
    if not found:
        return "-"
    return f"{_ms(found['rerun_ms'])} / {_ms(found['db_ms'])}, {found['peak_rss_mb']:.0f}"
