"""A killed import leaves nothing half-written, and running it again stores everything once.

The real command line imports a large results file and is killed with SIGKILL,
as a power cut or the out-of-memory killer would, at moments the test watches
for instead of guessing with a sleep:

- PostgreSQL: once the results table grows (the import is inserting);
- SQLite: once the import holds the write lock (its transaction is open and
  checking rows), and again once the write-ahead log grows (it is committing:
  SQLite writes a transaction's pages to the log only at commit, and with
  ``synchronous=NORMAL`` that takes milliseconds, so this kill may land just
  before or just after the commit record; either way all rows or none).

Afterwards nothing of an interrupted import may be stored, SQLite's integrity
check must pass, and a rerun must store every row exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from db.engine import PROJECT_ROOT, unit_of_work
from db.models import AuditEntry, Result
from tests.reliability.helpers import build_org, changed_tables, checksums, cli, cli_env, no_traceback, results_csv

pytestmark = pytest.mark.slow

ROWS = 20_000
LONG_REF = "r" * 80  # heavy rows that are cheap to check: more bytes written per second of import


def _results_table_size(engine: Engine) -> Callable[[], bool]:
    """PostgreSQL: true once the results table has grown, i.e. uncommitted rows are being inserted."""

    def size() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_relation_size('results')")).scalar() or 0)

    start = size()
    return lambda: size() > start


def _write_lock_held(path: str) -> Callable[[], bool]:
    """SQLite: true while another connection holds the write lock (the import's transaction is open)."""

    def held() -> bool:
        with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                if "locked" in str(e):
                    return True
                raise
            conn.execute("ROLLBACK")
            return False

    return held


def _log_grown(path: str, by: int = 1_000_000) -> Callable[[], bool]:
    """SQLite: true once the write-ahead log has grown by ``by`` bytes (the import is committing)."""
    wal = Path(path + "-wal")

    def size() -> int:
        return wal.stat().st_size if wal.exists() else 0

    start = size()
    return lambda: size() >= start + by


def _start_import(url: str, file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "engagement", "import", "results", str(file)],
        cwd=PROJECT_ROOT,
        env=cli_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(process: subprocess.Popen[str], moment: Callable[[], bool], timeout: float = 180) -> None:
    """SIGKILL ``process`` as soon as ``moment()`` is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if moment():
            os.kill(process.pid, signal.SIGKILL)
            process.wait(30)
            assert process.returncode == -signal.SIGKILL
            return
        if process.poll() is not None:
            raise AssertionError(f"the import finished before the moment came: {process.communicate()}")
        time.sleep(0.002)
    process.kill()
    raise AssertionError("the moment to kill the import never came")


def _wait_for_other_sessions_to_end(engine: Engine) -> None:
    """PostgreSQL notices the dead client and rolls its transaction back; wait until it has."""
    if engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + 60
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND state <> 'idle'"
    )
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if not conn.execute(query).scalar():
                return
        time.sleep(0.1)
    raise AssertionError("the killed import's transaction is still open")


def _imported(engine: Engine) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(Result)) or 0


def _intact(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()


def test_kill_9_in_the_middle_of_an_import_leaves_nothing_and_a_rerun_stores_it_once(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        org = build_org(session)
    big = results_csv(tmp_path / "big.csv", org.emails, ROWS, LONG_REF)
    before = checksums(engine)
    engine.dispose()  # the last connection closed: SQLite checkpoints and removes its log
    path = engine.url.database or ""

    importer = _start_import(database_url, big)
    _kill_when(importer, _write_lock_held(path) if engine.dialect.name == "sqlite" else _results_table_size(engine))
    _wait_for_other_sessions_to_end(engine)
    assert changed_tables(before, checksums(engine)) == [], "a killed import left rows behind"
    _intact(engine)

    if engine.dialect.name == "sqlite":
        importer = _start_import(database_url, big)
        _kill_when(importer, _log_grown(path))
        assert _imported(engine) in (0, ROWS), "an import killed while committing is all there or not at all"
        _intact(engine)

    rerun = cli(database_url, "import", "results", str(big))
    no_traceback(rerun)
    assert rerun.returncode == 0, rerun.stderr
    with unit_of_work(engine, write=False) as session:
        stored = session.execute(select(func.count(), func.count(func.distinct(Result.ref)))).one()
        audited = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "result.create")
        )
    assert tuple(stored) == (ROWS, ROWS)
    assert audited == ROWS
    _intact(engine)
