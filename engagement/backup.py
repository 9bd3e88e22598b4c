"""Backups and restores of the SQLite store, with SQLite's online backup API.

Copying the live file (or its ``-wal`` beside it) while someone writes can give
a corrupt or incomplete copy; the backup API copies a consistent snapshot while
the dashboard keeps running. Restore uses the same API in the other direction,
so connected processes see either the old database or the restored one. For
PostgreSQL use ``pg_dump``/``pg_restore`` (see :data:`POSTGRES_HELP`).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine

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


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's contents with the backup ``source``, then migrate it to head."""
    target = _sqlite_path(engine)
    revision = check(source)
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}
    if revision not in known:
        raise BackupError(f"{source} was made by a newer Impact Board (schema {revision}); upgrade first")
    engine.dispose()
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target, timeout=15)) as dst:
        src.backup(dst)
    upgrade(engine)
