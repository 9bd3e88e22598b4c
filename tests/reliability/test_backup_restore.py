"""Backups that restore exactly, and migrations that keep every row.

- ``python -m engagement backup FILE`` then ``restore FILE`` gives back the
  demo database exactly: every table's rows, and the leaderboards, morale and
  impact figures (compared as JSON) taken at backup time.
- A backup taken while writers commit passes SQLite's integrity check and
  holds each transaction wholly or not at all.
- ``restore`` refuses a corrupt file, a file that is not an Impact Board
  database, one from a newer schema, a foreign file dressed as ours (an
  ``alembic_version`` and a ``results`` table), a real backup carrying an
  extra trigger, and a page size SQLite cannot restore across, each with a
  message naming the problem, and changes nothing; ``backup`` refuses to
  overwrite a file.
- On PostgreSQL both commands print how to use pg_dump, without the password.
- A database at every earlier schema revision, holding awkward data, upgrades
  to head with every row and column value unchanged and no dangling foreign key.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, Table, insert, inspect, make_url, select, text
from sqlalchemy.pool import NullPool

from db.engine import make_engine, unit_of_work
from db.migrate import alembic_config, head_revision, upgrade
from db.models import Kind, Person, Role, Status
from engagement import backup, challenges, impact, leaderboards, morale, organisation, periods, pulse, results, settings
from engagement.access import SYSTEM, Actor
from tests.conftest import PG_SKIP, PG_URL
from tests.loops import each
from tests.reliability.helpers import build_org, changed_tables, checksums_of, cli, no_traceback

# -- golden outputs ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Fraction):  # impact figures are exact: compared exactly
        return f"{value.numerator}/{value.denominator}"
    return value


def outputs(url: str) -> str:
    """Every board, morale view and impact report the demo offers, as one JSON document."""
    engine = make_engine(url)
    try:
        with unit_of_work(engine, write=False) as session:
            today = periods.today(settings.load(session).zone)
            scopes = [leaderboards.Scope()] + [leaderboards.Scope(c.id) for c in challenges.list_challenges(session)]
            doc = {
                "teams": [
                    leaderboards.team_leaderboard(session, SYSTEM, scope, rank)
                    for scope in scopes
                    for rank in leaderboards.RankBy
                ],
                "people": [leaderboards.person_leaderboard(session, SYSTEM, scope) for scope in scopes],
                "morale": [
                    morale.weekly_morale(session, SYSTEM, by, today - timedelta(weeks=26), today)
                    for by in morale.GroupBy
                ],
                "alerts": morale.alerts(session, SYSTEM),
                "impact": [impact.impact_report(session, SYSTEM, by, None, None) for by in impact.ImpactBy],
            }
    finally:
        engine.dispose()
    return json.dumps(_plain(doc), sort_keys=True, ensure_ascii=False)


def change_everything(url: str) -> None:
    """What happens after a backup: results, a rename, a pulse answer, a setting."""
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            person = session.scalars(select(Person).where(Person.role == Role.AGENT, Person.active)).first()
            assert person is not None
            today = periods.today(settings.load(session).zone)
            for c in challenges.list_challenges(session, open_on=today):
                results.record_result(
                    session, SYSTEM, results.ResultInput(person.id, c.id, 1.0, today - timedelta(days=1))
                )
            organisation.update_person(session, SYSTEM, person.id, person.version, name="Renamed After Backup")
            pulse.answer_pulse(session, Actor.of(person), 1, 0, "after the backup")
            settings.update(session, SYSTEM, anonymity_threshold=7)
    finally:
        engine.dispose()


def test_backup_then_restore_gives_back_the_demo_exactly(demo_url: str, tmp_path: Path) -> None:
    golden_tables, golden = checksums_of(demo_url), outputs(demo_url)
    (tmp_path / "golden.json").write_text(golden, encoding="utf-8")
    file = tmp_path / "backups" / "impact-backup.db"

    made = cli(demo_url, "backup", str(file))
    no_traceback(made)
    assert made.returncode == 0, made.stderr
    assert "integrity ok" in made.stdout

    change_everything(demo_url)
    assert changed_tables(golden_tables, checksums_of(demo_url))
    assert outputs(demo_url) != golden

    restored = cli(demo_url, "restore", str(file), "--yes")
    no_traceback(restored)
    assert restored.returncode == 0, restored.stderr
    assert changed_tables(golden_tables, checksums_of(demo_url)) == []
    assert outputs(demo_url) == (tmp_path / "golden.json").read_text(encoding="utf-8")


def test_backup_refuses_to_overwrite_a_file(demo_url: str, tmp_path: Path) -> None:
    existing = tmp_path / "keep.db"
    existing.write_bytes(b"precious")
    refused = cli(demo_url, "backup", str(existing))
    no_traceback(refused)
    assert refused.returncode != 0
    assert "already exists" in refused.stderr
    assert existing.read_bytes() == b"precious"


@pytest.mark.slow
def test_a_backup_taken_while_writers_commit_is_intact_and_holds_whole_transactions(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    with unit_of_work(sqlite_engine) as session:
        org = build_org(session, 20)
    batch, stop = 40, threading.Event()
    committed: list[str] = []

    def write_batches(n: int) -> None:
        for i in range(200):
            if stop.is_set():
                return
            tag = f"w{n}-{i}"
            rows = [
                results.ResultInput(org.people[5 + j % 15], org.challenge, 1.0, date(2025, 6, 2), ref=f"{tag}-{j}")
                for j in range(batch)
            ]
            with unit_of_work(sqlite_engine) as session:
                results.record_results(session, SYSTEM, rows, source="batch")
            committed.append(tag)

    writers = [threading.Thread(target=write_batches, args=(n,)) for n in range(3)]
    for w in writers:
        w.start()
    try:
        backups = []
        for n in range(2):
            file = tmp_path / f"during-{n}.db"
            made = cli(url, "backup", str(file))
            assert made.returncode == 0, made.stderr
            backups.append(file)
    finally:
        stop.set()
        for w in writers:
            w.join(60)
    assert committed, "the writers never committed"
    for file in each(backups):
        with closing(sqlite3.connect(file)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            sizes = conn.execute(
                "SELECT substr(ref, 1, instr(ref, '-') + instr(substr(ref, instr(ref, '-') + 1), '-') - 1), count(*)"
                " FROM results WHERE source = 'batch' GROUP BY 1"
            ).fetchall()
            audited = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'result.create'").fetchone()[0]
            stored = conn.execute("SELECT count(*) FROM results").fetchone()[0]
        assert all(n == batch for _, n in each(sizes)), [s for s in sizes if s[1] != batch][:3]
        assert audited == stored


# -- restore refuses what it cannot trust ----------------------------------------------


def _corrupt_copy(good: Path, target: Path) -> Path:
    """A real backup with garbage written over pages in its middle."""
    data = bytearray(good.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8192] = b"\xde\xad\xbe\xef" * 2048
    target.write_bytes(bytes(data))
    return target


def _newer_schema_copy(good: Path, target: Path) -> Path:
    shutil.copyfile(good, target)
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        conn.commit()
    return target


def _not_ours(_good: Path, target: Path) -> Path:
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.commit()
    return target


def _dressed_as_ours(good: Path, target: Path) -> Path:
    """A foreign file with just what a quick look checks: our revision and a ``results`` table."""
    with closing(sqlite3.connect(good)) as conn:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
        conn.execute("CREATE TABLE results (id INTEGER PRIMARY KEY, quantity REAL)")
        conn.commit()
    return target


def _with_a_spy_trigger(good: Path, target: Path) -> Path:
    """A real backup that, once restored, would copy every pulse answer into the audit log."""
    shutil.copyfile(good, target)
    with closing(sqlite3.connect(target)) as conn:
        conn.execute(
            "CREATE TRIGGER tr_x AFTER INSERT ON pulse_responses BEGIN"
            " INSERT INTO audit_log (at, actor_id, action, entity, entity_id, after)"
            " VALUES (CURRENT_TIMESTAMP, NEW.person_id, 'pulse', 'pulse', NEW.id, NEW.score); END"
        )
        conn.commit()
    return target


def _other_page_size(good: Path, target: Path) -> Path:
    """A real backup rewritten with 8 KiB pages; the live WAL database has SQLite's default 4 KiB."""
    shutil.copyfile(good, target)
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA page_size=8192")
        conn.execute("VACUUM")
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 8192
    return target


