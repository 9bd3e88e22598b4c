"""The demo organisation: everything issue 2 asks of it, and the same every time."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased

from db.engine import make_engine, unit_of_work
from db.models import Challenge, Person, PulseResponse, Result, Site, Status, Team
from engagement import demo, settings
from engagement.access import SYSTEM
from engagement.morale import GroupBy, weekly_morale
from engagement.periods import week_start
from tests.factories import after_closing

TODAY = date(2026, 3, 18)


def _fingerprint(session: Session) -> dict[str, list[tuple[object, ...]]]:
    team = aliased(Team)
    return {
        "people": sorted(
            tuple(r)
            for r in session.execute(
                select(Person.email, Person.name, Person.role, team.name, Site.name, Person.work_mode, Person.active)
                .outerjoin(team, team.id == Person.team_id)
                .outerjoin(Site, Site.id == Person.site_id)
            )
        ),
        "challenges": sorted(
            tuple(r)
            for r in session.execute(
                select(Challenge.slug, Challenge.kind, Challenge.starts_on, Challenge.ends_on, Challenge.daily_cap)
            )
        ),
        "results": sorted(
            tuple(r)
            for r in session.execute(
                select(Person.email, Challenge.slug, Result.quantity, Result.occurred_on, Result.status, team.name)
                .join(Person, Person.id == Result.person_id)
                .join(Challenge, Challenge.id == Result.challenge_id)
                .outerjoin(team, team.id == Result.team_id)
            )
        ),
        "pulse": sorted(
            tuple(r)
            for r in session.execute(
                select(Person.email, PulseResponse.week_start, PulseResponse.score, PulseResponse.enps).join(
                    Person, Person.id == PulseResponse.person_id
                )
            )
        ),
    }


@pytest.mark.slow
def test_the_demo_is_the_same_every_time_on_every_store(engine: Engine, sqlite_template: str, tmp_path: Path) -> None:
    other_path = tmp_path / "other.db"
    shutil.copyfile(sqlite_template, other_path)
    other = make_engine(f"sqlite:///{other_path}")
    prints = []
    for eng in (engine, other):
        with unit_of_work(eng) as session:
            demo.load_demo(session, today=TODAY)
        with unit_of_work(eng, write=False) as session:
            prints.append(_fingerprint(session))
    other.dispose()
    assert prints[0] == prints[1]


def test_the_demo_has_what_issue_2_asks_for(session: Session) -> None:
    summary = demo.load_demo(session, today=TODAY)
    teams = session.execute(select(Team.name, Team.site_id)).all()
    sizes = {
        name: len(session.scalars(select(Person.id).join(Team).where(Team.name == name)).all()) for name, _ in teams
    }
    assert len({site for _, site in teams}) >= 2 and len(set(sizes.values())) >= 3
    assert {m.value for m in session.scalars(select(Person.work_mode)).all()} == {"home", "centre"}
    assert {k.value for k in session.scalars(select(Challenge.kind)).all()} == {"energy", "trees", "volunteering"}
    assert set(session.scalars(select(Result.status)).all()) == {Status.APPROVED, Status.PENDING, Status.REJECTED}
    this_monday = week_start(TODAY)
    weeks = set(session.scalars(select(PulseResponse.week_start)).all())
    assert len({w for w in weeks if w < this_monday}) == 26
    assert min(weeks) == this_monday - timedelta(weeks=26)
    everyone = session.scalars(select(Person.id)).all()
    assert (summary.people, settings.load(session).timezone, settings.load(session).demo) == (
        len(everyone),
        "Europe/London",
        True,
    )
    now = datetime.combine(TODAY, time(12), UTC)
    cells = after_closing(
        weekly_morale, session, SYSTEM, GroupBy.TEAM, this_monday - timedelta(weeks=26), TODAY, now=now
    )
    assert {c.week for c in cells} == {w for w in weeks if w < this_monday}
    assert all(c.suppressed for c in cells if c.group in ("Rowan", "Yew"))  # the small teams never show
    assert any(not c.suppressed for c in cells)
