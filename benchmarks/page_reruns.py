"""Every page's full rerun through Streamlit's AppTest, on a benchmark database.

    python -m benchmarks.page_reruns --url sqlite:///bench-results/sqlite-M-s1-r0003.db --anchor 2026-11-25

Run by ``python -m benchmarks`` in its own process (its memory is its
own). For each page, as the role that would open it: one warm-up rerun, then
``--runs`` reruns with the read cache cleared before each, so every read is a
cache miss. Reports per page the median rerun time, the median time spent in
the database (every unit of work the page opened, domain shaping included),
the number of units of work, the peak RSS of the process (each page runs in
a process of its own; Linux ``VmHWM``) and the exceptions drawn. Calls to
``pandas.read_sql*`` are counted: no page may load a table into pandas. The
clock is pinned to the data's anchor day at noon UTC, so "this week" is the
week the data was generated for. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent


class Meter:
    """Time spent inside units of work opened by the dashboard, and how many."""

    seconds = 0.0
    calls = 0
    read_sql = 0
    by_read: ClassVar[dict[str, float]] = {}


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _instrument(anchor: date) -> None:
    """Pin the clock, time every unit of work the UI opens, count pandas.read_sql calls."""
    import pandas as pd

    import engagement.periods
    import ui.resources

    noon = datetime(anchor.year, anchor.month, anchor.day, 12, tzinfo=UTC)
    engagement.periods.now_utc = lambda: noon  # type: ignore[assignment]
    real = ui.resources.unit_of_work

    @contextmanager
    def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
        caller = sys._getframe(2)  # read's cache wrapper, read_fresh or write: it knows the domain function
        name = caller.f_locals.get("name") or getattr(caller.f_locals.get("fn"), "__qualname__", caller.f_code.co_name)
        started = time.perf_counter()
        try:
            with real(*args, **kwargs) as session:
                yield session
        finally:
            spent = time.perf_counter() - started
            Meter.seconds += spent
            Meter.calls += 1
            Meter.by_read[name] = Meter.by_read.get(name, 0.0) + spent

    ui.resources.unit_of_work = timed  # type: ignore[assignment]

    def counted(name: str) -> Any:
        original = getattr(pd, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            Meter.read_sql += 1
            return original(*args, **kwargs)

        return wrapper

    for name in ("read_sql", "read_sql_query", "read_sql_table"):
        setattr(pd, name, counted(name))


def _visits() -> list[tuple[str, str, Any]]:
    """(label, page path, role): each page as the role that opens it; team pages also as an admin (all teams)."""
    from db.models import Role
    from ui.navigation import PAGES

    out: list[tuple[str, str, Any]] = [("sign_in (signed out)", "", None)]
    for spec in PAGES:
        name = Path(spec.path).stem
        role = next(r for r in (Role.AGENT, Role.LEAD, Role.MANAGER, Role.ADMIN) if r in spec.roles)
        out.append((f"{name} ({role.value})", spec.path, role))
        if role is Role.LEAD and Role.ADMIN in spec.roles:
            out.append((f"{name} (admin)", spec.path, Role.ADMIN))
    return out


def _app(url: str, role: Any) -> Any:
    from sqlalchemy import select
    from streamlit.testing.v1 import AppTest

    from benchmarks.generate import ROLE_EMAILS
    from db.engine import make_engine, unit_of_work
    from db.models import Person
    from engagement import sessions
    from ui.auth import SESSION_KEY

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    if role is None:
        return at
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        person_id = session.scalar(select(Person.id).where(Person.email == ROLE_EMAILS[role]))
        token = sessions.start(session, person_id).token
    engine.dispose()
    at.session_state[SESSION_KEY] = {"token": token, "expires_at": None, "must_change": False}
    return at


def measure(url: str, path: str, role: Any, runs: int) -> dict[str, Any]:
    import streamlit as st

    at = _app(url, role)
    at.run()
    if path:
        at.switch_page(path).run()
    rerun, db, calls = [], [], []
    for _ in range(runs):
        st.cache_data.clear()
        Meter.seconds, Meter.calls, Meter.by_read = 0.0, 0, {}
        started = time.perf_counter()
        at.run()
        rerun.append(time.perf_counter() - started)
        db.append(Meter.seconds)
        calls.append(Meter.calls)
    return {
        "rerun_ms": round(1000 * statistics.median(rerun), 1),
        "db_ms": round(1000 * statistics.median(db), 1),
        "db_calls": int(statistics.median(calls)),
        "peak_rss_mb": round(_rss_mb("VmHWM"), 1),
        "errors": [e.value for e in at.exception][:3],
        "slowest_reads_ms": {k: round(1000 * v, 1) for k, v in sorted(Meter.by_read.items(), key=_slowest)[:4]},
        "title": at.title[0].value if at.title else "",
    }


def _slowest(item: tuple[str, float]) -> float:
    return -item[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--anchor", required=True, type=date.fromisoformat)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="One page label to measure in this process (default: each page in its own).")
    args = parser.parse_args()
    if args.only is None:
        pages = {label: _child(args, label) for label, _, _ in _visits()}
        print(json.dumps({"pages": pages}))
        return
    os.environ["DATABASE_URL"] = args.url
    _instrument(args.anchor)
    _, path, role = next(v for v in _visits() if v[0] == args.only)
    started_rss = _rss_mb("VmRSS")
    found = measure(args.url, path, role, args.runs)
    found.update(rss_before_mb=round(started_rss, 1), read_sql_calls=Meter.read_sql)
    print(json.dumps(found))


def _child(args: argparse.Namespace, label: str) -> dict[str, Any]:
    """Measure one page in a fresh process, so its peak memory is its own."""
    command = [sys.executable, "-m", "benchmarks.page_reruns", "--url", args.url, "--anchor", args.anchor.isoformat()]
    done = subprocess.run(
        [*command, "--runs", str(args.runs), "--only", label], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if done.returncode != 0:
        return {"errors": [done.stderr[-1500:]], "rerun_ms": None, "db_ms": None, "peak_rss_mb": None}
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{label}: {found}", file=sys.stderr, flush=True)
    return found


if __name__ == "__main__":
    main()
