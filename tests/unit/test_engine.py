"""The engine factory: SQLite safety settings, transaction modes, and which store is used."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db import engine as db_engine
from db.engine import make_engine, unit_of_work
from tests.unit.conftest import statement_log


def _pragma(connection, name: str):  # type: ignore[no-untyped-def]
    return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_every_sqlite_connection_gets_wal_foreign_keys_and_busy_timeout(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as first, sqlite_engine.connect() as second:
        for connection in (first, second):
            assert _pragma(connection, "journal_mode") == "wal"
            assert _pragma(connection, "foreign_keys") == 1
            assert _pragma(connection, "busy_timeout") >= 5000


def test_foreign_keys_are_enforced_on_sqlite(sqlite_engine: Engine) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"), unit_of_work(sqlite_engine) as session:
        session.execute(
            text("INSERT INTO team_memberships (person_id, team_id, valid_from) VALUES (999, 999, '2026-01-01')")
        )


def test_write_unit_of_work_begins_immediate(sqlite_engine: Engine) -> None:
    with statement_log(sqlite_engine) as statements, unit_of_work(sqlite_engine) as session:
        session.execute(text("SELECT count(*) FROM people"))
    assert statements[0] == "BEGIN IMMEDIATE"
    assert statements[1] == "SELECT count(*) FROM people"


def test_read_unit_of_work_begins_deferred(sqlite_engine: Engine) -> None:
    with statement_log(sqlite_engine) as statements, unit_of_work(sqlite_engine, write=False) as session:
        session.execute(text("SELECT count(*) FROM people"))
    assert statements[0] == "BEGIN DEFERRED"
    assert "BEGIN IMMEDIATE" not in statements


def test_write_unit_of_work_holds_the_write_lock_from_its_start(sqlite_engine: Engine) -> None:
    """A second writer is told the database is locked before the first has written anything."""
    other = sqlite3.connect(sqlite_engine.url.database or "", timeout=0, isolation_level=None)
    try:
        with unit_of_work(sqlite_engine) as session:
            session.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def test_read_unit_of_work_lets_a_writer_commit_beside_it(sqlite_engine: Engine) -> None:
    other = sqlite3.connect(sqlite_engine.url.database or "", timeout=0, isolation_level=None)
    try:
        with unit_of_work(sqlite_engine, write=False) as session:
            session.execute(text("SELECT count(*) FROM settings")).scalar()
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO settings (key, value) VALUES ('timezone', 'UTC')")
            other.execute("COMMIT")
    finally:
        other.close()
    with unit_of_work(sqlite_engine, write=False) as session:
        assert session.execute(text("SELECT value FROM settings")).scalar() == "UTC"


def test_unit_of_work_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        session.execute(text("INSERT INTO settings (key, value) VALUES ('timezone', 'UTC')"))
        raise RuntimeError("boom")
    with unit_of_work(engine, write=False) as session:
        assert session.execute(text("SELECT count(*) FROM settings")).scalar() == 0


def test_default_store_is_a_sqlite_file_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    expected = Path(__file__).resolve().parents[2] / "data" / "impact.db"
    assert db_engine.database_url() == f"sqlite:///{expected}"


def test_data_folder_is_git_ignored() -> None:
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().splitlines()
    assert "data/" in ignored


def test_database_url_selects_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "nested" / "chosen.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    engine = make_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert engine.url.database == str(path)
    assert path.exists()


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    engine = make_engine("postgresql://someone@db.example.org/impact")
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def _checkpointers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("sqlite-checkpoint")]


def test_the_dashboards_engine_checkpoints_the_log_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No commit stops to copy the log back (the safety net is far off); a thread does it, and ends with the engine.

    Once the thread has copied every frame back, the next writer starts the log
    from its beginning again, so writing the same again leaves the file its size;
    without the thread (and under the safety net) it would grow to twice as large.
    """
    monkeypatch.setattr(db_engine, "CHECKPOINT_EVERY_S", 0.05)
    path = tmp_path / "served.db"
    engine = make_engine(f"sqlite:///{path}", background_checkpoints=True)
    with engine.begin() as connection:
        assert _pragma(connection, "wal_autocheckpoint") == db_engine.WAL_SAFETY_NET_PAGES
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")

    def write_a_batch() -> int:
        with engine.begin() as connection:
            for _ in range(100):
                connection.exec_driver_sql("INSERT INTO t VALUES (?)", ("x" * 2000,))
        return Path(f"{path}-wal").stat().st_size

    first = write_a_batch()
    assert len(_checkpointers()) == 1
    time.sleep(1.0)
    assert write_a_batch() <= first
    engine.dispose()
    deadline = time.monotonic() + 5
    while _checkpointers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _checkpointers() == []


def test_other_engines_leave_checkpoints_to_sqlite(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert _pragma(connection, "wal_autocheckpoint") == 1000
    assert _checkpointers() == []
