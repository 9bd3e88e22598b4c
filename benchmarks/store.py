"""Load a generated organisation into SQLite or PostgreSQL fast, and keep it for the next run.

The schema is the product's own (Alembic ``upgrade``). Rows go in bulk: one
``executemany`` transaction on SQLite (journal off while loading), ``COPY`` on
PostgreSQL; secondary indexes and (on PostgreSQL) foreign keys of the big
tables are dropped first and rebuilt after, as a restore would. The weekly
pulse rollup is then built from the answers with the same arithmetic as
:func:`engagement.pulse.store_answers`, the planner statistics refreshed
(``ANALYZE``; ``VACUUM ANALYZE`` on PostgreSQL, which index-only scans need),
and every ended pulse week closed as the product closes it
(:func:`engagement.publication.close_weeks`, timed: ``close_weeks_seconds``).

A finished database is kept (SQLite: ``bench-results/<store>-<scale>-s<seed>-r<revision>.db``
with a ``.json`` beside it; PostgreSQL: database ``ib_bench_<scale>_s<seed>_r<revision>``
with the same JSON as its comment), so a rerun skips generation.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, make_url, text
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import AddConstraint, DropConstraint

from benchmarks import rows
from benchmarks.generate import SCALES, Org, organisation
from db.engine import PROJECT_ROOT, make_engine, unit_of_work, write_transaction
from db.migrate import head_revision, upgrade
from db.models import Membership, PulseResponse, Result
from engagement import auth, impact, publication
from engagement.access import SYSTEM

DATA_DIR = PROJECT_ROOT / "bench-results"
BIG_TABLES: tuple[Table, ...] = (Result.__table__, PulseResponse.__table__, Membership.__table__)  # type: ignore[assignment]


@dataclass(frozen=True)
class Built:
    """A ready database and what is known about it."""

    store: str
    scale: str
    url: str
    meta: dict[str, Any]
    cached: bool

    @property
    def anchor(self) -> date:
        return date.fromisoformat(self.meta["anchor"])


def pg_database_name(scale: str, seed: int) -> str:
    return f"ib_bench_{scale}_s{seed}_r{head_revision()}".lower()


def build(
    store: str, scale: str, seed: int, *, pg_url: str | None = None, anchor: date | None = None, fresh: bool = False
) -> Built:
    """The cached database for (store, scale, seed, schema revision), generating it if missing."""
    if store == "sqlite":
        return _sqlite(scale, seed, anchor, fresh)
    if not pg_url:
        raise ValueError("PostgreSQL needs --pg-url (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return _postgresql(pg_url, scale, seed, anchor, fresh)


def _generate(scale: str, seed: int, anchor: date | None) -> Org:
    return organisation(SCALES[scale], seed, anchor or date.today())


# -- SQLite -------------------------------------------------------------------------


def _sqlite(scale: str, seed: int, anchor: date | None, fresh: bool) -> Built:
    path = DATA_DIR / f"sqlite-{scale}-s{seed}-r{head_revision()}.db"
    meta_path = path.with_name(path.name + ".json")
    if meta_path.exists() and path.exists() and not fresh:
        return Built("sqlite", scale, f"sqlite:///{path}", json.loads(meta_path.read_text()), cached=True)
    older = sorted(DATA_DIR.glob(f"sqlite-{scale}-s{seed}-r*.db"))
    if older and not fresh and Path(f"{older[-1]}.json").exists():
        # Built for an earlier schema: migrate it as `init` would migrate a real store.
        meta = _upgraded(f"sqlite:///{older[-1]}", json.loads(Path(f"{older[-1]}.json").read_text()))
        older[-1].rename(path)
        Path(f"{older[-1]}.json").unlink()
        meta_path.write_text(json.dumps(meta, indent=1))
        return Built("sqlite", scale, f"sqlite:///{path}", meta, cached=True)
    DATA_DIR.mkdir(exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    for stale in (path, meta_path, partial, *(Path(f"{p}{s}") for p in (path, partial) for s in ("-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    org = _generate(scale, seed, anchor)
    closing = load(f"sqlite:///{partial}", org)
    meta = _meta(org, seed, time.perf_counter() - started, closing)
    partial.rename(path)
    meta_path.write_text(json.dumps(meta, indent=1))
    return Built("sqlite", scale, f"sqlite:///{path}", meta, cached=False)


def load(url: str, org: Org) -> float:
    """Load ``org`` into the empty (or freshly migrated) database at ``url``, ready to query.

    Returns the seconds closing its ended pulse weeks took.
    """
    engine = _prepare(url)
    if engine.dialect.name == "postgresql":
        _pg_copy(engine, org)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        _sqlite_insert(engine, org)
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    engine.dispose()
    return _close_weeks(url, org.anchor)


def _close_weeks(url: str, anchor: date) -> float:
    """Close every pulse week ended by noon on ``anchor`` (UTC), as the first Morale visit would."""
    engine = make_engine(url, poolclass=NullPool)
    started = time.perf_counter()
    write_transaction(engine, publication.close_weeks, datetime.combine(anchor, clock(12), UTC))
    engine.dispose()
    return round(time.perf_counter() - started, 2)


def _sqlite_insert(engine: Engine, org: Org) -> None:
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        for pragma in ("foreign_keys=OFF", "journal_mode=OFF", "synchronous=OFF"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN")
        # Rollup triggers would fire per row; the rollups are built once from the loaded rows instead.
        triggers = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _ in triggers:
            connection.execute(f"DROP TRIGGER {name}")
        for table_name, columns, chunks in rows.tables(org, auth.HASHER.hash(rows.BENCH_PASSWORD)):
            insert = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            for chunk in chunks:
                connection.executemany(insert, chunk)
        for rollup in rows.rollups("sqlite"):
            connection.execute(rollup)
        for _, sql in triggers:
            connection.execute(sql)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        raw.close()
    with engine.begin() as conn:
        for table in BIG_TABLES:
            for index in table.indexes:
                index.create(conn)


def _prepare(url: str) -> Engine:
    """Migrate an empty database, load the default factors, drop the big tables' secondary indexes."""
    engine = make_engine(url, poolclass=NullPool)
    upgrade(engine)
    with unit_of_work(engine) as session:
        impact.seed_default_factors(session, SYSTEM)
    with engine.begin() as conn:
        for table in BIG_TABLES:
            for index in table.indexes:
                index.drop(conn)
    return engine


