"""Time what the pages ask the store, through ``engagement``, beside the hand-written SQL.

Every read runs in its own read transaction exactly as ``ui.resources.read``
runs it on a cache miss (Streamlit's cache is not involved); one warm-up, then
the median of ``runs``. Writes are timed through the same functions the pages
and the command line use, and removed again afterwards so a cached database
stays as generated.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from benchmarks.generate import ROLE_EMAILS
from benchmarks.raw import Raw
from db.engine import unit_of_work
from db.models import AuditEntry, Challenge, Result, Role
from engagement import impact, imports, leaderboards, morale, periods, results
from engagement.access import SYSTEM, Actor, actor_for_email
from engagement.leaderboards import Scope

VIEWER = Actor(person_id=None, email="viewer", name="Viewer", role=Role.AGENT)


@dataclass
class Measure:
    """Seconds per run (wall clock, and CPU of this process plus the PostgreSQL backend); figures in ms.

    CPU time is what the work cost whoever else shares the machine; wall time is what a person waits.
    """

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return round(1000 * statistics.median(self.seconds), 2)

    @property
    def cpu_ms(self) -> float:
        return round(1000 * statistics.median(self.cpu), 2)

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return round(1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 2)


class ServerCpu:
    """CPU seconds spent by PostgreSQL backends on our behalf (Linux /proc; 0 for SQLite or elsewhere)."""

    total = 0.0

    @classmethod
    def around(cls, pid: int | None) -> Callable[[], None]:
        start = _scheduled(pid)

        def stop() -> None:
            cls.total += _scheduled(pid) - start

        return stop


def _scheduled(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _backend_pid(dbapi_connection: Any) -> int | None:
    info = getattr(dbapi_connection, "info", None)
    return getattr(info, "backend_pid", None)


def repeat(call: Callable[[], Any], runs: int, warmup: int = 1) -> tuple[Measure, Any]:
    """Run ``call`` ``warmup`` times untimed, then ``runs`` times timed; return the timings and last answer."""
    answer = None
    for _ in range(warmup):
        answer = call()
    measure = Measure()
    for _ in range(runs):
        server, cpu, started = ServerCpu.total, time.process_time(), time.perf_counter()
        answer = call()
        measure.seconds.append(time.perf_counter() - started)
        measure.cpu.append(time.process_time() - cpu + ServerCpu.total - server)
    return measure, answer


@dataclass(frozen=True)
class Question:
    """One thing a page asks: our call and the raw SQL's, each returning a comparable answer."""

    key: str
    label: str
    ours: Callable[[Session], Any]
    raw: Callable[[Raw], Any] | None
    leaderboard: bool = False


@dataclass(frozen=True)
class Context:
    """The data's landmarks: the anchor day, the busiest challenge and who is asking."""

    anchor: date
    challenge: int
    window: tuple[date, date]
    me: Actor
    manager: Actor
    lead: Actor

    @property
    def now(self) -> datetime:
        return datetime.combine(self.anchor, clock(12), UTC)


def context(engine: Engine, meta: dict[str, Any]) -> Context:
    with unit_of_work(engine, write=False) as session:
        challenge = session.get(Challenge, meta["busiest_challenge"])
        assert challenge is not None
        me, manager, lead = (actor_for_email(session, ROLE_EMAILS[r]) for r in (Role.AGENT, Role.MANAGER, Role.LEAD))
    assert me is not None and manager is not None and lead is not None
    anchor = date.fromisoformat(meta["anchor"])
    return Context(anchor, challenge.id, (challenge.starts_on, min(challenge.ends_on, anchor)), me, manager, lead)


