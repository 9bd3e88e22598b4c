"""Nothing lost with many writers: dashboard saves beside a command-line import.

Six threads save results one at a time through ``record_result``, each save in
its own unit of work (as the dashboard does), while a separate process runs
``python -m engagement import results`` five times on 20,000-row files. Every
save must succeed and every row must be stored exactly once, on SQLite and on
PostgreSQL.

The same threads with a deliberately wrong SQLite set-up (a deferred ``BEGIN``
for a write, or no busy timeout) must fail with "database is locked": proof
that this test would notice if the product's ``BEGIN IMMEDIATE`` and busy
timeout went away.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from db.engine import PROJECT_ROOT, make_engine, unit_of_work
from db.models import Result
from engagement import results
from engagement.access import SYSTEM
from tests.reliability.helpers import SmallOrg, build_org, cli_env, count_audit, results_csv

pytestmark = pytest.mark.slow

FILES, ROWS = 5, 20_000
THREADS = 6
MAX_SAVES_PER_THREAD = 150
PAUSE = 0.1
SAVE_DAY = date(2025, 6, 2)

UnitOfWork = Callable[[Engine], AbstractContextManager[Session]]


@pytest.fixture(scope="module")
def import_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Five files of 20,000 rows for p0..p49 (the org :func:`build_org` makes), refs unique across files."""
    folder = tmp_path_factory.mktemp("imports")
    emails = [f"p{i}@example.org" for i in range(50)]
    return [results_csv(folder / f"batch{n}.csv", emails, ROWS, f"batch{n}") for n in range(FILES)]


@dataclass
class Writer:
    """One dashboard-like writer thread: what it saved and what went wrong."""

    saved: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def start_import(url: str, files: list[Path]) -> subprocess.Popen[str]:
    """One process that runs the real CLI import on each file in turn, stopping at the first failure."""
    script = 'for f in "$@"; do "$PY" -m engagement import results "$f" || exit 1; done'
    env = cli_env(url) | {"PY": _python()}
    return subprocess.Popen(
        ["bash", "-c", script, "import", *map(str, files)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _python() -> str:
    import sys

    return sys.executable


def run_writers(
    engine: Engine, org: SmallOrg, importer: subprocess.Popen[str], units: list[UnitOfWork], tag: str
) -> list[Writer]:
    """Save results from one thread per unit-of-work factory until the import process ends."""
    done = threading.Event()
    writers = [Writer() for _ in units]

    def work(n: int, unit: UnitOfWork, writer: Writer) -> None:
        person = org.people[5 + n]
        for i in range(MAX_SAVES_PER_THREAD):
            if done.is_set():
                return
            ref = f"{tag}-{n}-{i}"
            entry = results.ResultInput(person, org.challenge, 1.0 + i % 3, SAVE_DAY, ref=ref)
            try:
                with unit(engine) as session:
                    results.record_result(session, SYSTEM, entry, source="dashboard")
                writer.saved.append(ref)
            except Exception as e:  # every failure is what this test counts
                writer.failures.append(f"{type(e).__name__}: {e}")
            time.sleep(PAUSE)

    threads = [
        threading.Thread(target=work, args=(n, u, w)) for n, (u, w) in enumerate(zip(units, writers, strict=True))
    ]
    for t in threads:
        t.start()
    try:
        importer.wait(timeout=240)
    finally:
        done.set()
        for t in threads:
            t.join(timeout=60)
    return writers


@contextmanager
def deferred_write(engine: Engine) -> Iterator[Session]:
    """The trap the product avoids: a write transaction opened with a plain, deferred BEGIN."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        yield session


def without_busy_timeout(url: str) -> Engine:
    """The product's engine, but every connection gives up at once when another one writes."""
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _no_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    return engine


def test_dashboard_saves_and_a_cli_import_all_land_exactly_once(
    database_url: str, engine: Engine, import_files: list[Path]
) -> None:
    with unit_of_work(engine) as session:
        org = build_org(session)
    started = time.monotonic()
    importer = start_import(database_url, import_files)
    writers = run_writers(engine, org, importer, [unit_of_work] * THREADS, "ui")
    elapsed = time.monotonic() - started
    out, err = importer.communicate()

    assert importer.returncode == 0, err
    assert out.count(f"{ROWS} imported") == FILES, out
    failures = [f for w in writers for f in w.failures]
    assert failures == [], failures[:5]
    saved = sorted(ref for w in writers for ref in w.saved)
    assert len(saved) >= THREADS, "the writers never ran beside the import"
    with unit_of_work(engine, write=False) as session:
        stored_ui = sorted(session.scalars(select(Result.ref).where(Result.source == "dashboard")))
        imported = session.execute(
            select(func.count(), func.count(func.distinct(Result.ref))).where(Result.source == "csv")
        ).one()
        total = session.scalar(select(func.count()).select_from(Result))
        audited = count_audit(session, "result.create")
    assert stored_ui == saved
    assert tuple(imported) == (FILES * ROWS, FILES * ROWS)
    assert total == FILES * ROWS + len(saved) == audited
    print(
        f"\n{engine.dialect.name}: {len(saved)} dashboard saves beside {FILES}x{ROWS} imported rows in {elapsed:.1f}s"
    )


def test_the_wrong_sqlite_setup_is_caught_with_database_is_locked(
    sqlite_engine: Engine, import_files: list[Path]
) -> None:
    """Deferred BEGIN and a zero busy timeout each fail beside an import; failed saves leave nothing."""
    url = sqlite_engine.url.render_as_string(hide_password=False)
    with unit_of_work(sqlite_engine) as session:
        org = build_org(session)
    impatient = without_busy_timeout(url)
    units: list[UnitOfWork] = [deferred_write] * 3 + [lambda _engine: unit_of_work(impatient)] * 3
    importer = start_import(url, import_files[:2])
    writers = run_writers(sqlite_engine, org, importer, units, "wrong")
    importer.communicate()
    impatient.dispose()

    deferred, no_timeout = writers[:3], writers[3:]
    for group in (deferred, no_timeout):
        failures = [f for w in group for f in w.failures]
        assert failures, "a misconfigured writer beside an import should have hit a locked database"
        assert all("database is locked" in f for f in failures), failures[:3]
    saved = sorted(ref for w in writers for ref in w.saved)
    with unit_of_work(sqlite_engine, write=False) as session:
        stored = sorted(session.scalars(select(Result.ref).where(Result.source == "dashboard")))
    assert stored == saved  # a refused save stored nothing; an accepted one is there
    print(
        f"\nmisconfigured: deferred BEGIN {sum(len(w.failures) for w in deferred)} failures, "
        f"busy_timeout=0 {sum(len(w.failures) for w in no_timeout)} failures"
    )
