"""Plain factory functions that build small organisations through the domain API, and read them back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from itertools import count
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import make_engine, unit_of_work
from db.models import Kind, OutboxMessage, Role, Status, WorkMode
from engagement import challenges, organisation, outbox, publication, results
from engagement.access import SYSTEM, Actor

T = TypeVar("T")
_ids = count(1)
# A fixed "now" inside every window the factories make: tests never depend on the real date.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def make_person(
    session: Session,
    *,
    team: str | None = "Cedar",
    role: Role = Role.AGENT,
    name: str | None = None,
    email: str | None = None,
    site: str | None = None,
    work_mode: WorkMode = WorkMode.HOME,
    active: bool = True,
    left_on: date | None = None,
) -> Actor:
    n = next(_ids)
    person = organisation.add_person(
        session,
        SYSTEM,
        organisation.PersonInput(
            email=email or f"person{n}@example.org",
            name=name or f"Person {n:03d}",
            role=role,
            team=team,
            site=site,
            work_mode=work_mode,
            active=active,
            left_on=left_on,
        ),
    )
    session.flush()
    return Actor.of(person)


def make_challenge(
    session: Session,
    *,
    slug: str | None = None,
    name: str | None = None,
    kind: Kind = Kind.ENERGY,
    points_per_unit: float = 1.0,
    starts_on: date = date(2026, 3, 2),
    ends_on: date = date(2026, 3, 29),
    daily_cap: float | None = None,
    team_target: float | None = None,
    auto_approve_up_to: float | None = None,
) -> int:
    challenge = challenges.create_challenge(
        session,
        SYSTEM,
        challenges.ChallengeInput(
            slug=slug or f"challenge-{next(_ids)}",
            name=name or (slug or "Challenge").replace("-", " ").title(),
            kind=kind,
            points_per_unit=points_per_unit,
            starts_on=starts_on,
            ends_on=ends_on,
            daily_cap=daily_cap,
            team_target=team_target,
            auto_approve_up_to=auto_approve_up_to,
        ),
    )
    return challenge.id


def log(
    session: Session,
    person: Actor,
    challenge_id: int,
    quantity: float,
    day: date = date(2026, 3, 10),
    *,
    status: Status | None = None,
    by: Actor = SYSTEM,
) -> int:
    """Store one result as ``by`` (an admin by default, so it is approved unless ``status`` says)."""
    assert person.person_id is not None
    result = results.record_result(
        session,
        by,
        results.ResultInput(person.person_id, challenge_id, quantity, day, status=status),
    )
    return result.id


@contextmanager
def store(database_url: str, *, write: bool = True) -> Iterator[Session]:
    """One transaction on a database through the product's own engine, which is disposed afterwards.

    Tests open a running app's or a CLI's database this way, beside the process
    that owns it, to set it up or check what was saved.
    """
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine, write=write) as session:
            yield session
    finally:
        engine.dispose()


def in_store(database_url: str, fn: Callable[[Session], T], *, write: bool = False) -> T:
    """Run ``fn`` on an app's database, to check what a page saved."""
    with store(database_url, write=write) as session:
        return fn(session)


def after_closing(fn: Callable[..., T], session: Session, *args: object, now: datetime = NOW, **kwargs: object) -> T:
    """``fn(session, ...)`` after closing every week ended at ``now``, as the Morale page and CLI do first."""
    publication.close_weeks(session, now)
    return fn(session, *args, **kwargs)


def queue_emails(engine: Engine, count: int, *, now: datetime = NOW) -> list[str]:
    """Queue ``count`` decision emails to one new person, due at ``now``; return their Message-IDs in order.

    The person is a manager in no team, so the weekly schedule (run by ``notify`` on the
    machine's clock in the subprocess tests) queues nothing of its own for them.
    """
    with unit_of_work(engine) as session:
        person_id = make_person(session, team=None, role=Role.MANAGER).person_id
        assert person_id is not None
        for n in range(count):
            assert outbox.enqueue(
                session,
                kind="decision",
                person_id=person_id,
                period=f"entry-{n}",
                recipient="zoë@example.org",
                subject=f"Your entry {n} was approved",
                body_text=f"Entry {n} was approved. " * 20,
                body_html=f"<h1>Entry {n}</h1>" + "<p>It was approved.</p>" * 20,
                now=now,
            )
    with unit_of_work(engine, write=False) as session:
        return list(
            session.scalars(
                select(OutboxMessage.message_id).where(OutboxMessage.person_id == person_id).order_by(OutboxMessage.id)
            )
        )


def outbox_statuses(engine: Engine) -> dict[str, int]:
    """How many outbox rows are in each status."""
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: n for status, n in rows}
