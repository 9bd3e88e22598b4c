"""Closing pulse weeks: a week's morale is settled once, stored, and never recomputed.

Figures recomputed from history under today's threshold, sites and time zone
change whenever an admin changes one of them, and two sets of figures for one
week can be subtracted to reveal a small group. So when a week ends its groups
are settled under the settings of that moment and written to ``morale_cells``;
every morale view reads those rows only. After that:

- the week takes no more answers (:func:`engagement.pulse.takes_answers`);
- a threshold, time-zone or site change applies to weeks that close after it,
  because the admin functions that make those changes close every ended week first;
- a person's later move or deactivation changes nothing: answers were filed
  under the team the person was in when they answered.

Closing is idempotent and safe in parallel: each week is claimed by inserting
its ``pulse_weeks`` row (``ON CONFLICT DO NOTHING``), so exactly one caller
settles it and the others see it claimed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import MoraleCell, PulseWeek, PulseWeekly
from engagement import audit, morale, periods, pulse, settings
from engagement.access import SYSTEM

CHUNK = 500


def last_closed(session: Session) -> date | None:
    """The Monday of the latest closed week."""
    return session.scalar(select(func.max(PulseWeek.week_start)))


def _pending(session: Session, now: datetime | None) -> list[date]:
    """Ended weeks not closed yet, up to last week: weeks before the first answer publish nothing."""
    latest = last_closed(session)
    last = pulse.current_week(session, now) - timedelta(weeks=1)
    # Nothing closed yet: from the first answered week; an organisation nobody answered in has nothing to publish.
    first = latest + timedelta(weeks=1) if latest else session.scalar(select(func.min(PulseWeekly.week_start)))
    return periods.weeks_between(first, last) if first is not None and first <= last else []


def due(session: Session, now: datetime | None = None) -> bool:
    """Whether some week has ended and is not closed yet (a cheap read before a write)."""
    return bool(_pending(session, now))


def close_weeks(session: Session, now: datetime | None = None) -> list[date]:
    """Close every ended week not closed yet; return the Mondays this call closed.

    Called before anything reads morale and before any change that would alter
    how an ended week settles (threshold, time zone, a team's site).
    """
    weeks = _pending(session, now)
    if not weeks:
        return []
    k = settings.load(session).anonymity_threshold
    closed_at = periods.now_utc() if now is None else now
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    claim = (
        insert(PulseWeek)
        .values([{"week_start": w, "closed_at": closed_at, "threshold": k} for w in weeks])
        .on_conflict_do_nothing(index_elements=["week_start"])
        .returning(PulseWeek.week_start)
    )
    claimed = sorted(session.scalars(claim))
    if not claimed:
        return []
    rows = [_row(cell, by) for by, cells in morale.settle(session, claimed, k).items() for cell in cells]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(MoraleCell), rows[start : start + CHUNK])
    for week in claimed:
        audit.record(
            session, SYSTEM, "pulse.week_close", "pulse", None, None, {"week": week.isoformat(), "threshold": k}
        )
    return claimed


def _row(cell: morale.Cell, by: morale.GroupBy) -> dict[str, object]:
    return {
        "grouping": by.value,
        "week_start": cell.week,
        "group_id": cell.group_id or 0,
        "name": cell.group,
        "site_id": cell.site_id,
        "site_name": cell.site,
        "responses": cell.responses,
        "score_sum": cell.score_sum,
        "avg_score": cell.avg_score,
        "enps": cell.enps,
        "invited": cell.invited,
        "reason": cell.reason,
    }
