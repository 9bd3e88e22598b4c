"""What ``python -m engagement notify`` does: one round now, or a round every interval until told to stop.

A round is everything a single ``notify`` run does: queue what the week's
schedule makes due (:func:`engagement.schedule.plan`: invitations, reminders,
digests), then send every due message (:func:`engagement.delivery.deliver`).
``notify --every 5m``
runs the same round again and again, so cron, a systemd timer and the
long-running service behave alike. Stopping (SIGTERM from systemd, Ctrl-C)
sets an event: the message in flight is finished and recorded, the rest of
its batch is given back to the outbox, and no round starts after it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from engagement import delivery, outbox, periods, schedule, smtp

INTERVAL = re.compile(r"([1-9][0-9]*)([smh])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}


@dataclass(frozen=True)
class Round:
    """What one round did, for the one log line it writes."""

    at: datetime
    planned: schedule.Planned
    delivered: delivery.Delivered

    def describe(self) -> str:
        d = self.delivered
        return f"queued {self.planned.describe()}; sent {d.sent}, to retry {d.retrying}, failed {d.failed}"


def parse_interval(text: str) -> timedelta:
    """``30s``, ``5m`` or ``1h`` (a whole number and a unit) as a duration; anything else is a plain error."""
    match = INTERVAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a whole number of seconds, minutes or hours such as 30s, 5m or 1h, not {text!r}")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def run_once(
    engine: Engine, settings: smtp.SmtpSettings, now: datetime, *, stop: threading.Event | None = None
) -> Round:
    """One round of notify: queue what the schedule makes due at ``now``, then send what is due."""
    with unit_of_work(engine) as session:
        planned = schedule.plan(session, now)
    return Round(now, planned, delivery.deliver(engine, settings, now, stop=stop))


@dataclass(frozen=True)
class Due:
    """A message a round would send now, as ``notify --dry-run`` lists it."""

    kind: str
    period: str
    channel: str
    to: str
    subject: str
    tries: int


HIDDEN_RECIPIENT = "(a reminder: not shown)"


def preview(engine: Engine, now: datetime) -> list[Due]:
    """What a round at ``now`` would send, the schedule's new messages included; nothing is written.

    The schedule is planned inside a transaction that is rolled back. A
    reminder's recipient is not shown: nobody learns who was reminded.
    """
    with Session(engine) as session:
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        schedule.plan(session, now)
        due = [
            Due(
                row.kind,
                row.period,
                row.channel,
                HIDDEN_RECIPIENT if row.kind == "pulse_reminder" else row.recipient,
                row.subject,
                row.attempts,
            )
            for row in outbox.due(session, now)
        ]
        session.rollback()
    return due


def run_every(
    engine: Engine,
    settings: smtp.SmtpSettings,
    interval: timedelta,
    *,
    stop: threading.Event,
    log: Callable[[str], None],
    clock: Callable[[], datetime] = periods.now_utc,
    wait: Callable[[float], bool] | None = None,
) -> int:
    """Run a round every ``interval`` until ``stop`` is set; log one line per round; return how many ran.

    Rounds start ``interval`` apart; a round that takes longer than that is
    followed by the next at once rather than by a backlog. The pause never
    exceeds ``interval``, so a wall clock set back cannot stall the loop.
    ``wait(seconds)`` returns True when stopped (default ``stop.wait``);
    tests pass their own ``clock`` and ``wait``.
    """
    pause = stop.wait if wait is None else wait
    rounds = 0
    while not stop.is_set():
        started = clock()
        done = run_once(engine, settings, started, stop=stop)
        rounds += 1
        log(f"{started:%Y-%m-%d %H:%M:%S}Z round {rounds}: {done.describe()}")
        left = (started + interval - clock()).total_seconds()
        if pause(min(max(left, 0.0), interval.total_seconds())):
            break
    log(f"stopped after {rounds} round(s)")
    return rounds
