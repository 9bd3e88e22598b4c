"""Messages caused by one event, queued in the transaction of the event itself.

Today: the decision on an entry. When a lead approves or rejects an entry,
the person it counts for is told, with the reason, in the same transaction as
the decision, so the message exists exactly when the decision was committed
(a rolled-back decision leaves no message, a decision is never announced twice:
the outbox key is the entry).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Challenge, Person, Result, Status
from engagement import amounts, messages, outbox, periods, preferences, settings


def decision(session: Session, result_id: int, decided_by: str | None, now: datetime) -> bool:
    """Queue the "your entry was approved/rejected" message for the entry's person; True when queued.

    Nothing is queued for someone who has left or who turned decisions off.
    """
    row = session.execute(
        select(Result, Challenge, Person)
        .join(Challenge, Challenge.id == Result.challenge_id)
        .join(Person, Person.id == Result.person_id)
        .where(Result.id == result_id)
    ).one_or_none()
    if row is None:
        return False
    result, challenge, person = row
    if not person.active or result.status not in (Status.APPROVED, Status.REJECTED):
        return False
    zone = periods.zone_for(person.timezone, settings.load(session).zone)
    route = preferences.routes(session, "decision", [preferences.Recipient(person.id, person.email, zone)], now).get(
        person.id
    )
    if route is None:
        return False
    approved = result.status is Status.APPROVED
    stop_url = preferences.unsubscribe_url(session, person.id, "decision", now)
    text = messages.render(
        "decision",
        {
            "name": person.name,
            "challenge": challenge.name,
            "day": f"{result.occurred_on:%A} {result.occurred_on.day} {result.occurred_on:%B %Y}",
            "amount": amounts.in_words(result.quantity, challenge.unit),
            "decision": "approved" if approved else "rejected",
            "approved": approved,
            "by": decided_by,
            "reason": result.decision_reason or "",
            "link": f"{preferences.public_url()}/my_standing",
            "preferences_url": preferences.preferences_url(),
            "unsubscribe_url": stop_url,
        },
    )
    return outbox.enqueue(
        session,
        kind="decision",
        person_id=person.id,
        period=f"entry-{result.id}",
        channel=route.channel,
        recipient=route.recipient,
        subject=text.subject,
        body_text=text.text,
        body_html=text.html,
        now=now,
        not_before=route.not_before,
        unsubscribe_url=stop_url,
    )
