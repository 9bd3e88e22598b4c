"""The store reads the indexes the pages depend on, at a size where the planner's choice matters.

Each test runs the product's own function on a synthetic organisation (the
benchmark's XS: 40,000 results over 10 challenges, analysed like a real
database), records the statements it sends, and asks the engine for their
plans: SQLite's ``EXPLAIN QUERY PLAN``, PostgreSQL's ``EXPLAIN`` (skipped
without TEST_DATABASE_URL). A board must read the partial covering index on
approved results, never the whole results table, and the monthly board must
not fall into SQLite's skip-scan over ``ix_results_person_day`` (the trap that
made it two to four times slower at scale L).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, make_url, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from benchmarks import store
from benchmarks.generate import ROLE_EMAILS, SCALES, organisation
from db.engine import make_engine, unit_of_work
from db.models import Challenge, Kind, Result, Status
from engagement import impact, leaderboards, periods, results
from engagement.access import SYSTEM, actor_for_email
from engagement.leaderboards import Scope
from tests.conftest import PG_SKIP, PG_URL
from tests.loops import each

ANCHOR = date(2026, 11, 25)
PARTIAL = (
    "ix_results_ok_challenge_day",
    "ix_results_ok_day",
    "ix_results_ok_challenge_activity",
    "ix_results_pending_team",
    "ix_results_pending_logged",
    "ix_results_decided",
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bench_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The XS organisation, loaded and analysed once per store for this module."""
    org = organisation(SCALES["XS"], seed=1, anchor=ANCHOR)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'plans.db'}"
        store.load(url, org)
        engine = make_engine(url)
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    name = f"impact_plans_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    store.load(url, org)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def plans(engine: Engine, call: Callable[[Session], Any]) -> list[str]:
    """The plan of every statement ``call`` sends that reads results or a rollup of them, one string each."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        reads = "results" in statement or "impact_monthly" in statement
        if reads and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with unit_of_work(engine, write=False) as session:
            call(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        found = ["\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + st, p).all()) for st, p in seen]
    assert found, "the call read results"
    return found


def full_scans(plan: str) -> list[str]:
    """Lines that read the whole results table (a partial index of pending or approved rows is fine)."""
    lines = plan.splitlines()
    sqlite = [ln for ln in lines if ln.startswith("SCAN results") and not any(ix in ln for ix in PARTIAL)]
    postgres = [ln for ln in lines if "Seq Scan on results" in ln]
    return sqlite + postgres


def uses(plan: str, index: str) -> bool:
    return index in plan


@pytest.fixture(scope="module")
def landmarks(bench_engine: Engine) -> dict[str, Any]:
    with unit_of_work(bench_engine, write=False) as session:
        counts = dict(
            session.execute(
                select(Result.challenge_id, text("count(*)"))
                .where(Result.status == Status.APPROVED)
                .group_by(Result.challenge_id)
            ).all()
        )
        ordered = sorted(counts, key=counts.__getitem__)
        typical = session.get(Challenge, ordered[len(ordered) // 2])
        assert typical is not None
        window = (typical.starts_on, min(typical.ends_on, ANCHOR))
        me = actor_for_email(session, ROLE_EMAILS[leaderboards.Role.AGENT])
    month = periods.this_month(ANCHOR)
    return {"challenge": Scope(typical.id, *window), "month": Scope(start=month.start, end=month.end), "me": me}


def test_a_challenge_board_reads_the_challenge_index_only(bench_engine: Engine, landmarks: dict[str, Any]) -> None:
    for plan in each(plans(bench_engine, lambda s: leaderboards.team_leaderboard(s, SYSTEM, landmarks["challenge"]))):
        assert uses(plan, "ix_results_ok_challenge_day"), plan
        assert not full_scans(plan), plan


@pytest.mark.parametrize(
    "call",
    [
        lambda s, lm: leaderboards.team_leaderboard(s, SYSTEM, lm["month"]),
        lambda s, lm: leaderboards.person_leaderboard(s, SYSTEM, lm["month"], 20),
        lambda s, lm: leaderboards.standing(s, lm["me"], lm["month"]),
    ],
    ids=["team board", "person board", "standing"],
)
def test_the_monthly_boards_read_the_day_index_without_a_skip_scan(
    bench_engine: Engine, landmarks: dict[str, Any], call: Callable[[Session, dict[str, Any]], Any]
) -> None:
    for plan in each(plans(bench_engine, lambda s: call(s, landmarks))):
        assert uses(plan, "ix_results_ok_day"), plan
        assert not uses(plan, "ix_results_person_day"), plan
        assert not full_scans(plan), plan


def test_a_standing_in_a_challenge_reads_results_once(bench_engine: Engine, landmarks: dict[str, Any]) -> None:
    (plan,) = plans(bench_engine, lambda s: leaderboards.standing(s, landmarks["me"], landmarks["challenge"]))
    assert uses(plan, "ix_results_ok_challenge_day") and not full_scans(plan), plan


def test_impact_reads_the_kind_rollup_and_the_day_index_for_partial_months(bench_engine: Engine) -> None:
    """Whole months from the per-kind rollup (not the five times larger per-challenge one), the rest by day."""
    start, end = ANCHOR - timedelta(days=200), ANCHOR - timedelta(days=3)
    found = plans(bench_engine, lambda s: impact.impact_report(s, SYSTEM, impact.ImpactBy.TEAM, start, end))
    for plan in each(found):
        assert not full_scans(plan) and "results_monthly" not in plan, plan
        assert "impact_monthly" in plan or uses(plan, "ix_results_ok_day"), plan
    assert any("impact_monthly" in plan for plan in found), found


def test_a_challenges_impact_reads_the_challenge_rollup(bench_engine: Engine, landmarks: dict[str, Any]) -> None:
    challenge = landmarks["challenge"].challenge_id
    for plan in each(plans(bench_engine, lambda s: impact.challenge_impact(s, SYSTEM, challenge))):
        assert not full_scans(plan) and "ix_results_monthly_challenge_team" in plan, plan


def test_the_approvals_queue_reads_the_pending_indexes(bench_engine: Engine) -> None:
    """Oldest first from the pending index, stopping after a page; the count reads the pending index alone."""
    queue, *twins = plans(bench_engine, lambda s: results.pending_entries(s, SYSTEM))
    assert uses(queue, "ix_results_pending_logged") and not full_scans(queue), queue
    assert not [plan for plan in twins if full_scans(plan)], twins
    (count,) = plans(bench_engine, lambda s: results.pending_count(s, SYSTEM))
    assert uses(count, "ix_results_pending") and not full_scans(count), count


def test_a_volunteering_breakdown_reads_its_own_index(bench_engine: Engine) -> None:
    with unit_of_work(bench_engine, write=False) as session:
        challenge = session.scalar(select(Challenge.id).where(Challenge.kind == Kind.VOLUNTEERING).limit(1))
    assert challenge is not None
    (plan,) = plans(bench_engine, lambda s: results.volunteering_breakdown(s, challenge))
    assert uses(plan, "ix_results_ok_challenge_activity") and not full_scans(plan), plan


def test_plans_are_taken_on_analysed_data(bench_engine: Engine) -> None:
    """Guard the guard: the planner has statistics, so the plans above are its real choice."""
    with bench_engine.connect() as conn:
        if bench_engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'results'").scalar()
        else:
            assert (
                conn.exec_driver_sql("SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'results'").scalar()
                == SCALES["XS"].results
            )
