"""The same questions as hand-written SQL through the raw driver: the engine's own limit.

Each function takes a DB-API cursor (sqlite3 or psycopg), runs one statement
per question with plain parameters and returns the answer in the shape the
benchmark compares with the product's (ids and ranks, rounded figures). The
SQL follows the README's definitions independently of ``engagement``, so an
equal answer is also a check of the product's queries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from engagement.leaderboards import round2

# person_id, credited team and points, from the covering index, grouped per
# day in the index's column order (streamed, not hashed); {hint} pins the
# index on SQLite, {challenge} narrows to one challenge.
POINTS = """
daily AS (
  SELECT person_id, team_id, challenge_id, SUM(quantity) AS q
  FROM results {hint}
  WHERE status = 'approved' {challenge} AND occurred_on >= :start AND occurred_on <= :end
  GROUP BY {order}, person_id, team_id
),
pp AS (
  SELECT d.person_id, d.team_id,
         SUM(CASE WHEN c.daily_cap IS NOT NULL AND d.q > c.daily_cap THEN c.daily_cap ELSE d.q END
             * c.points_per_unit) AS points
  FROM daily d JOIN challenges c ON c.id = d.challenge_id
  GROUP BY d.person_id, d.team_id
)"""

TEAMS = """
roster AS (
  SELECT DISTINCT m.team_id, m.person_id FROM team_memberships m JOIN people p ON p.id = m.person_id
  WHERE p.active AND m.valid_from <= :end AND (m.valid_to IS NULL OR m.valid_to > :start)
),
members AS (SELECT team_id, COUNT(*) AS n FROM roster GROUP BY team_id),
credited AS (
  SELECT pp.team_id, SUM(pp.points) AS points FROM pp
  JOIN roster r ON r.team_id = pp.team_id AND r.person_id = pp.person_id GROUP BY pp.team_id
),
taking_part AS (
  SELECT pp.team_id, COUNT(*) AS n FROM pp JOIN roster r ON r.team_id = pp.team_id AND r.person_id = pp.person_id
  WHERE pp.points > 0 GROUP BY pp.team_id
),
board AS (
  SELECT t.id, t.name, s.name AS site, COALESCE(cr.points, 0) AS points, m.n AS members,
         COALESCE(cr.points, 0) * 1.0 / m.n AS per_member, COALESCE(tp.n, 0) AS participants,
         RANK() OVER (ORDER BY ROUND(CAST(COALESCE(cr.points, 0) * 1.0 / m.n AS NUMERIC), 2) DESC) AS rank
  FROM teams t JOIN members m ON m.team_id = t.id
  LEFT JOIN credited cr ON cr.team_id = t.id LEFT JOIN taking_part tp ON tp.team_id = t.id
  LEFT JOIN sites s ON s.id = t.site_id
)"""

PEOPLE = """
totals AS (SELECT person_id, SUM(points) AS points FROM pp GROUP BY person_id),
ranked AS (
  SELECT p.id, p.email, p.name, t.name AS team, tot.points,
         RANK() OVER (ORDER BY ROUND(CAST(tot.points AS NUMERIC), 2) DESC) AS rank
  FROM totals tot JOIN people p ON p.id = tot.person_id LEFT JOIN teams t ON t.id = p.team_id
  WHERE p.active AND tot.points > 0
)"""


class Raw:
    """Hand-written SQL for one store; ``run`` executes and fetches everything."""

    def __init__(self, cursor: Any, dialect: str) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def run(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        if self.dialect == "postgresql":
            sql = re.sub(r":(\w+)", r"%(\1)s", sql)
        else:
            params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
        self.cursor.execute(sql, params)
        return list(self.cursor.fetchall())

    def _points(self, challenge_id: int | None) -> str:
        index = "ix_results_ok_challenge_day" if challenge_id is not None else "ix_results_ok_day"
        hint = f"INDEXED BY {index}" if self.dialect == "sqlite" else ""
        order = "challenge_id, occurred_on" if challenge_id is not None else "occurred_on, challenge_id"
        where = "AND challenge_id = :challenge" if challenge_id is not None else ""
        return POINTS.format(hint=hint, challenge=where, order=order)

    def team_board(self, challenge_id: int | None, start: date, end: date) -> list[tuple[int, int, float]]:
        """(team id, rank, points per member) in rank order, every team with an active member."""
        sql = f"WITH {self._points(challenge_id)},{TEAMS} SELECT id, rank, per_member FROM board ORDER BY rank, name"
        return [(i, int(r), round2(float(v))) for i, r, v in self.run(sql, _params(challenge_id, start, end))]

    def person_top(self, challenge_id: int | None, start: date, end: date, limit: int) -> list[tuple[int, int, float]]:
        """The top ``limit`` people: (person id, rank, points)."""
        sql = (
            f"WITH {self._points(challenge_id)},{PEOPLE} SELECT id, rank, points FROM ranked ORDER BY rank, name, email"
        )
        params = _params(challenge_id, start, end)
        return [(i, int(r), round2(float(p))) for i, r, p in self.run(sql + f" LIMIT {int(limit)}", params)]

    def person_row(self, challenge_id: int | None, start: date, end: date, me: int) -> tuple[int, float] | None:
        """My (rank, points) among everyone with points, or None."""
        sql = f"WITH {self._points(challenge_id)},{PEOPLE} SELECT rank, points FROM ranked WHERE id = :me"
        rows = self.run(sql, {**_params(challenge_id, start, end), "me": me})
        return (int(rows[0][0]), round2(float(rows[0][1]))) if rows else None

    def standing(self, challenge_id: int | None, start: date, end: date, me: int, team: int) -> tuple[Any, ...]:
        """(my rank, people ranked, my team's rank, teams ranked, team above) in one statement."""
        sql = (
            f"WITH {self._points(challenge_id)},{PEOPLE},{TEAMS}, "
            "mine AS (SELECT rank FROM board WHERE id = :team) "
            "SELECT (SELECT rank FROM ranked WHERE id = :me), (SELECT COUNT(*) FROM ranked), "
            "(SELECT rank FROM mine), (SELECT COUNT(*) FROM board), "
            "(SELECT id FROM board WHERE rank < (SELECT rank FROM mine) ORDER BY rank DESC, name DESC LIMIT 1)"
        )
        row = self.run(sql, {**_params(challenge_id, start, end), "me": me, "team": team})[0]
        return tuple(None if v is None else int(v) for v in row)

    def ranking(self, challenge_id: int | None, start: date, end: date, me: int, team: int) -> tuple[Any, ...]:
        """Everyone's rank and points and the team board in one statement (what a shared ranking ships), then mine."""
        sql = (
            f"WITH {self._points(challenge_id)},{PEOPLE},{TEAMS} "
            "SELECT 'person', id, rank, points, NULL, NULL, NULL, NULL, NULL, NULL FROM ranked UNION ALL "
            "SELECT 'team', id, rank, points, name, site, members, per_member, participants, NULL FROM board "
            "ORDER BY 1, 3, 5"
        )
        rows = self.run(sql, _params(challenge_id, start, end))
        people = {row[1]: (int(row[2]), round2(float(row[3]))) for row in rows if row[0] == "person"}
        teams = [(row[1], int(row[2])) for row in rows if row[0] == "team"]
        mine = next((r for i, r in teams if i == team), None)
        above = [i for i, r in teams if mine is not None and r < mine]
        rank = people[me][0] if me in people else None
        return (rank, len(people), mine, len(teams), above[-1] if above else None)

    def morale_by_team(self, first: date, last: date, k: int, team: int | None = None) -> list[tuple[Any, ...]]:
        """Visible team-weeks from the weekly rollup: (week, team id, responses, mean score, eNPS or None)."""
        where = "AND team_id = :team" if team is not None else ""
        sql = (
            "SELECT week_start, team_id, responses, score_sum, enps_answers, promoters, detractors FROM pulse_weekly "
            f"WHERE week_start >= :first AND week_start <= :last AND responses >= :k {where} "
            "ORDER BY week_start, team_id"
        )
        out = []
        for week, team_id, n, score_sum, enps_n, promoters, detractors in self.run(
            sql, {"first": first, "last": last, "k": k, "team": team}
        ):
            enps = round(100 * (promoters - detractors) / enps_n, 1) if enps_n >= k else None
            out.append((_day(week), team_id, n, round(score_sum / n, 2), enps))
        return out

    def impact_by_team(self, start: date, end: date) -> dict[tuple[str, str], float]:
        """Approved quantity per (team name, kind) in the period, everyone's (former colleagues too)."""
        hint = "INDEXED BY ix_results_ok_day" if self.dialect == "sqlite" else ""
        sql = (
            "SELECT COALESCE(t.name, 'No team'), c.kind, SUM(r.q) FROM ("
            f" SELECT team_id, challenge_id, SUM(quantity) AS q FROM results {hint}"
            " WHERE status = 'approved' AND occurred_on >= :start AND occurred_on <= :end"
            " GROUP BY team_id, challenge_id) r"
            " JOIN challenges c ON c.id = r.challenge_id LEFT JOIN teams t ON t.id = r.team_id"
            " GROUP BY COALESCE(t.name, 'No team'), c.kind"
        )
        return {(name, kind): round(float(q), 2) for name, kind, q in self.run(sql, {"start": start, "end": end})}


def _params(challenge_id: int | None, start: date, end: date) -> dict[str, Any]:
    params: dict[str, Any] = {"start": start, "end": end}
    if challenge_id is not None:
        params["challenge"] = challenge_id
    return params


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def same_ranks(ours: Sequence[tuple[Any, ...]], raw: Sequence[tuple[Any, ...]]) -> bool:
    """Equal ids, ranks and rounded figures, row by row."""
    return [tuple(r) for r in ours] == [tuple(r) for r in raw]
