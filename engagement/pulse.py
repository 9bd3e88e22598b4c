"""The weekly pulse: one answer per person per ISO week (a second replaces the first).

One rule on every path (form, import, CLI): an answer is for the week that is
open now in the organisation's time zone, and counts for the team the person
is in when they give it. A week that has ended, or was closed
(:mod:`engagement.publication`), takes no answer, so its published figures
cannot move. Answers leave no audit row: a row per answer, next to that
person's other actions in the log, would tell who answered.

A person's answers are readable by that person alone: the functions here that
return answers take no person argument, only the actor. Everyone else sees
the figures :mod:`engagement.publication` settled from the per-team weekly sums
kept in step here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import PulseResponse, PulseWeek, PulseWeekly, Role
from engagement import periods, settings, text
from engagement.access import Actor, require
from engagement.errors import Problem, ValidationError

PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6


@dataclass(frozen=True)
class Answer:
    """One answer to store: whose, for which week (any day in it), and the values."""

    person_id: int
    team_id: int
    week_of: date
    score: int
    enps: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class MyAnswer:
    week: date
    score: int
    enps: int | None
    comment: str


def check_values(score: object, enps: object, comment: str, row: int | None = None) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        problems.append(Problem("score", "must be a whole number from 1 to 5", row))
    if enps is not None and (isinstance(enps, bool) or not isinstance(enps, int) or not 0 <= enps <= 10):
        problems.append(Problem("enps", "must be a whole number from 0 to 10", row))
    try:
        text.clean(comment or "", "comment", text.COMMENT_MAX, multiline=True)
    except text.TextProblem as e:
        problems.append(Problem("comment", e.problem.message, row))
    return problems


def answer_pulse(
    session: Session, actor: Actor, score: int, enps: int | None, comment: str = "", now: datetime | None = None
) -> bool:
    """Store the actor's answer for this week; return True if it replaced an earlier one.

    The pulse is answered by team members; "this week" is in the organisation's time zone.
    """
    require(actor, *Role)
    if actor.person_id is None or actor.team_id is None:
        raise ValidationError.single("team", "the pulse is answered by members of a team")
    problems = check_values(score, enps, comment)
    if problems:
        raise ValidationError(problems)
    week = current_week(session, now)
    replaced = store_answers(session, [Answer(actor.person_id, actor.team_id, week, score, enps, comment)], week)
    return bool(replaced)


def current_week(session: Session, now: datetime | None = None) -> date:
    """The Monday of the week open now, in the organisation's time zone."""
    return periods.week_start(periods.today(settings.load(session).zone, now))


def closed_week_problem(week: date) -> str:
    return f"the pulse for the week of {week.isoformat()} has closed; answers are taken for the current week only"


def takes_answers(session: Session, week: date, current: date) -> bool:
    """Whether ``week`` is open: not ended (``current`` is this week's Monday) and not closed.

    A westward time-zone change can make a closed week "this week" again; it stays closed.
    """
    week = periods.week_start(week)
    return week >= current and not session.scalar(select(exists().where(PulseWeek.week_start == week)))


def store_answers(session: Session, answers: Sequence[Answer], current: date) -> int:
    """Store answers for open weeks (``current``: this week's Monday); return how many replaced one.

    Callers check rights and values first; this is shared by the pulse form and imports.
    Raises :class:`ValidationError` if any answer is for a week that takes none.
    """
    for week in sorted({periods.week_start(a.week_of) for a in answers}):
        if not takes_answers(session, week, current):
            raise ValidationError.single("week_of", closed_week_problem(week))
    return _store(session, answers)


def record_history(session: Session, answers: Sequence[Answer]) -> int:
    """Store answers for weeks after the last closed one: the demo's and tests' past weeks.

    Past weeks that have not closed yet have published nothing, so filling them
    reveals nothing; a closed week is refused as on every other path.
    """
    latest = session.scalar(select(func.max(PulseWeek.week_start)))
    for answer in answers:
        if latest is not None and periods.week_start(answer.week_of) <= latest:
            raise ValidationError.single("week_of", closed_week_problem(periods.week_start(answer.week_of)))
    return _store(session, answers)