def questions(ctx: Context, anonymity: int = 5) -> list[Question]:
    month, week = periods.this_month(ctx.anchor), periods.this_week(ctx.anchor)
    board = Scope(ctx.challenge, *ctx.window)
    all_month = Scope(start=month.start, end=month.end)
    me = ctx.me.person_id or 0
    team = ctx.me.team_id or 0
    last_closed = periods.week_start(ctx.anchor) - timedelta(days=7)
    first_week = last_closed - timedelta(weeks=25)
    year = (ctx.anchor - timedelta(days=364), ctx.anchor)

    def team_rows(rows: list[leaderboards.TeamRow]) -> list[tuple[int, int, float]]:
        return [(r.team_id, r.rank, r.points_per_member) for r in rows]

    def person_rows(rows: list[leaderboards.PersonRow]) -> list[tuple[int, int, float]]:
        return [(r.person_id, r.rank, r.points) for r in rows]

    def mine(row: leaderboards.PersonRow | None) -> tuple[int, float] | None:
        return None if row is None else (row.rank, row.points)

    def standing(s: leaderboards.Standing) -> tuple[Any, ...]:
        above = s.team_above.team_id if s.team_above else None
        return (s.me.rank if s.me else None, s.people_ranked, s.team.rank if s.team else None, s.teams_ranked, above)

    def cells(found: list[morale.Cell], only: int | None = None) -> list[tuple[Any, ...]]:
        return sorted(
            (c.week, c.group_id, c.responses, c.avg_score, c.enps)
            for c in found
            if not c.suppressed and (only is None or c.group_id == only)
        )

    def trend(session: Session, **kw: Any) -> list[morale.Cell]:
        return morale.weekly_morale(
            session, ctx.manager, morale.GroupBy.TEAM, first_week, last_closed + timedelta(days=6), **kw
        )

    def quantities(report: impact.ImpactReport) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for row in report.rows:
            for kind, value in (
                ("energy", row.kwh_saved),
                ("trees", row.trees_planted),
                ("volunteering", row.volunteer_hours),
            ):
                if value:
                    out[(row.group, kind)] = float(value)
        return out

    lb = leaderboards
    return [
        Question(
            "team_board_challenge",
            "Team board, busiest challenge (its window)",
            lambda s: team_rows(lb.team_leaderboard(s, VIEWER, board)),
            lambda r: r.team_board(ctx.challenge, *ctx.window),
            True,
        ),
        Question(
            "team_board_month",
            "Team board, all challenges, this month",
            lambda s: team_rows(lb.team_leaderboard(s, VIEWER, all_month)),
            lambda r: r.team_board(None, month.start, month.end),
            True,
        ),
        Question(
            "person_top_challenge",
            "Person board top 20, busiest challenge",
            lambda s: person_rows(lb.person_leaderboard(s, VIEWER, board, 20)),
            lambda r: r.person_top(ctx.challenge, *ctx.window, 20),
            True,
        ),
        Question(
            "person_top_month",
            "Person board top 20, all challenges, this month",
            lambda s: person_rows(lb.person_leaderboard(s, VIEWER, all_month, 20)),
            lambda r: r.person_top(None, month.start, month.end, 20),
            True,
        ),
        Question(
            "person_row_challenge",
            "My row on the person board, busiest challenge",
            lambda s: mine(lb.person_row(s, VIEWER, board, me)),
            lambda r: r.person_row(ctx.challenge, *ctx.window, me),
            True,
        ),
        Question(
            "person_row_month",
            "My row on the person board, this month",
            lambda s: mine(lb.person_row(s, VIEWER, all_month, me)),
            lambda r: r.person_row(None, month.start, month.end, me),
            True,
        ),
        Question(
            "standing_week",
            "My standing, this week",
            lambda s: standing(lb.standing(s, ctx.me, Scope(start=week.start, end=week.end))),
            lambda r: r.standing(None, week.start, week.end, me, team),
            True,
        ),
        Question(
            "standing_month",
            "My standing, this month",
            lambda s: standing(lb.standing(s, ctx.me, all_month)),
            lambda r: r.standing(None, month.start, month.end, me, team),
            True,
        ),
        Question(
            "standing_challenge",
            "My standing, busiest challenge",
            lambda s: standing(lb.standing(s, ctx.me, board)),
            lambda r: r.standing(ctx.challenge, *ctx.window, me, team),
            True,
        ),
        Question(
            "ranking_month",
            "Shared ranking for My standing, this month",
            lambda s: standing(lb.ranking(s, VIEWER, all_month).standing_of(ctx.me)),
            lambda r: r.ranking(None, month.start, month.end, me, team),
            True,
        ),
        Question(
            "morale_all_teams",
            "Morale trend, all teams, 26 weeks",
            lambda s: cells(trend(s)),
            lambda r: r.morale_by_team(first_week, last_closed, anonymity),
        ),
        Question(
            "morale_one_team",
            "Morale trend, one team, 26 weeks",
            lambda s: cells(morale.team_trend(s, ctx.manager, team, first_week, last_closed + timedelta(days=6))),
            lambda r: r.morale_by_team(first_week, last_closed, anonymity, team),
        ),
        Question(
            "impact_by_team",
            "Impact by team, last 12 months",
            lambda s: quantities(impact.impact_report(s, ctx.manager, impact.ImpactBy.TEAM, *year)),
            lambda r: r.impact_by_team(*year),
        ),
        Question(
            "pending_admin",
            "Approvals queue, every team (admin)",
            lambda s: len(results.pending_entries(s, SYSTEM)),
            None,
        ),
        Question(
            "team_entries",
            "A team's entries, last 30 days (lead)",
            lambda s: len(results.team_entries(s, ctx.lead, ctx.lead.team_id, ctx.anchor - timedelta(30), ctx.anchor)),
            None,
        ),
        Question("my_entries", "My recent entries", lambda s: len(results.entries_for_person(s, ctx.me, me)), None),
    ]


