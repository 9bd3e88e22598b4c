"""Answering the pulse in one click from a message: five signed links, each used once.

An invitation carries five links, scores 1 to 5. Each is a capability for
exactly one action, answering this person's pulse for this week, and for
nothing else: it is signed (:mod:`engagement.capabilities`), expires when the
week closes in the organisation's time zone, and the five together are used
once (``pulse_link_uses``: the first click answers, any later one is refused).
A link never signs anyone in. After the click, the answer page offers the
optional eNPS and comment through a second capability, also used once.

Opening a link in a mail scanner does nothing: the answer is recorded by the
page's script in a browser, not by fetching the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Person, PulseLinkUse, PulseResponse
from engagement import capabilities, pulse, settings
from engagement.capabilities import LinkRefused
from engagement.errors import ValidationError

ANSWER = "pulse-answer"
FOLLOW_UP = "pulse-follow-up"
SCORES = {1: "Very bad", 2: "Bad", 3: "OK", 4: "Good", 5: "Very good"}
PAGE = "answer"


@dataclass(frozen=True)
class ScoreLink:
    value: int
    label: str
    url: str


@dataclass(frozen=True)
class Answered:
    """What the answer page shows after a click: the week and score, and the follow-up capability."""

    week: date
    score: int
    follow_up: str


def closes_at(session: Session, week: date) -> datetime:
    """The instant the week's pulse closes: the next Monday, 00:00 in the organisation's time zone."""
    zone = settings.load(session).zone
    return datetime.combine(week + timedelta(days=7), time(0), zone)


def link_maker(session: Session, base_url: str) -> Callable[[int, date], list[ScoreLink]]:
    """Make the five links of many people's invitations, reading the secret once: ``make(person_id, week)``."""
    sign = capabilities.signer(session, ANSWER)
    closing: dict[date, datetime] = {}

    def make(person_id: int, week: date) -> list[ScoreLink]:
        if week not in closing:
            closing[week] = closes_at(session, week)
        return [
            ScoreLink(
                score,
                label,
                f"{base_url}/{PAGE}?t={sign({'p': person_id, 'w': week.isoformat(), 's': score}, closing[week])}",
            )
            for score, label in SCORES.items()
        ]

    return make


def answer(session: Session, token: str, now: datetime) -> Answered:
    """Record the score a link carries, once; :class:`LinkRefused` (with why) for any link that may not."""
    opened = capabilities.open_link(session, ANSWER, token, now)
    person_id, week, score = _fields(opened.payload)
    if not isinstance(score, int) or score not in SCORES:
        raise LinkRefused("tampered")
    person = _member(session, person_id)
    _open_week(session, week, now)
    insert: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    first = session.execute(
        insert(PulseLinkUse)
        .values(person_id=person_id, week_start=week, answered_at=now)
        .on_conflict_do_nothing(index_elements=["person_id", "week_start"])
        .returning(PulseLinkUse.person_id)
    ).first()
    if first is None:
        raise LinkRefused("used")
    assert person.team_id is not None
    pulse.store_answers(session, [pulse.Answer(person_id, person.team_id, week, score)], week)
    follow_up = capabilities.sign(session, FOLLOW_UP, {"p": person_id, "w": week.isoformat()}, opened.expires_at)
    return Answered(week, score, follow_up)


def follow_up(session: Session, token: str, enps: int | None, comment: str, now: datetime) -> None:
    """Add the optional eNPS and comment to the answer the click recorded; once, while the week is open.

    Bad values raise :class:`ValidationError` naming the field, and use nothing up.
    """
    opened = capabilities.open_link(session, FOLLOW_UP, token, now)
    person_id, week, _ = _fields(opened.payload)
    person = _member(session, person_id)
    _open_week(session, week, now)
    score = session.scalar(
        select(PulseResponse.score).where(PulseResponse.person_id == person_id, PulseResponse.week_start == week)
    )
    if score is None:
        raise LinkRefused("tampered")
    problems = pulse.check_values(score, enps, comment)
    if problems:
        raise ValidationError(problems)
    used = session.execute(
        update(PulseLinkUse)
        .where(
            PulseLinkUse.person_id == person_id,
            PulseLinkUse.week_start == week,
            PulseLinkUse.followed_up_at.is_(None),
        )
        .values(followed_up_at=now)
        .returning(PulseLinkUse.person_id)
    ).first()
    if used is None:
        raise LinkRefused("used")
    assert person.team_id is not None
    pulse.store_answers(session, [pulse.Answer(person_id, person.team_id, week, score, enps, comment)], week)


def _fields(payload: dict[str, Any]) -> tuple[int, date, object]:
    person_id, week = payload.get("p"), payload.get("w")
    if not isinstance(person_id, int) or not isinstance(week, str):
        raise LinkRefused("tampered")
    try:
        return person_id, date.fromisoformat(week), payload.get("s")
    except ValueError:
        raise LinkRefused("tampered") from None


def _member(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or not person.active or person.team_id is None:
        raise LinkRefused("inactive")
    return person


def _open_week(session: Session, week: date, now: datetime) -> None:
    current = pulse.current_week(session, now)
    if week != current or not pulse.takes_answers(session, week, current):
        raise LinkRefused("other_week")
