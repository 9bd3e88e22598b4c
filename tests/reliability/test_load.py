"""Under load: 50 sessions reading leaderboards while leads save results; no errors, no lost writes.

The real dashboard runs as ``streamlit run`` on a free loopback port over a
copy of the demo database (started and sampled by ``harness.servers.Fleet``).
Fifty WebSocket sessions, speaking Streamlit's own protocol (``harness.protocol``),
open within five seconds, sign in through the sign-in form (each lands on its
role's page), then open Leaderboards; that run is the timed one. Meanwhile two lead
threads save results through ``record_result``, each save its own transaction,
about two a second each.

Asserted: every session ends on a drawn Leaderboards page with no exception
element, and every save is stored exactly once. Printed: rerun p50/p95/max,
saves, server peak memory and CPU. No timing is asserted (the machine is
shared); the run is bounded in sessions, reruns and seconds, loopback only.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets
from sqlalchemy import func, select

from benchmarks.load import percentile
from db.engine import make_engine, unit_of_work
from db.models import Challenge, Person, Result, Role
from engagement import demo, periods, results
from engagement.access import Actor
from harness import protocol
from harness.servers import Fleet

pytestmark = pytest.mark.slow

SESSIONS = 50
RERUNS = 1
SPREAD = 5.0
LIMIT = 240.0
WRITERS = 2
PAGE = "leaderboards"


@dataclass
class Reader:
    """One browser tab: how long each Leaderboards run took, and what went wrong."""

    runs: list[float] = field(default_factory=list)
    error: str | None = None


async def _read_boards(port: int, email: str, delay: float, deadline: float, out: Reader) -> None:
    await asyncio.sleep(delay)
    try:
        async with protocol.connect(port) as ws:
            await ws.send(protocol.rerun())
            landing = await protocol.until_finished(ws, deadline)
            await ws.send(protocol.rerun(widgets=protocol.sign_in_form(landing, email, demo.DEMO_PASSWORD)))
            signed_in = await protocol.until_finished(ws, deadline)
            if not signed_in.signed_in:
                out.error = f"sign-in drew {signed_in.headings[:2]} {signed_in.exceptions[:1]}"
                return
            for _ in range(RERUNS):
                started = time.monotonic()
                await ws.send(protocol.rerun(PAGE))
                page = await protocol.until_finished(ws, deadline)
                out.runs.append(time.monotonic() - started)
                if page.exceptions:
                    out.error = f"exception: {page.exceptions[0]}"
                    return
                if "Leaderboards" not in page.headings:
                    out.error = f"expected Leaderboards, drew {page.headings[:2]}"
                    return
    except (TimeoutError, OSError, websockets.WebSocketException, KeyError) as e:
        out.error = f"{type(e).__name__}: {e}"[:200]


async def _readers(servers: Fleet, readers: list[Reader]) -> None:
    deadline = time.monotonic() + LIMIT
    emails = list(demo.DEMO_ACCOUNTS.values())
    tasks = [
        asyncio.create_task(
            _read_boards(servers.ports[0], emails[i % len(emails)], SPREAD * i / len(readers), deadline, reader)
        )
        for i, reader in enumerate(readers)
    ]
    while not all(t.done() for t in tasks):
        servers.sample()
        await asyncio.sleep(0.5)
    await asyncio.gather(*tasks)


@dataclass
class Writer:
    saved: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _write_until(url: str, stop: threading.Event, n: int, out: Writer) -> None:
    """A lead saving results for their team, one transaction each, until the readers are done."""
    engine = make_engine(url)
    try:
        with unit_of_work(engine, write=False) as session:
            lead = Actor.of(session.scalars(select(Person).where(Person.email == demo.DEMO_ACCOUNTS[Role.LEAD])).one())
            members = list(session.scalars(select(Person.id).where(Person.team_id == lead.team_id, Person.active)))
            today = periods.today("Europe/London")
            challenge = session.scalars(
                select(Challenge).where(Challenge.starts_on <= today, Challenge.ends_on >= today)
            ).first()
            assert challenge is not None
        day = max(challenge.starts_on, today - timedelta(days=1))
        i = 0
        while not stop.is_set() and i < 500:
            ref = f"load-{n}-{i}"
            entry = results.ResultInput(members[i % len(members)], challenge.id, 1.0, day, ref=ref)
            try:
                with unit_of_work(engine) as session:
                    results.record_result(session, lead, entry, source="load")
                out.saved.append(ref)
            except Exception as e:  # every failure is what this test counts
                out.failures.append(f"{type(e).__name__}: {e}")
            i += 1
            time.sleep(0.5)
    finally:
        engine.dispose()


def test_fifty_sessions_read_leaderboards_while_leads_write(demo_url: str, capsys: Any, tmp_path: Path) -> None:
    servers = Fleet(demo_url, 1, tmp_path)
    stop = threading.Event()
    writers = [Writer() for _ in range(WRITERS)]
    threads = [threading.Thread(target=_write_until, args=(demo_url, stop, n, w)) for n, w in enumerate(writers)]
    readers = [Reader() for _ in range(SESSIONS)]
    started = time.monotonic()
    try:
        for t in threads:
            t.start()
        # Its own thread, so its event loop never meets the one a Playwright of this test process runs.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _readers(servers, readers)).result()
        wall = time.monotonic() - started
        cpu = servers.cpu_share()
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        servers.stop()

    errors = [r.error for r in readers if r.error]
    runs = [t for r in readers for t in r.runs]
    saved = sorted(ref for w in writers for ref in w.saved)
    engine = make_engine(demo_url)
    with unit_of_work(engine, write=False) as session:
        stored = sorted(session.scalars(select(Result.ref).where(Result.source == "load")))
        stored_count = session.scalar(select(func.count()).select_from(Result).where(Result.source == "load"))
    engine.dispose()
    figures = (
        f"{SESSIONS} sessions x {RERUNS} Leaderboards runs beside {len(saved)} saves by {WRITERS} leads in "
        f"{wall:.0f} s: p50 {percentile(runs, 0.5)} s, p95 {percentile(runs, 0.95)} s, "
        f"max {percentile(runs, 1.0)} s; "
        f"errors {len(errors)}; server peak RSS {servers.peak_rss[0]:.0f} MB, CPU {cpu}% of one core; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    with capsys.disabled():
        print(f"\nload: {figures}")
    assert errors == [], errors[:3]
    assert len(runs) == SESSIONS * RERUNS
    assert [f for w in writers for f in w.failures] == []
    assert saved and stored == saved and stored_count == len(saved), "every save is stored exactly once"
