"""One benchmark run: build or reuse each database, time everything, check answers, judge the targets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import report, store, timing
from benchmarks.raw import same_ranks
from db.engine import PROJECT_ROOT, make_engine

Echo = Callable[[str], None]


def bench(
    scales: list[str],
    stores: list[str],
    *,
    pg_url: str | None,
    seed: int,
    quick: bool,
    fresh: bool = False,
    pages: bool = True,
    naive: bool = True,
    echo: Echo = print,
) -> dict[str, Any]:
    """Run every (store, scale); return the JSON-ready result with the machine and the targets."""
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "quick": quick,
        "machine": report.machine(pg_url if "postgresql" in stores else None),
        "runs": [],
    }
    for name in stores:
        for scale in scales:
            echo(f"{name} {scale}: preparing the database ...")
            built = store.build(name, scale, seed, pg_url=pg_url, fresh=fresh)
            echo(
                f"{name} {scale}: {'cached' if built.cached else 'built'} in {built.meta['load_seconds']} s "
                f"(closing its pulse weeks: {built.meta.get('close_weeks_seconds', '?')} s); timing ..."
            )
            result["runs"].append(run_one(built, quick=quick, pages=pages, naive=naive, echo=echo))
    result["targets"] = targets(result["runs"])
    return result


def run_one(built: store.Built, *, quick: bool, pages: bool, naive: bool, echo: Echo) -> dict[str, Any]:
    runs = 3 if quick else 5
    engine = make_engine(built.url, background_checkpoints=True)  # configured as the dashboard's engine
    ctx = timing.context(engine, built.meta)
    out: dict[str, Any] = {
        "store": built.store,
        "scale": built.scale,
        "anchor": built.meta["anchor"],
        "data": {k: built.meta[k] for k in ("people", "teams", "results", "pulse_answers", "challenges")},
        "load": {"seconds": built.meta["load_seconds"], "cached": built.cached},
        # Settling every ended week once, as the first Morale visit after the data was loaded does.
        "close_weeks_seconds": built.meta.get("close_weeks_seconds"),
        # Other work on the machine slows every figure down; this says how busy it was.
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "functions": {},
    }
    for question in timing.questions(ctx):
        ours, answer = timing.repeat(timing.read_call(engine, question), runs)
        entry: dict[str, Any] = {
            "label": question.label,
            "ms": ours.median_ms,
            "cpu_ms": ours.cpu_ms,
            "runs_ms": _ms(ours),
        }
        if question.raw is not None:
            raw, raw_answer = timing.repeat(timing.raw_call(engine, question), runs)
            entry.update(
                raw_ms=raw.median_ms,
                raw_cpu_ms=raw.cpu_ms,
                ratio=round(ours.median_ms / max(raw.median_ms, 1e-3), 2),
                cpu_ratio=round(ours.cpu_ms / max(raw.cpu_ms, 1e-3), 2),
                same_answer=_same(answer, raw_answer),
                leaderboard=question.leaderboard,
            )
        out["functions"][question.key] = entry
        echo(f"  {question.label}: {entry['ms']} ms" + (f" (raw {entry['raw_ms']} ms)" if "raw_ms" in entry else ""))
    before = timing.high_water(engine)
    try:
        logged = timing.log_one_result(engine, ctx, 200 if quick else 1000)
        out["log_result"] = {
            "p50_ms": logged.percentile_ms(0.5),
            "p99_ms": logged.percentile_ms(0.99),
            "n": len(logged.seconds),
        }
        imported = timing.import_csv(engine, ctx, 10_000, 1 if quick else runs)
        out["import"] = {"ms": imported.median_ms, "runs_ms": _ms(imported), "rows": 10_000}
    finally:
        timing.remove_writes(engine, before)
    echo(f"  log one result p99 {out['log_result']['p99_ms']} ms; import {out['import']['ms']} ms")
    engine.dispose()
    if naive:
        out["naive"] = _naive(built, ctx, out["functions"]["team_board_challenge"], quick)
    if pages:
        out["pages"] = _child(
            ["-m", "benchmarks.page_reruns", "--url", built.url, "--anchor", built.meta["anchor"], "--runs", str(runs)]
        )
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def _ms(measure: timing.Measure) -> list[float]:
    return [round(1000 * s, 2) for s in measure.seconds]


def _same(ours: Any, raw: Any) -> bool:
    if isinstance(ours, dict):
        return ours.keys() == raw.keys() and all(abs(ours[k] - raw[k]) <= 0.011 for k in ours)
    if isinstance(ours, list):
        return same_ranks(ours, raw)
    return bool(ours == raw)


def _child(argv: list[str]) -> dict[str, Any]:
    """Run a helper in its own process (its memory is its own) and read the JSON it prints last."""
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout)[-2000:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _naive(built: store.Built, ctx: timing.Context, ours: dict[str, Any], quick: bool) -> dict[str, Any]:
    runs = 1 if quick or built.meta["results"] > 1_000_000 else 3
    start, end = ctx.window
    found = _child(["-m", "benchmarks.naive", built.url, str(ctx.challenge), str(start), str(end), str(runs)])
    if "error" in found:
        return found
    ms = round(1000 * sorted(found["seconds"])[len(found["seconds"]) // 2], 1)
    with_ours = make_engine(built.url)
    ours_answer = timing.read_call(with_ours, timing.questions(ctx)[0])()
    with_ours.dispose()
    return {
        "ms": ms,
        "runs": runs,
        "peak_rss_mb": found["peak_rss_mb"],
        "slowdown": round(ms / max(ours["ms"], 1e-3), 1),
        "same_answer": same_ranks(ours_answer, [tuple(r) for r in found["answer"]]),
    }


def targets(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of issue 5 on the largest scale measured per store: value, limit, met."""
    out: list[dict[str, Any]] = []
    for name in sorted({r["store"] for r in runs}):
        mine = [r for r in runs if r["store"] == name]
        run = max(mine, key=lambda r: r["data"]["results"])
        where = f"{run['scale']} {name}"

        def check(what: str, value: float | None, limit: float, where: str = where) -> None:
            out.append(
                {
                    "where": where,
                    "target": what,
                    "value": value,
                    "limit": limit,
                    "met": value is not None and value <= limit,
                }
            )

        for q in run["functions"].values():
            if q.get("leaderboard"):
                check(f"{q['label']}: ours / raw", q["ratio"], report.RATIO)
        check("log one result p99 (ms)", run["log_result"]["p99_ms"], report.LOG_P99_MS)
        check("CSV import of 10,000 rows (s)", run["import"]["ms"] / 1000, report.IMPORT_S)
        for page, figures in run.get("pages", {}).get("pages", {}).items():
            check(f"page {page}: database work (ms)", figures["db_ms"], report.PAGE_DB_MS[name])
        by_scale = {r["scale"]: r.get("pages", {}).get("pages", {}) for r in mine}
        for page, large in by_scale.get("L", {}).items():
            medium = by_scale.get("M", {}).get(page)
            if medium and medium.get("peak_rss_mb") and large.get("peak_rss_mb"):
                growth = round(large["peak_rss_mb"] / medium["peak_rss_mb"] - 1, 3)
                check(f"page {page}: peak memory growth M to L (share)", growth, report.MEMORY_GROWTH, f"M→L {name}")
        reads = sum(p.get("read_sql_calls", 0) for p in run.get("pages", {}).get("pages", {}).values())
        check("pandas.read_sql calls by pages", float(reads), 0.0)
        answers = [q["same_answer"] for r in mine for q in r["functions"].values() if "same_answer" in q]
        check("answers equal the raw SQL's (differences)", float(answers.count(False)), 0.0)
    return out


def save(result: dict[str, Any], out: Path) -> None:
    report.write_json(out, result)
    out.with_suffix(".md").write_text(report.markdown(result) + "\n")