def _store(session: Session, answers: Sequence[Answer]) -> int:
    """Upsert answers and keep the weekly sums in step; return how many replaced one."""
    by_key = {(a.person_id, periods.week_start(a.week_of)): a for a in answers}
    existing: dict[tuple[int, date], PulseResponse] = {}
    keys = list(by_key)
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        people = {p for p, _ in chunk}
        weeks = {w for _, w in chunk}
        for row in session.scalars(
            select(PulseResponse).where(PulseResponse.person_id.in_(people), PulseResponse.week_start.in_(weeks))
        ):
            if (row.person_id, row.week_start) in by_key:
                existing[(row.person_id, row.week_start)] = row
    deltas: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for (person_id, week), answer in by_key.items():
        old = existing.get((person_id, week))
        if old is not None:
            _add(deltas[(old.team_id, week)], old.score, old.enps, -1)
            old.team_id, old.score, old.enps = answer.team_id, answer.score, answer.enps
            old.comment = text.clean(answer.comment or "", "comment", text.COMMENT_MAX, multiline=True)
        else:
            session.add(
                PulseResponse(
                    person_id=person_id,
                    team_id=answer.team_id,
                    week_start=week,
                    score=answer.score,
                    enps=answer.enps,
                    comment=text.clean(answer.comment or "", "comment", text.COMMENT_MAX, multiline=True),
                )
            )
        _add(deltas[(answer.team_id, week)], answer.score, answer.enps, +1)
    session.flush()
    _apply_deltas(session, deltas)
    return len(existing)


def _add(delta: list[int], score: int, enps: int | None, sign: int) -> None:
    delta[0] += sign
    delta[1] += sign * score
    if enps is not None:
        delta[2] += sign
        delta[3] += sign * (enps >= PROMOTER_FROM)
        delta[4] += sign * (enps <= DETRACTOR_UP_TO)


def _apply_deltas(session: Session, deltas: dict[tuple[int, date], list[int]]) -> None:
    """Add deltas to the weekly sums atomically (concurrent answers never lose a count)."""
    rows = [
        {
            "team_id": team_id,
            "week_start": week,
            "responses": d[0],
            "score_sum": d[1],
            "enps_answers": d[2],
            "promoters": d[3],
            "detractors": d[4],
        }
        for (team_id, week), d in deltas.items()
        if any(d)
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PulseWeekly)
    statement = statement.on_conflict_do_update(
        index_elements=["team_id", "week_start"],
        set_={
            column: getattr(PulseWeekly, column) + getattr(statement.excluded, column)
            for column in ("responses", "score_sum", "enps_answers", "promoters", "detractors")
        },
    )
    for start in range(0, len(rows), 500):
        session.execute(statement, rows[start : start + 500])
    for (team_id, week), d in deltas.items():
        if d[0] < 0:  # an answer moved to another team: drop the emptied week
            session.execute(
                delete(PulseWeekly).where(
                    PulseWeekly.team_id == team_id, PulseWeekly.week_start == week, PulseWeekly.responses == 0
                )
            )


def my_history(session: Session, actor: Actor, limit: int = 26) -> list[MyAnswer]:
    """The actor's own answers, newest first. Nobody can read anyone else's."""
    require(actor, *Role)
    if actor.person_id is None:
        return []
    rows = session.scalars(
        select(PulseResponse)
        .where(PulseResponse.person_id == actor.person_id)
        .order_by(PulseResponse.week_start.desc())
        .limit(limit)
    )
    return [MyAnswer(r.week_start, r.score, r.enps, r.comment) for r in rows]


def answered_this_week(session: Session, actor: Actor, now: datetime | None = None) -> bool:
    require(actor, *Role)
    if actor.person_id is None:
        return False
    week = current_week(session, now)
    return (
        session.scalar(
            select(PulseResponse.id).where(PulseResponse.person_id == actor.person_id, PulseResponse.week_start == week)
        )
        is not None
    )
