"""Many people at once: N WebSocket sessions against the real dashboard, time to first render.

    python -m benchmarks.load --url sqlite:///bench-results/sqlite-M-s1-r0003.db --sessions 25 50 200
    python -m benchmarks.load --url ... --processes 2      # two app processes, sessions spread over both

Each session speaks Streamlit's own protocol over ``ws://127.0.0.1:PORT/_stcore/stream``
(protobuf ``BackMsg``/``ForwardMsg``, as the browser does): it asks for the page,
reads until the script has finished, and for the signed-in scenario fills the
sign-in form's widgets with a benchmark agent's email and password (the form a
person uses; nothing test-only in the product) and reads until My standing has
been drawn. Sessions open within ``--spread`` seconds (shift start), stay open
until every session is done, then close. Exception elements count as errors; a
session that ends on a page other than the one expected counts as an error too.

The script starts its own ``streamlit run`` processes on free loopback ports
(restarted for every N, so each starts from an empty cache after one warm-up
session), samples their memory and CPU, and stops them. It only ever connects
to 127.0.0.1, and every run is bounded: at most ``--max-sessions`` sessions and
``--timeout`` seconds per scenario. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websockets

from harness import protocol
from harness.servers import Fleet


@dataclass
class Outcome:
    first_render: float | None = None
    signed_in_render: float | None = None
    error: str | None = None


async def _session(port: int, account: str | None, password: str, deadline: float, out: Outcome) -> None:
    started = time.monotonic()
    try:
        async with protocol.connect(port) as ws:
            await ws.send(protocol.rerun())
            landing = await protocol.until_finished(ws, deadline)
            out.first_render = time.monotonic() - started
            if landing.exceptions:
                out.error = f"exception: {landing.exceptions[0]}"
            if account is None or out.error:
                return
            submitted = time.monotonic()
            await ws.send(protocol.rerun(widgets=protocol.sign_in_form(landing, account, password)))
            page = await protocol.until_finished(ws, deadline)
            out.signed_in_render = time.monotonic() - submitted
            if page.exceptions:
                out.error = f"exception: {page.exceptions[0]}"
            elif not page.signed_in:
                out.error = f"not signed in: {page.headings[:2]}"
            await asyncio.sleep(max(0.0, min(2.0, deadline - time.monotonic())))
    except (TimeoutError, OSError, websockets.WebSocketException, KeyError) as e:
        out.error = f"{type(e).__name__}: {e}"[:200]


async def _scenario(
    ports: list[int], accounts: list[str | None], password: str, spread: float, limit: float
) -> list[Outcome]:
    deadline = time.monotonic() + limit
    outcomes = [Outcome() for _ in accounts]

    async def start(i: int, account: str | None) -> None:
        await asyncio.sleep(spread * i / max(1, len(accounts)))
        await _session(ports[i % len(ports)], account, password, deadline, outcomes[i])

    await asyncio.gather(*(start(i, a) for i, a in enumerate(accounts)))
    return outcomes


async def _run(servers: Fleet, accounts: list[str | None], password: str, spread: float, limit: float) -> list[Outcome]:
    task = asyncio.create_task(_scenario(servers.ports, accounts, password, spread, limit))
    while not task.done():
        servers.sample()
        await asyncio.sleep(0.5)
    return task.result()


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 2)


def measure(
    url: str, scenario: str, n: int, processes: int, accounts: list[str], password: str, args: Any
) -> dict[str, Any]:
    servers = Fleet(url, processes, Path(tempfile.mkdtemp(prefix="impact-board-load-")))
    try:
        warm: list[str | None] = [accounts[-1]] if scenario == "signed_in" else [None]
        for port in servers.ports:
            asyncio.run(_scenario([port], warm, password, 0, 120))
        who: list[str | None] = (
            [accounts[i % len(accounts)] for i in range(n)] if scenario == "signed_in" else [None] * n
        )
        started, client_cpu = time.monotonic(), time.process_time()
        outcomes = asyncio.run(_run(servers, who, password, args.spread, args.timeout))
        wall, client_cpu = time.monotonic() - started, time.process_time() - client_cpu
        cpu = servers.cpu_share()
    finally:
        causes = servers.stop()
    key = "signed_in_render" if scenario == "signed_in" else "first_render"
    times = [getattr(o, key) for o in outcomes if getattr(o, key) is not None and o.error is None]
    errors = [o.error for o in outcomes if o.error]
    return {
        "scenario": scenario,
        "sessions": n,
        "processes": processes,
        "p50_s": percentile(times, 0.5),
        "p95_s": percentile(times, 0.95),
        "max_s": percentile(times, 1.0),
        "landing_p50_s": percentile([o.first_render for o in outcomes if o.first_render is not None], 0.5),
        "errors": len(errors),
        "first_errors": errors[:3],
        "server_errors": sorted(set(causes))[:3],
        "wall_s": round(wall, 1),
        "server_peak_rss_mb": [round(r) for r in servers.peak_rss],
        "server_cpu_pct_of_one_core": cpu,
        # The load client shares the machine: its own CPU says how much it took from the servers.
        "client_cpu_pct_of_one_core": round(100 * client_cpu / max(wall, 1e-6), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="DATABASE_URL of a benchmark database (it holds the accounts).")
    parser.add_argument("--sessions", type=int, nargs="+", default=[25, 50, 200])
    parser.add_argument("--scenarios", nargs="+", default=["landing", "signed_in"], choices=["landing", "signed_in"])
    parser.add_argument(
        "--processes", type=int, nargs="+", default=[1], help="App processes (sessions spread over them)."
    )
    parser.add_argument("--spread", type=float, default=5.0, help="Seconds over which the sessions open.")
    parser.add_argument("--timeout", type=float, default=300.0, help="Upper bound per scenario, seconds.")
    parser.add_argument("--max-sessions", type=int, default=400)
    parser.add_argument("--meta", help="The database's .json (default: beside a SQLite file).")
    args = parser.parse_args()
    if max(args.sessions) > args.max_sessions:
        parser.error(f"at most {args.max_sessions} sessions")
    meta_path = Path(args.meta) if args.meta else Path(args.url.removeprefix("sqlite:///") + ".json")
    meta = json.loads(meta_path.read_text())
    accounts, password = meta["load_accounts"], meta["password"]
    rows = []
    for processes in args.processes:
        for scenario in args.scenarios:
            for n in args.sessions:
                row = measure(args.url, scenario, n, processes, accounts, password, args)
                rows.append(row)
                print(
                    f"{processes} process(es) {scenario:9s} N={n:3d}: p50 {row['p50_s']} s, p95 {row['p95_s']} s, "
                    f"errors {row['errors']}, peak RSS {row['server_peak_rss_mb']} MB, "
                    f"CPU {row['server_cpu_pct_of_one_core']}% of a core, {row['first_errors'][:1]}",
                    file=sys.stderr,
                    flush=True,
                )
    print(json.dumps({"url": args.url, "spread_s": args.spread, "load_average": os.getloadavg(), "rows": rows}))


if __name__ == "__main__":
    main()