BAD_BACKUPS = {
    "random bytes": (lambda _good, t: (t.write_bytes(uuid.uuid4().bytes * 4096), t)[1], "not a readable SQLite"),
    "truncated": (
        lambda good, t: (t.write_bytes(good.read_bytes()[: good.stat().st_size // 3]), t)[1],
        "integrity|not a readable|malformed",
    ),
    "pages overwritten": (_corrupt_copy, "integrity|not a readable|malformed"),
    "newer schema": (_newer_schema_copy, "newer Impact Board"),
    "another program's database": (_not_ours, "not an Impact Board database"),
    "foreign file dressed as ours": (_dressed_as_ours, "missing table people"),
    "real backup with an extra trigger": (_with_a_spy_trigger, "unexpected trigger tr_x"),
    "another page size": (_other_page_size, "8192-byte pages but the live database uses 4096-byte pages"),
}


@pytest.mark.parametrize("case", list(BAD_BACKUPS))
def test_restore_refuses_a_file_it_cannot_trust_and_changes_nothing(demo_url: str, tmp_path: Path, case: str) -> None:
    good = tmp_path / "good.db"
    engine = make_engine(demo_url)
    backup.backup(engine, good)
    engine.dispose()
    make, message = BAD_BACKUPS[case]
    bad = make(good, tmp_path / "bad.db")
    before = checksums_of(demo_url)

    refused = cli(demo_url, "restore", str(bad), "--yes")
    no_traceback(refused)
    assert refused.returncode != 0
    assert any(part in refused.stderr for part in message.split("|")), refused.stderr
    assert changed_tables(before, checksums_of(demo_url)) == []


def test_postgresql_backup_and_restore_explain_pg_dump_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://impact:s3cret-pw@127.0.0.1:5432/impact"
    somefile = tmp_path / "x.dump"
    somefile.write_bytes(b"dump")
    for args in (("backup", str(tmp_path / "new.dump")), ("restore", str(somefile), "--yes")):
        told = cli(url, *args)
        no_traceback(told)
        assert told.returncode != 0
        assert "pg_dump" in told.stderr and "pg_restore" in told.stderr
        assert "s3cret-pw" not in told.stderr + told.stdout
    assert not (tmp_path / "new.dump").exists()


# -- migrations keep every row ----------------------------------------------------------


def _revisions() -> list[str]:
    """Every revision but head, oldest first."""
    config = alembic_config(make_engine("sqlite://"))
    walked = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]
    return [r for r in reversed(walked) if r != head_revision()]


LONG_TEXT = ("Zoë’s «note» — 100% 🌳; " * 400)[:5000]
WHEN = datetime(2025, 3, 3, 9, 30)


def awkward_rows(n_results: int = 10_000) -> dict[str, list[dict[str, Any]]]:
    """Rows for every table any revision has, with every column any revision has; unknown ones are dropped."""
    names = ["Zoë Ñúñez", "李小龙", "O'Brien-Smith", "Ana 🌳", "X" * 100, "أحمد", "Łukasz Żółć", "ﬁnn"]
    people = []
    for i in range(30):
        people.append(
            {
                "id": i + 1,
                "email": ("a" * 64 + "@" + "b" * 180 + f".example{i:02d}")[:254] if i == 0 else f"p{i}@example.org",
                "name": names[i % len(names)],
                "role": ["agent", "lead", "manager", "admin"][i % 4] if i % 4 != 2 or i < 20 else "agent",
                "team_id": None if i % 4 == 2 else 1 + i % 3,
                "site_id": None if i % 5 == 0 else 1 + i % 2,
                "work_mode": "home" if i % 2 else "centre",
                "timezone": None if i % 3 else "Asia/Manila",
                "active": i % 7 != 0,
                "version": 1 + i % 3,
            }
        )
    memberships = [
        {"id": i + 1, "person_id": p["id"], "team_id": p["team_id"], "valid_from": date(2024, 1, 1), "valid_to": None}
        for i, p in enumerate(people)
        if p["team_id"] is not None
    ]
    memberships.append(
        {"id": 999, "person_id": 2, "team_id": 3, "valid_from": date(2023, 1, 1), "valid_to": date(2024, 1, 1)}
    )
    members = [p for p in people if p["team_id"] is not None]
    statuses = ["approved", "pending", "rejected", "voided"]
    result_rows = [
        {
            "id": i + 1,
            "person_id": members[i % len(members)]["id"],
            "challenge_id": 1 + i % 2,
            "team_id": members[i % len(members)]["team_id"] if i % 11 else None,
            "quantity": [0.001, 1.0, 2.5, 999.999, 1 / 3][i % 5],
            "occurred_on": date(2025, 1, 1) + timedelta(days=i % 300),
            "note": LONG_TEXT if i % 997 == 0 else ("" if i % 2 else f"nota {i} — ünïcödé"),
            "status": statuses[i % 4],
            "organisation": None if i % 3 else "Traducteurs sans frontières",
            "activity_type": None if i % 3 else "interpreting",
            "logged_by_id": None if i % 2 else 2,
            "logged_at": WHEN + timedelta(minutes=i),
            "source": "csv" if i % 2 else "manual",
            "ref": f"ref-{i}" if i % 2 else None,
            "decided_by_id": 2 if i % 4 in (0, 2) else None,
            "decided_at": WHEN if i % 4 in (0, 2) else None,
            "decision_reason": "«duplicate»" if i % 4 == 2 else None,
            "version": 1 + i % 2,
        }
        for i in range(n_results)
    ]
    monday = date(2025, 3, 3)
    answers = [
        {
            "id": i + 1,
            "person_id": p["id"],
            "team_id": p["team_id"],
            "week_start": monday + timedelta(weeks=w),
            "score": 1 + (i + w) % 5,
            "enps": None if i % 4 == 0 else (i * 3 + w) % 11,
            "comment": "" if i % 2 else "Ça va — 👍",
        }
        for w in range(3)
        for i, p in enumerate(members)
    ]
    for n, a in enumerate(answers):
        a["id"] = n + 1
    weekly: dict[tuple[int, date], dict[str, Any]] = {}
    for a in answers:
        row = weekly.setdefault(
            (a["team_id"], a["week_start"]),
            {
                "team_id": a["team_id"],
                "week_start": a["week_start"],
                "responses": 0,
                "score_sum": 0,
                "enps_answers": 0,
                "promoters": 0,
                "detractors": 0,
            },
        )
        row["responses"] += 1
        row["score_sum"] += a["score"]
        if a["enps"] is not None:
            row["enps_answers"] += 1
            row["promoters"] += a["enps"] >= 9
            row["detractors"] += a["enps"] <= 6
    return {
        "sites": [{"id": 1, "name": "Leeds"}, {"id": 2, "name": "Zürich – Nord 🌍"}],
        "teams": [
            {"id": 1, "name": "Cedar", "site_id": 1, "active": True},
            {"id": 2, "name": "Ñandú «équipe»", "site_id": None, "active": True},
            {"id": 3, "name": "T" * 100, "site_id": 2, "active": False},
        ],
        "people": people,
        "team_memberships": memberships,
        "challenges": [
            {
                "id": 1,
                "slug": "home-energy",
                "name": "Énergie à la maison",
                "kind": "energy",
                "unit": "kWh",
                "points_per_unit": 1.5,
                "starts_on": date(2025, 1, 1),
                "ends_on": date(2025, 12, 31),
                "daily_cap": None,
                "team_target": 5000.0,
                "auto_approve_up_to": None,
                "description": LONG_TEXT,
                "version": 3,
            },
            {
                "id": 2,
                "slug": "v" * 60,
                "name": "Volunteering 🤝",
                "kind": "volunteering",
                "unit": "hours",
                "points_per_unit": 10.0,
                "starts_on": date(2025, 1, 1),
                "ends_on": date(2025, 12, 31),
                "daily_cap": 8.0,
                "team_target": None,
                "auto_approve_up_to": 2.0,
                "description": "",
                "version": 1,
            },
        ],
        "results": result_rows,
        "pulse_responses": answers,
        "pulse_weekly": list(weekly.values()),
        "impact_factors": [
            {
                "id": 1,
                "kind": "energy",
                "value": 0.177,
                "unit": "kg CO2e per kWh",
                "region": "United Kingdom",
                "year": 2025,
                "source": "DESNZ «2025» — conversion factors",
                "in_use": True,
                "version": 1,
            },
            {
                "id": 2,
                "kind": "energy",
                "value": 0.4,
                "unit": "kg CO2e per kWh",
                "region": "Pilipinas",
                "year": 2024,
                "source": "x" * 1000,
                "in_use": False,
                "version": 2,
            },
        ],
        "impact_factor_periods": [
            {"id": 1, "kind": "energy", "region": "", "valid_from": date(2025, 1, 1), "factor_id": 1},
            {"id": 2, "kind": "energy", "region": "Pilipinas", "valid_from": date(2024, 1, 1), "factor_id": 2},
        ],
        "pulse_weeks": [{"week_start": date(2025, 3, 3), "closed_at": WHEN, "threshold": 6}],
        "morale_cells": [
            {
                "grouping": "team",
                "week_start": date(2025, 3, 3),
                "group_id": 1,
                "name": "Cedar",
                "site_id": 1,
                "site_name": "Leeds",
                "responses": 6,
                "score_sum": 23,
                "avg_score": 23 / 6,
                "enps": 100 / 6,
                "invited": 9,
                "reason": None,
            },
            {
                "grouping": "team",
                "week_start": date(2025, 3, 3),
                "group_id": 2,
                "name": "Ñandú «équipe»",
                "site_id": None,
                "site_name": None,
                "responses": None,
                "score_sum": None,
                "avg_score": None,
                "enps": None,
                "invited": None,
                "reason": "too few answers",
            },
        ],
        "settings": [{"key": "timezone", "value": "Asia/Manila"}, {"key": "anonymity_threshold", "value": "6"}],
        "audit_log": [
            {
                "id": i + 1,
                "at": WHEN,
                "actor_id": None if i % 2 else 2,
                "actor_label": "cli" if i % 2 else "ä@x.org",
                "action": "person.update",
                "entity": "person",
                "entity_id": 1 + i % 30,
                "before": json.dumps({"name": "Zoë"}, ensure_ascii=False),
                "after": None if i % 3 else '{"name": "李"}',
                "reason": None if i % 2 else LONG_TEXT[:300],
            }
            for i in range(50)
        ],
        "accounts": [
            {
                "person_id": p["id"],
                "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
                "must_change": bool(p["id"] % 2),
                "changed_at": WHEN,
            }
            for p in people[:10]
        ],
        "login_throttle": [
            {"email": "ñ@example.org", "failures": 3, "locked_until": None},
            {"email": "x@example.org", "failures": 5, "locked_until": WHEN},
        ],
        "sign_in_sessions": [
            {
                "id": i + 1,
                "token_hash": f"{i:064x}",
                "person_id": 1 + i,
                "created_at": WHEN,
                "expires_at": WHEN,
                "last_seen_at": WHEN,
                "ended_at": None if i % 2 else WHEN,
                "end_reason": None if i % 2 else "signed_out",
            }
            for i in range(4)
        ],
        "outbox": [
            {
                "id": i + 1,
                "kind": "pulse_invitation" if i % 2 else "decision",
                "person_id": 1 + i,
                "period": "2026-W49" if i % 2 else str(i),
                "channel": "email",
                "recipient": f"zoë{i}@example.org",
                "subject": "Ñandú «équipe» 李",
                "body_text": LONG_TEXT[:300],
                "body_html": "<h1>Zoë &amp; 李</h1>",
                "message_id": f"<{i}@impact-board>",
                "status": ("pending", "sending", "sent", "failed")[i],
                "attempts": i,
                "next_attempt_at": WHEN,
                "last_error": None if i < 3 else "550 mailbox unavailable",
                "created_at": WHEN,
                "sent_at": WHEN if i == 2 else None,
            }
            for i in range(4)
        ],
        "company_goals": [
            {
                "id": 1,
                "name": "10 000 arbres «d'ici» 李",
                "measure": "trees_planted",
                "target": 10_000.0,
                "starts_on": date(2025, 1, 1),
                "ends_on": date(2025, 12, 31),
                "retired_at": None,
                "version": 1,
            },
            {
                "id": 2,
                "name": "X" * 100,
                "measure": "kg_co2e_avoided",
                "target": 0.5,
                "starts_on": date(2025, 3, 3),
                "ends_on": date(2025, 3, 3),
                "retired_at": WHEN,
                "version": 4,
            },
        ],
    }


# Columns a migration removed on purpose (what they held means nothing any more), not data lost.
RETIRED = {
    "accounts": {"session_epoch"},  # 0009: a sign-in is a row in sign_in_sessions, ended there
    # 0010: the factor in use is each kind's default period from the start (checked after the upgrade).
    "impact_factors": {"in_use"},
}


def _fill(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """Insert ``rows`` into the tables the database has, with the columns it has; return those columns."""
    metadata = MetaData()
    present = set(inspect(engine).get_table_names()) - {"alembic_version"}
    kept: dict[str, list[str]] = {}
    with engine.begin() as conn:
        for name, table_rows in rows.items():
            if name not in present:
                continue
            table = Table(name, metadata, autoload_with=conn)
            columns = [c.name for c in table.columns]
            missing = [
                c.name
                for c in table.columns
                if not c.nullable and c.server_default is None and not c.primary_key and c.name not in table_rows[0]
            ]
            assert not missing, f"teach awkward_rows() the new required columns of {name}: {missing}"
            conn.execute(insert(table), [{k: v for k, v in r.items() if k in columns} for r in table_rows])
            kept[name] = columns
        if engine.dialect.name == "postgresql":
            for name in kept:
                if "id" in kept[name]:
                    conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                    )
    rollups = {"results_monthly", "impact_monthly"}  # the triggers fill them from results
    assert set(rows) >= present - rollups, f"awkward_rows() has no rows for {present - set(rows) - rollups}"
    return kept


def _column_sums(engine: Engine, columns: dict[str, list[str]]) -> dict[str, tuple[int, list[str]]]:
    """Row count and every stored value of the given columns, in primary-key order."""
    metadata = MetaData()
    out = {}
    with engine.connect() as conn:
        for name, cols in columns.items():
            table = Table(name, metadata, autoload_with=conn)
            order = list(table.primary_key.columns)
            rows = conn.execute(select(*(table.c[c] for c in cols)).order_by(*order)).all()
            out[name] = (len(rows), [repr(tuple(r)) for r in rows])
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, on each store."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    name = f"impact_old_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("revision", _revisions())
def test_a_database_at_an_earlier_revision_upgrades_with_every_row_kept(empty_url: str, revision: str) -> None:
    engine = make_engine(empty_url)
    try:
        upgrade(engine, revision)
        filled = _fill(engine, awkward_rows())
        columns = {name: [c for c in cols if c not in RETIRED.get(name, set())] for name, cols in filled.items()}
        before = _column_sums(engine, columns)
        upgrade(engine)
        after = _column_sums(engine, columns)
        changed = [name for name in before if before[name] != after[name]]
        assert changed == [], f"upgrading from {revision} changed {changed}"
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        _figures_match_the_rows(engine)
        if "in_use" in filled.get("impact_factors", []):
            with unit_of_work(engine, write=False) as session:
                uses = [
                    (u.kind.value, u.region, u.valid_from, u.factor.id) for u in impact.factor_uses(session, SYSTEM)
                ]
            assert uses == [("energy", "", impact.BEGINNING, 1)], "the factor in use became the default from the start"
    finally:
        engine.dispose()


def _figures_match_the_rows(engine: Engine) -> None:
    """After the upgrade the domain's totals equal sums over the raw rows (any rollup was backfilled)."""
    with unit_of_work(engine, write=False) as session:
        report = impact.impact_report(session, SYSTEM, impact.ImpactBy.COMPANY, None, None)
        raw = dict(
            session.execute(
                text(
                    "SELECT c.kind, sum(r.quantity) FROM results r JOIN challenges c ON c.id = r.challenge_id"
                    " WHERE r.status = :approved GROUP BY c.kind"
                ),
                {"approved": Status.APPROVED.value},
            ).all()
        )
    total = report.total
    assert total.kwh_saved == pytest.approx(raw.get(Kind.ENERGY.value, 0.0), abs=0.01)
    assert total.volunteer_hours == pytest.approx(raw.get(Kind.VOLUNTEERING.value, 0.0), abs=0.01)
