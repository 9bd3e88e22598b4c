"""Migrations: empty to head on both stores, models and migrations agree, and no surprises."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, make_url, select, text
from sqlalchemy.pool import NullPool

from db.engine import make_engine, unit_of_work
from db.migrate import SchemaTooNew, alembic_config, current_revision, head_revision, is_current, upgrade
from db.models import Base, ImpactFactor, Person
from engagement import impact
from engagement.access import SYSTEM
from tests.conftest import PG_SKIP, PG_URL

TABLES = set(Base.metadata.tables) | {"alembic_version"}


def _admin() -> Engine:
    return make_engine(PG_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    name = f"impact_empty_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_brings_an_empty_database_to_head(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert is_current(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) == TABLES


def test_models_and_migrations_agree(engine: Engine) -> None:
    """What `alembic check` does: autogenerate against the migrated database finds nothing to do."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_named_constraints_survive_on_sqlite(sqlite_engine: Engine) -> None:
    """Batch mode can only rebuild a table without losing constraints that have names."""
    checks = {c["name"] for c in inspect(sqlite_engine).get_check_constraints("results")}
    assert {"ck_results_quantity_positive", "ck_results_status"} <= checks
    uniques = {c["name"] for c in inspect(sqlite_engine).get_unique_constraints("results")}
    assert uniques == {"uq_results_source_ref"}


def test_a_fresh_sqlite_schema_is_written_the_same_on_every_run(tmp_path: Path) -> None:
    # Restore accepts only a file whose schema is exactly what a fresh migration writes; a batch
    # copy of a table writes its CHECK constraints in set order, which hash seeding changes.
    script = (
        "import sqlite3, sys; from db.engine import make_engine; from db.migrate import upgrade; "
        "e = make_engine('sqlite:///' + sys.argv[1]); upgrade(e); e.dispose(); "
        "print(sorted(sqlite3.connect(sys.argv[1]).execute('SELECT type, name, sql FROM sqlite_master')))"
    )
    schemas = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / f"seed-{seed}.db")],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        schemas.add(done.stdout)
    assert len(schemas) == 1


def test_a_schema_newer_than_the_code_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaTooNew, match="9999_from_the_future"):
        upgrade(engine)
    assert current_revision(engine) == "9999_from_the_future"
    assert not is_current(engine)


def test_upgrading_twice_changes_nothing(engine: Engine) -> None:
    before = {table: inspect(engine).get_columns(table) for table in TABLES}
    upgrade(engine)
    upgrade(engine)
    after = {table: inspect(engine).get_columns(table) for table in TABLES}
    assert current_revision(engine) == head_revision()
    assert [str(c) for t in sorted(before) for c in before[t]] == [str(c) for t in sorted(after) for c in after[t]]


def test_default_factors_are_seeded_once(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        assert impact.seed_default_factors(session, SYSTEM) == len(impact.DEFAULT_FACTORS)
    with unit_of_work(engine) as session:
        assert impact.seed_default_factors(session, SYSTEM) == 0
    with unit_of_work(engine, write=False) as session:
        assert len(session.scalars(select(ImpactFactor)).all()) == len(impact.DEFAULT_FACTORS)


def test_downgrade_to_nothing_and_back_to_head(empty_engine: Engine) -> None:
    """Every migration can be undone and redone; on SQLite this exercises batch mode."""
    upgrade(empty_engine)
    command.downgrade(alembic_config(empty_engine), "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_people_who_had_already_left_get_the_day_they_were_deactivated(empty_engine: Engine) -> None:
    """0008 gives each inactive person the day of the audit entry that made them so; active people get none."""
    upgrade(empty_engine, "0007")
    people = (
        "INSERT INTO people (id, email, name, role, work_mode, active, version) "
        "VALUES (:id, :e, :e, 'agent', 'home', :a, 1)"
    )
    audit = (
        "INSERT INTO audit_log (at, actor_label, action, entity, entity_id) VALUES (:at, 'cli', :action, 'person', :id)"
    )
    with empty_engine.begin() as connection:
        for person_id, active in ((1, True), (2, False), (3, False), (4, False)):
            connection.execute(text(people), {"id": person_id, "e": f"p{person_id}@example.org", "a": active})
        for person_id, action, at in (
            (1, "person.create", "2026-01-05 09:00:00"),
            (2, "person.create", "2026-01-05 09:00:00"),
            (2, "person.deactivate", "2026-02-27 23:30:00"),
            (3, "person.create", "2026-01-06 10:00:00"),  # created as someone who had left
        ):
            connection.execute(text(audit), {"at": at, "action": action, "id": person_id})
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        left = dict(connection.execute(select(Person.id, Person.left_on).order_by(Person.id)).tuples().all())
    assert left == {1: None, 2: date(2026, 2, 27), 3: date(2026, 1, 6), 4: None}
