"""The one place that turns a database URL into an engine and a unit of work.

SQLite is the embedded default and needs care to be safe with several writers:
WAL so readers never block the writer, a busy timeout so writers queue instead
of failing, foreign keys on, and ``BEGIN IMMEDIATE`` for write transactions (a
deferred ``BEGIN`` that reads and then writes gets "database is locked" at once,
without waiting, when another connection writes meanwhile).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.compiler import SQLCompiler

from db import search

T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "impact.db"
BUSY_TIMEOUT_MS = 15_000
CHECKPOINT_EVERY_S = 1.0
WAL_SAFETY_NET_PAGES = 10_000  # about 40 MB of log
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    f"busy_timeout={BUSY_TIMEOUT_MS}",
    "cache_size=-65536",
    "temp_store=MEMORY",
)


def database_url() -> str:
    """The configured store: ``DATABASE_URL``, else the SQLite file under ``data/``."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: str | URL | None = None, *, background_checkpoints: bool = False, **kwargs: Any) -> Engine:
    """Build an engine for ``url`` (default: :func:`database_url`).

    Plain ``postgresql://`` URLs are served by psycopg 3, like
    ``postgresql+psycopg://``. ``background_checkpoints`` is for a long-lived
    SQLite engine that serves people (the dashboard's): see :func:`_checkpoint_in_background`.
    """
    parsed = make_url(url or database_url())
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, wal_pages=WAL_SAFETY_NET_PAGES if background_checkpoints else None, **kwargs)
        if background_checkpoints and parsed.database and parsed.database != ":memory:":
            _checkpoint_in_background(engine, parsed.database)
        return engine
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_recycle", 1800)
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", 5)
            kwargs.setdefault("max_overflow", 10)
    return create_engine(parsed, **kwargs)


def _sqlite_engine(url: URL, *, wal_pages: int | None = None, **kwargs: Any) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        for pragma in SQLITE_PRAGMAS:
            dbapi_connection.execute(f"PRAGMA {pragma}")
        if wal_pages is not None:
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={wal_pages}")
        # Search folds É to é as PostgreSQL's lower() does; SQLite's own folds only A-Z (see db.search).
        dbapi_connection.create_function(search.SQLITE_LOWER, 1, search.lower_text, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _checkpoint_in_background(engine: Engine, path: str) -> None:
    """Copy the write-ahead log back into the database file every second, off the request path.

    SQLite's automatic checkpoint runs inside the commit that takes the log past
    1,000 pages, so about one save in a hundred waited 5-6 ms for it (measured at
    L: logging a result p50 1.5 ms, p99 5.3 ms; 1.8 ms without it). A passive
    checkpoint runs beside readers and writers without blocking either. The
    automatic one stays as a safety net at :data:`WAL_SAFETY_NET_PAGES`, in case
    this thread falls behind. The thread ends when the engine is disposed or gone.
    """
    alive = weakref.ref(engine)
    stop = threading.Event()
    event.listen(engine, "engine_disposed", lambda _engine: stop.set())

    # mode=rw: a database file not created yet (or removed) is never created here, empty.
    uri = Path(path).resolve().as_uri() + "?mode=rw"

    def run() -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not stop.wait(CHECKPOINT_EVERY_S) and alive() is not None:
                try:
                    connection = connection or sqlite3.connect(uri, uri=True, timeout=1, isolation_level=None)
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.OperationalError:
                    continue  # no file yet, or busy: the next round (or the safety net) catches up
        finally:
            if connection is not None:
                connection.close()

    threading.Thread(target=run, name=f"sqlite-checkpoint {Path(path).name}", daemon=True).start()


class Conflict(RuntimeError):
    """Someone else changed the entity since it was read; reload and retry.

    Raised by the store when a version check loses a race, and by ``engagement``
    when a form's version is stale: one class, caught once at the page or CLI edge.
    """


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """Yield a session inside one transaction: commit on success, roll back on error.

    ``write=True`` takes SQLite's write lock at the start (``BEGIN IMMEDIATE``),
    so a transaction that reads before it writes never fails half-way; reads use
    a deferred transaction and run beside the writer.

    Two saves of the same version at the same moment both pass a function's
    version check on PostgreSQL (neither has committed yet); the later UPDATE
    then matches no row, and that is the same :class:`Conflict` as a stale form.
    """
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            if write:
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield session
    except StaleDataError:
        raise Conflict("someone else changed this since you opened it; reload and try again") from None


# PostgreSQL's "deadlock detected" and "could not serialize": it rolled the whole
# transaction back to let another one through, so running it again is safe.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
WRITE_ATTEMPTS = 3


def must_retry(error: OperationalError) -> bool:
    """True when the store undid the transaction only to break a lock cycle."""
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def write_transaction(engine: Engine, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(session, *args, **kwargs)`` in one write unit of work, run again if the store broke a deadlock.

    Two writers that lock the same rows in different orders (two leads approving
    entries of one team that span months, whose rollup rows the triggers lock)
    deadlock on PostgreSQL; it aborts one of them, which then simply runs again.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with unit_of_work(engine) as session:
                return fn(session, *args, **kwargs)
        except OperationalError as e:
            if attempt == WRITE_ATTEMPTS or not must_retry(e):
                raise
    raise AssertionError("unreachable")


@compiles(Table, "sqlite")
def _table_with_hint(element: Table, compiler: SQLCompiler, **kw: Any) -> str:
    """Render ``select(...).with_hint(table, "INDEXED BY ix", "sqlite")`` on SQLite.

    SQLAlchemy's SQLite dialect ignores table hints; the planner sometimes picks
    a skip-scan over a far better covering index, and ``INDEXED BY`` pins it.
    """
    sql: str = compiler.visit_table(element, **kw)  # type: ignore[no-untyped-call]
    hints = kw.get("fromhints")
    if hints and element in hints and not kw.get("ashint"):
        sql += " " + hints[element]
    return sql