# -- PostgreSQL ---------------------------------------------------------------------


def _admin(pg_url: str) -> Engine:
    return make_engine(pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


def _pg_meta(admin: Engine, name: str) -> dict[str, Any] | None:
    with admin.connect() as conn:
        comment = conn.execute(
            text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
    return json.loads(comment) if comment else None


def _postgresql(pg_url: str, scale: str, seed: int, anchor: date | None, fresh: bool) -> Built:
    name = pg_database_name(scale, seed)
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    admin = _admin(pg_url)
    meta = None if fresh else _pg_meta(admin, name)
    if meta is not None:
        admin.dispose()
        return Built("postgresql", scale, url, meta, cached=True)
    with admin.connect() as conn:
        older = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :prefix ORDER BY datname DESC"),
            {"prefix": f"ib_bench_{scale.lower()}_s{seed}_r%"},
        ).scalar()
    if older and not fresh and older != name and (found := _pg_meta(admin, older)):
        # Built for an earlier schema: migrate it as `init` would migrate a real store.
        meta = _upgraded(make_url(pg_url).set(database=older).render_as_string(hide_password=False), found)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{older}" RENAME TO "{name}"')
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{json.dumps(meta)}'"))
        admin.dispose()
        return Built("postgresql", scale, url, meta, cached=True)
    partial = f"{name}_partial"
    with admin.connect() as conn:
        for stale in (name, partial):
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{partial}"')
    started = time.perf_counter()
    org = _generate(scale, seed, anchor)
    closing = load(make_url(pg_url).set(database=partial).render_as_string(hide_password=False), org)
    meta = _meta(org, seed, time.perf_counter() - started, closing)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
        conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{json.dumps(meta)}'"))
    admin.dispose()
    return Built("postgresql", scale, url, meta, cached=False)


def _pg_copy(engine: Engine, org: Org) -> None:
    with engine.begin() as conn:
        for table in BIG_TABLES:
            for fk in table.foreign_key_constraints:
                conn.execute(DropConstraint(fk))
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        with connection.cursor() as cursor:
            for rolled_up in ("results", "results_monthly"):  # the rollups are built once below
                cursor.execute(f"ALTER TABLE {rolled_up} DISABLE TRIGGER USER")
            for table_name, columns, chunks in rows.tables(org, auth.HASHER.hash(rows.BENCH_PASSWORD)):
                with cursor.copy(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for chunk in chunks:
                        for row in chunk:
                            copy.write_row(row)
                if "id" in columns:
                    sequence = f"pg_get_serial_sequence('{table_name}', 'id')"
                    cursor.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table_name}))")
            for rollup in rows.rollups("postgresql"):
                cursor.execute(rollup)
            for rolled_up in ("results", "results_monthly"):
                cursor.execute(f"ALTER TABLE {rolled_up} ENABLE TRIGGER USER")
        connection.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        for table in BIG_TABLES:
            for fk in table.foreign_key_constraints:
                conn.execute(AddConstraint(fk))
            for index in table.indexes:
                index.create(conn)


def _upgraded(url: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Migrate a cached database to the newest schema and refresh the planner's statistics."""
    engine = make_engine(url, poolclass=NullPool)
    upgrade(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()
    closing = _close_weeks(url, date.fromisoformat(meta["anchor"]))
    return {**meta, "revision": head_revision(), "upgraded_from": meta["revision"], "close_weeks_seconds": closing}


def drop_pg(pg_url: str, scale: str, seed: int) -> None:
    """Remove a cached PostgreSQL database (``bench --clean``)."""
    admin = _admin(pg_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{pg_database_name(scale, seed)}" WITH (FORCE)')
    admin.dispose()


def _meta(org: Org, seed: int, seconds: float, closing: float) -> dict[str, Any]:
    return {
        "scale": org.scale.name,
        "seed": seed,
        "revision": head_revision(),
        "anchor": org.anchor.isoformat(),
        "load_seconds": round(seconds, 1),
        "close_weeks_seconds": closing,
        **rows.facts(org),
    }
