"""Backups and restores of the SQLite store, with SQLite's online backup API.

Copying the live file (or its ``-wal`` beside it) while someone writes can give
a corrupt or incomplete copy; the backup API copies a consistent snapshot while
the dashboard keeps running. Restore uses the same API in the other direction,
so connected processes see either the old database or the restored one. For
PostgreSQL use ``pg_dump``/``pg_restore`` (see :data:`POSTGRES_HELP`).

A restore trusts nothing in the file: its schema (tables, columns, indexes,
triggers, views) must be exactly what its Alembic revision creates, because a
crafted file could otherwise carry, say, a trigger copying pulse answers into
the audit log, or be a foreign database that passes a quick look and breaks
every command afterwards.
"""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from db.engine import make_engine
from db.migrate import alembic_config, upgrade

POSTGRES_HELP = (
    "PostgreSQL is backed up with its own tools:\n"
    "  pg_dump --format=custom --file=impact.dump '{url}'\n"
    "and restored with:\n"
    "  pg_restore --clean --if-exists --dbname='{url}' impact.dump\n"
    "then run `python -m engagement init` to bring the schema up to date."
)


class BackupError(RuntimeError):
    """The backup or restore could not be done; nothing was changed."""


def _sqlite_path(engine: Engine) -> str:
    if engine.dialect.name != "sqlite":
        raise BackupError(POSTGRES_HELP.format(url=engine.url.render_as_string(hide_password=True)))
    assert engine.url.database
    return engine.url.database


def backup(engine: Engine, target: Path) -> int:
    """Write a consistent copy of the database to ``target``; return its size in bytes."""
    source = _sqlite_path(engine)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source, timeout=15)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
    check(target)
    return target.stat().st_size


def check(path: Path) -> str | None:
    """Raise unless ``path`` is an intact Impact Board database; return its schema revision."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            status = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            revision = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
                if "alembic_version" in tables
                else None
            )
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path} is not a readable SQLite database ({e})") from None
    if status != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {status}")
    if revision is None or "results" not in tables:
        raise BackupError(f"{path} is not an Impact Board database")
    return str(revision)


Schema = dict[tuple[str, str], tuple[str, str, tuple[tuple[object, ...], ...]]]


def schema_of(conn: sqlite3.Connection) -> Schema:
    """Every table, index, trigger and view as (type, name) -> (table, normalised SQL, columns).

    SQLite's own objects (``sqlite_sequence``, ``sqlite_stat1``, autoindexes) are left out:
    they follow from the rest or from ``ANALYZE``, not from the migrations.
    """
    schema: Schema = {}
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    )
    for kind, name, table, sql in rows.fetchall():
        columns = tuple(tuple(c) for c in conn.execute(f'PRAGMA table_info("{name}")')) if kind == "table" else ()
        schema[(kind, name)] = (table, " ".join((sql or "").split()), columns)
    return schema


def expected_schema(revision: str) -> Schema:
    """The schema a fresh SQLite database has once migrated to ``revision``."""
    with tempfile.TemporaryDirectory(prefix="impact-schema-") as folder:
        fresh = make_engine(f"sqlite:///{Path(folder) / 'expected.db'}")
        try:
            upgrade(fresh, revision)
        finally:
            fresh.dispose()
        with closing(sqlite3.connect(Path(folder) / "expected.db")) as conn:
            return schema_of(conn)


def schema_differences(found: Schema, expected: Schema) -> list[str]:
    """What differs, named for a person: "unexpected trigger tr_x", "missing table results"."""
    order = {"table": 0, "view": 1, "index": 2, "trigger": 3}

    def named(keys: set[tuple[str, str]]) -> list[tuple[str, str]]:
        return sorted(keys, key=lambda k: (order.get(k[0], 9), k[1]))

    problems = [f"missing {kind} {name}" for kind, name in named(expected.keys() - found.keys())]
    problems += [f"unexpected {kind} {name}" for kind, name in named(found.keys() - expected.keys())]
    problems += [
        f"altered {kind} {name}"
        for kind, name in named(found.keys() & expected.keys())
        if found[(kind, name)] != expected[(kind, name)]
    ]
    return problems


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's contents with the backup ``source``, then migrate it to head.

    The file is first copied to a snapshot beside the live database, and the snapshot is
    what is checked and put in place, so the file cannot change between check and use.
    Every refusal leaves the live database untouched.
    """
    target = _sqlite_path(engine)
    revision = check(source)
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}
    if revision not in known:
        raise BackupError(f"{source} was made by a newer Impact Board (schema {revision}); upgrade first")
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=Path(target).parent) as folder:
        snapshot = Path(folder) / "snapshot.db"
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(snapshot)) as copy,
        ):
            src.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        check(snapshot)
        with closing(sqlite3.connect(snapshot)) as copy:
            problems = schema_differences(schema_of(copy), expected_schema(revision))
            page_size = copy.execute("PRAGMA page_size").fetchone()[0]
        if problems:
            raise BackupError(
                f"{source} does not have the schema of Impact Board revision {revision}: " + "; ".join(problems)
            )
        with closing(sqlite3.connect(target, timeout=15)) as live:
            live_page_size = live.execute("PRAGMA page_size").fetchone()[0]
            wal = live.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        if wal and page_size != live_page_size:
            raise BackupError(
                f"{source} uses {page_size}-byte pages but the live database uses {live_page_size}-byte pages,"
                " and SQLite cannot restore across page sizes in WAL mode; nothing was changed"
            )
        engine.dispose()
        try:
            with closing(sqlite3.connect(snapshot)) as src, closing(sqlite3.connect(target, timeout=15)) as dst:
                src.backup(dst)
        except sqlite3.Error as e:
            raise BackupError(f"could not restore {source} ({e}); nothing was changed") from None
    upgrade(engine)
