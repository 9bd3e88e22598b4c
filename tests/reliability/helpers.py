"""Shared tools for the reliability tests: table checksums, the real command line, a small org."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from db.engine import PROJECT_ROOT, make_engine
from db.models import AuditEntry, Base, Result, Role

# A challenge window wholly in the past, so no test depends on today's date.
WINDOW = (date(2025, 1, 1), date(2025, 12, 31))
CLI_TIMEOUT = 120


def checksums(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row (in primary-key order) of every table.

    Two equal results mean nothing at all was written in between: the "nothing
    written" of a refused input, or the exact round trip of a restore.
    """
    out: dict[str, tuple[int, str]] = {}
    names = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name not in names:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            n = 0
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                n += 1
            out[table.name] = (n, digest.hexdigest())
        if "alembic_version" in names:
            out["alembic_version"] = (1, str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar()))
    return out


def checksums_of(url: str) -> dict[str, tuple[int, str]]:
    engine = make_engine(url)
    try:
        return checksums(engine)
    finally:
        engine.dispose()


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def cli(
    url: str, *args: str, stdin: str | None = None, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m engagement ARGS`` as a real process on the store at ``url``."""
    return subprocess.run(
        [sys.executable, "-m", "engagement", *args],
        cwd=PROJECT_ROOT,
        env=cli_env(url),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env["DATABASE_URL"] = url
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return env


def no_traceback(process: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in process.stderr + process.stdout, process.stderr


def count_results(session: Session, **where: object) -> int:
    query = select(func.count()).select_from(Result)
    for column, value in where.items():
        query = query.where(getattr(Result, column) == value)
    return session.scalar(query) or 0


def count_audit(session: Session, action: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


@dataclass(frozen=True)
class SmallOrg:
    """People p0..pN-1 in five teams, one lead each, and one energy challenge over :data:`WINDOW`."""

    people: list[int]
    emails: list[str]
    challenge: int
    slug: str = "home-energy"


def build_org(session: Session, n_people: int = 50) -> SmallOrg:
    from tests.factories import make_challenge, make_person

    challenge = make_challenge(session, slug="home-energy", starts_on=WINDOW[0], ends_on=WINDOW[1])
    emails = [f"p{i}@example.org" for i in range(n_people)]
    people = []
    for i, email in enumerate(emails):
        role = Role.LEAD if i < 5 else Role.AGENT
        actor = make_person(session, team=f"Team {i % 5}", email=email, name=f"Person {i:03d}", role=role)
        assert actor.person_id is not None
        people.append(actor.person_id)
    return SmallOrg(people, emails, challenge)


def results_csv(path: Path, emails: list[str], rows: int, prefix: str, *, note: str = "") -> Path:
    """A results file of ``rows`` valid rows, each with a unique ``ref`` starting ``prefix``."""
    days = (WINDOW[1] - WINDOW[0]).days
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("email,challenge,quantity,occurred_on,ref,note\n")
        for i in range(rows):
            day = date.fromordinal(WINDOW[0].toordinal() + (i * 7) % days)
            f.write(f"{emails[i % len(emails)]},home-energy,{1 + i % 7},{day.isoformat()},{prefix}-{i},{note}\n")
    return path
