"""Email over SMTP for the outbox: settings from the environment, one message per row, one connection.

:mod:`engagement.delivery` claims the rows and records how each went; this
module builds each email (text and HTML, its row's Message-ID, one-click
unsubscribe) and sends it over one standard-library :mod:`smtplib` connection,
with STARTTLS and login when configured.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from db.models import OutboxMessage

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


class Connection:
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
