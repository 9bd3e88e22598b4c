"""Email over SMTP for the outbox: settings from the environment, one message per row, delivery.

:func:`deliver` claims the due rows (see :mod:`engagement.outbox` for the
guarantees), sends each over one standard-library :mod:`smtplib` connection
(STARTTLS and login when configured) and marks each sent or failed in its own
transaction, so a crash loses nothing and repeats at most the message in flight.
"""

from __future__ import annotations

import os
import smtplib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import Engine

from db.engine import unit_of_work
from db.models import OutboxMessage
from engagement import outbox

BATCH = 100
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send, from IB_SMTP_HOST (default localhost), IB_SMTP_PORT (25), IB_SMTP_USER,
    IB_SMTP_PASSWORD (login only when a user is set), IB_SMTP_STARTTLS (1/true/yes/on) and IB_MAIL_FROM.
    """

    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    mail_from: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read the settings; a port that is not a number is refused with the variable's name."""
        env = os.environ if env is None else env
        port = env.get("IB_SMTP_PORT", "25")
        if not port.isdigit():
            raise ValueError(f"IB_SMTP_PORT must be a port number, not {port!r}")
        return cls(
            host=env.get("IB_SMTP_HOST", "localhost"),
            port=int(port),
            user=env.get("IB_SMTP_USER") or None,
            password=env.get("IB_SMTP_PASSWORD") or None,
            starttls=env.get("IB_SMTP_STARTTLS", "").strip().lower() in {"1", "true", "yes", "on"},
            mail_from=env.get("IB_MAIL_FROM", "impact-board@localhost"),
        )


@dataclass(frozen=True)
class Delivered:
    """What one :func:`deliver` run did."""

    sent: int
    retrying: int
    failed: int


def build(row: OutboxMessage, mail_from: str, unsubscribe_url: str) -> EmailMessage:
    """The email for one outbox row: text and HTML alternatives, the row's Message-ID, one-click unsubscribe."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["List-Unsubscribe"] = f"<{row.unsubscribe_url or unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    return message


def deliver(
    engine: Engine,
    settings: SmtpSettings,
    now: datetime | None = None,
    *,
    unsubscribe_url: str = "",
    stop: threading.Event | None = None,
) -> Delivered:
    """Send every due email once and return the counts; errors are recorded on the rows, not raised.

    Claims :data:`BATCH` rows at a time until nothing is due at ``now``. When
    ``stop`` is set (a signal asked the process to end), the run ends after the
    message in flight: the rest of the claimed batch is released, due again at
    once for the next run, so nothing waits out a lease.
    """
    at = datetime.now(UTC) if now is None else now
    url = unsubscribe_url or f"mailto:{settings.mail_from}?subject=unsubscribe"
    connection = _Connection(settings)
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    try:
        while stop is None or not stop.is_set():
            with unit_of_work(engine) as session:
                rows = outbox.claim(session, at, BATCH)
            if not rows:
                break
            _send_batch(engine, connection, rows, at, url, stop, counts)
    finally:
        connection.close()
    return Delivered(**counts)


def _send_batch(
    engine: Engine,
    connection: _Connection,
    rows: list[OutboxMessage],
    at: datetime,
    url: str,
    stop: threading.Event | None,
    counts: dict[str, int],
) -> None:
    """Send claimed rows one by one, recording each outcome in its own transaction before the next send."""
    for n, row in enumerate(rows):
        if stop is not None and stop.is_set():
            with unit_of_work(engine) as session:
                outbox.release(session, [r.id for r in rows[n:]], at + outbox.LEASE, at)
            return
        error = connection.send(build(row, connection.settings.mail_from, url))
        with unit_of_work(engine) as session:
            if error is None:
                outbox.mark_sent(session, row.id, at)
                counts["sent"] += 1
            elif outbox.mark_failed(session, row.id, error, at) == "failed":
                counts["failed"] += 1
            else:
                counts["retrying"] += 1


class _Connection:
    """One SMTP connection, opened on the first send and again after the server dropped it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> str | None:
        """Send ``message``; the error as one line when it failed, else None."""
        try:
            if self.client is None:
                self.client = _connect(self.settings)
            self.client.send_message(message)
        except (smtplib.SMTPException, OSError) as e:
            if isinstance(e, smtplib.SMTPServerDisconnected | OSError):
                self.close()
            return f"{type(e).__name__}: {e}"
        return None

    def close(self) -> None:
        _close(self.client)
        self.client = None


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open SMTP connection, with STARTTLS and login when the settings ask for them."""
    client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    if settings.starttls:
        client.starttls()
    if settings.user:
        client.login(settings.user, settings.password or "")
    return client


def _close(client: smtplib.SMTP | None) -> None:
    """Close a connection that may already be broken."""
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
