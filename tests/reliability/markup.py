"""Names, notes and comments that would run, load or restyle something if any page rendered them as markup.

:func:`plant` writes them into a copy of the demo database through the domain
functions (as admins and agents would type them); the rendering tests then look
for them on every page, in AppTest and in a real browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from db.models import Challenge, Person, Role, Team
from engagement import challenges, demo, organisation, periods, pulse, results
from engagement.access import SYSTEM, Actor
from tests.factories import store

# Every payload points at 127.0.0.2, an address nothing listens on: a request there means markup ran.
PERSON = "<img src=http://127.0.0.2:9/p.png onerror=alert(1)>Ana"
TEAM = "![t](http://127.0.0.2:9/t.png) :red[Cedar]"
CHALLENGE = "[win](javascript:alert(1)) **Energy**"
NOTE = "<script>alert(2)</script><img src=http://127.0.0.2:9/n.png>"
REASON = ":red[REJECTED] <b>loud</b> [more](http://127.0.0.2:9/r)"
LOOK_ALIKE = "Аdmin Аccount"  # Cyrillic А: looks like "Admin Account", is stored and shown as typed
COMMENT = "<script>alert(3)</script>"
PAYLOADS = (PERSON, TEAM, CHALLENGE, NOTE, REASON, LOOK_ALIKE)
# Markup that must never reach anything that renders Markdown unescaped (a backslash before it is fine).
RAW = re.compile(r"(?<!\\)<(img|script|b>|iframe)|(?<!\\)!\[|(?<!\\):red\[|javascript:|\]\(http|127\.0\.0\.2")


@dataclass(frozen=True)
class Planted:
    agent: str
    team: str


def plant(url: str) -> Planted:
    """Give the demo agent, their team, a running challenge, an entry and a decision hostile text."""
    with store(url) as session:
        agent = session.scalars(select(Person).where(Person.email == demo.DEMO_ACCOUNTS[Role.AGENT])).one()
        other = session.scalars(
            select(Person).where(Person.team_id == agent.team_id, Person.id != agent.id, Person.role == Role.AGENT)
        ).first()
        assert other is not None
        organisation.update_person(session, SYSTEM, agent.id, agent.version, name=PERSON)
        organisation.update_person(session, SYSTEM, other.id, other.version, name=LOOK_ALIKE)
        team = session.get(Team, agent.team_id)
        assert team is not None
        organisation.rename_team(session, SYSTEM, team.id, TEAM)
        challenge = session.scalars(select(Challenge).where(Challenge.slug == "home-energy")).one()
        challenges.update_challenge(
            session,
            SYSTEM,
            challenge.id,
            challenge.version,
            challenges.ChallengeInput(
                challenge.slug,
                CHALLENGE,
                challenge.kind,
                challenge.points_per_unit,
                challenge.starts_on,
                challenge.ends_on,
                unit=challenge.unit,
            ),
        )
        actor = Actor.of(agent)
        today = max(challenge.starts_on, min(challenge.ends_on, periods.today("Europe/London")))
        pending = results.record_result(
            session, actor, results.ResultInput(agent.id, challenge.id, 900.0, today, note=NOTE), source="dashboard"
        )
        rejected = results.record_result(
            session, actor, results.ResultInput(agent.id, challenge.id, 950.0, today, note=NOTE), source="dashboard"
        )
        results.decide(session, SYSTEM, [rejected.id], approve=False, reason=REASON)
        assert pending.id
        if not pulse.answered_this_week(session, actor):
            pulse.answer_pulse(session, actor, 4, 8, COMMENT)
        return Planted(agent.email, TEAM)
