"""Fixtures: every test that touches the store starts from an empty, migrated database.

Store tests run on SQLite always and on PostgreSQL too when TEST_DATABASE_URL
names a server (``.ci/run`` does); without it the PostgreSQL runs skip with the
reason. On SQLite each test gets its own file, copied from a template migrated
once per session with the product's own migrations; on PostgreSQL each test
process migrates its own database and every test empties it before it starts.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.pool import NullPool

from db.engine import make_engine
from db.migrate import current_revision, head_revision, upgrade
from db.models import Base

pytest_plugins = ["tests.browser_fixtures"]

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PG_SKIP = "PostgreSQL runs need TEST_DATABASE_URL=postgresql+psycopg://user@host/db (.ci/run sets it)"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return str(path)


def _admin_engine() -> Engine:
    return make_engine(PG_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database of this test process's own, dropped at the end.

    Creating and dropping a PostgreSQL database costs about a second on this
    class of machine, so each process migrates one and every test empties it
    first (see :func:`fresh_database_url`) instead of building its own.
    """
    if not PG_URL:
        pytest.skip(PG_SKIP)
    name = f"impact_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, poolclass=NullPool)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty(url: str) -> None:
    """Return the database to what `init` builds: no rows anywhere, counters reset.

    Connections an earlier test left open are closed first, so their locks
    cannot leak into this test; a schema an earlier test migrated elsewhere
    (down, or to a "future" revision) is rebuilt from the migrations.
    """
    engine = make_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        )
    if current_revision(engine) != head_revision():
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
    with engine.connect() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def fresh_database_url(request: pytest.FixtureRequest, store: str, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL to an empty, migrated database: a copied SQLite file, or the emptied PostgreSQL one."""
    if store == "sqlite":
        path = tmp_path / "impact.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_database")
    _empty(url)
    yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL to a fresh, migrated database of each store."""
    yield from fresh_database_url(request, request.param, tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A fresh SQLite database, for tests of SQLite-only behaviour."""
    url = next(fresh_database_url(request, "sqlite", tmp_path))
    eng = make_engine(url)
    yield eng
    eng.dispose()
