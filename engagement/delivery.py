"""Sending the outbox: each due message once, by email or to its Slack or Teams webhook.

:func:`deliver` claims the due rows (see :mod:`engagement.outbox` for the
guarantees), sends each by its channel, and records each outcome in its own
transaction before the next send, so a crash loses nothing and repeats at
most the message in flight. Email goes over one :mod:`smtplib` connection
(:mod:`engagement.smtp`); Slack and Teams messages are POSTed to the webhook the
row names (``person:<id>`` or ``team:<id>``), looked up when sent, so a webhook
replaced since the message was queued is the one used, and one removed fails
the message with a reason an admin can read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine

from db.engine import unit_of_work
from db.models import OutboxMessage
from engagement import outbox, preferences, smtp, webhooks

BATCH = 100
WEBHOOK_TIMEOUT_SECONDS = 10.0
# Where a chat message's button leads: the page the message is about.
PAGE_OF = {
    "pulse_invitation": "my_standing",
    "pulse_reminder": "my_standing",
    "agent_digest": "my_standing",
    "lead_digest": "approvals",
    "manager_digest": "morale",
    "team_digest": "leaderboards",
    "decision": "my_standing",
}


@dataclass(frozen=True)
class Delivered:
    """What one :func:`deliver` run did."""

    sent: int
    retrying: int
    failed: int


def deliver(
    engine: Engine,
    settings: smtp.SmtpSettings,
    now: datetime | None = None,
    *,
    unsubscribe_url: str = "",
    stop: threading.Event | None = None,
    http: httpx.Client | None = None,
) -> Delivered:
    """Send every due message once and return the counts; errors are recorded on the rows, not raised.

    Claims :data:`BATCH` rows at a time until nothing is due at ``now``. When
    ``stop`` is set (a signal asked the process to end), the run ends after the
    message in flight: the rest of the claimed batch is released, due again at
    once for the next run, so nothing waits out a lease. ``unsubscribe_url`` is
    the fallback for rows queued without their own link.
    """
    at = datetime.now(UTC) if now is None else now
    url = unsubscribe_url or f"mailto:{settings.mail_from}?subject=unsubscribe"
    mail = smtp.Connection(settings)
    client = http or httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS)
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    try:
        while stop is None or not stop.is_set():
            with unit_of_work(engine) as session:
                rows = outbox.claim(session, at, BATCH)
            if not rows:
                break
            for n, row in enumerate(rows):
                if stop is not None and stop.is_set():
                    with unit_of_work(engine) as session:
                        outbox.release(session, [r.id for r in rows[n:]], at + outbox.LEASE, at)
                    break
                if row.channel == "email":
                    error = mail.send(smtp.build(row, settings.mail_from, url))
                else:
                    error = _post(engine, client, row)
                _record(engine, row.id, error, at, counts)
    finally:
        mail.close()
        if http is None:
            client.close()
    return Delivered(**counts)


def _post(engine: Engine, client: httpx.Client, row: OutboxMessage) -> str | None:
    """POST one chat message to the webhook its recipient names; the reason when it was not taken."""
    scope, _, owner = row.recipient.partition(":")
    with unit_of_work(engine, write=False) as session:
        hook = preferences.webhook_url(session, scope, int(owner), row.channel) if owner.isdigit() else None
    if hook is None:
        return f"no {preferences.CHANNELS[row.channel]} webhook for this {scope or 'message'} any more"
    link = f"{preferences.public_url()}/{PAGE_OF[row.kind]}"
    return webhooks.post(client, hook, webhooks.payload(row.channel, row.subject, row.body_text, link))


def _record(engine: Engine, message_id: int, error: str | None, at: datetime, counts: dict[str, int]) -> None:
    with unit_of_work(engine) as session:
        if error is None:
            outbox.mark_sent(session, message_id, at)
            counts["sent"] += 1
        elif outbox.mark_failed(session, message_id, error, at) == "failed":
            counts["failed"] += 1
        else:
            counts["retrying"] += 1