def read_call(engine: Engine, question: Question) -> Callable[[], Any]:
    def call() -> Any:
        with unit_of_work(engine, write=False) as session:
            stop = ServerCpu.around(_backend_pid(session.connection().connection.driver_connection))
            answer = question.ours(session)
            stop()
            return answer

    return call


def raw_call(engine: Engine, question: Question) -> Callable[[], Any]:
    assert question.raw is not None
    ask = question.raw

    def call() -> Any:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            stop = ServerCpu.around(_backend_pid(connection.driver_connection))
            answer = ask(Raw(cursor, engine.dialect.name))
            stop()
            cursor.close()
            connection.rollback()
            return answer
        finally:
            connection.close()

    return call


# -- writes -------------------------------------------------------------------------


def _open_challenge(engine: Engine, ctx: Context) -> Challenge:
    with unit_of_work(engine, write=False) as session:
        challenge = session.scalars(
            select(Challenge)
            .where(Challenge.starts_on <= ctx.anchor, Challenge.ends_on >= ctx.anchor)
            .order_by(Challenge.auto_approve_up_to.is_(None), Challenge.id)
        ).first()
    assert challenge is not None, "the bench data always has running challenges"
    return challenge


def log_one_result(engine: Engine, ctx: Context, count: int) -> Measure:
    """``count`` entries, each logged by an agent in its own write transaction, as My standing does."""
    challenge = _open_challenge(engine, ctx)
    day = min(ctx.anchor, periods.today())
    entry = results.ResultInput(ctx.me.person_id or 0, challenge.id, 1.5, day, "bench")

    def call() -> None:
        with unit_of_work(engine) as session:
            results.record_result(session, ctx.me, entry, source="dashboard")

    measure, _ = repeat(call, count, warmup=20)
    return measure


def import_csv(engine: Engine, ctx: Context, rows: int, runs: int) -> Measure:
    """A ``rows``-row results CSV through :func:`engagement.imports.run_import`, as the CLI and the upload do."""
    challenge = _open_challenge(engine, ctx)
    with unit_of_work(engine, write=False) as session:
        emails = list(
            session.scalars(
                text("SELECT email FROM people WHERE active AND team_id IS NOT NULL ORDER BY id LIMIT 2000")
            )
        )
    start = max(challenge.starts_on, ctx.anchor - timedelta(days=27))
    span = (min(ctx.anchor, periods.today()) - start).days + 1
    attempt = iter(range(1, 1000))

    def call() -> None:
        batch = next(attempt)
        lines = ["email,challenge,quantity,occurred_on,ref"]
        for i in range(rows):
            day = start + timedelta(days=i % span)
            lines.append(
                f"{emails[i % len(emails)]},{challenge.slug},{1 + i % 7}.5,{day.isoformat()},bench-{batch}-{i}"
            )
        data = ("\n".join(lines) + "\n").encode()
        report = imports.run_import(engine, SYSTEM, imports.ImportKind.RESULTS, data)
        assert report.created == rows, report.summary()

    measure, _ = repeat(call, runs)
    return measure


def high_water(engine: Engine) -> tuple[int, int]:
    with unit_of_work(engine, write=False) as session:
        return (session.scalar(select(func.max(Result.id))) or 0, session.scalar(select(func.max(AuditEntry.id))) or 0)


def remove_writes(engine: Engine, since: tuple[int, int]) -> None:
    """Delete what the write timings added, so the cached database stays as generated."""
    with unit_of_work(engine) as session:
        session.execute(text("DELETE FROM results WHERE id > :r"), {"r": since[0]})
        session.execute(text("DELETE FROM audit_log WHERE id > :a"), {"a": since[1]})
        session.execute(text("DELETE FROM login_throttle"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE results" if engine.dialect.name == "postgresql" else "ANALYZE")
