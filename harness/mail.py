"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests and the benchmark.

It can be stopped and started again on the same port, so a test can take the
server away in the middle of a run and bring it back.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from harness.servers import HOST, free_port


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts, parsed.

    ``delay`` (seconds) slows each acceptance down, so a test can stop the
    server or the sender while a run is in the middle of its messages.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 OK"

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to ``address``, in the order they arrived."""
        with self.lock:
            return [m for m in self.messages if str(m["To"]) == address]


class MailServer:
    """aiosmtpd on a free loopback port; ``env`` is what IB_SMTP_* must say to reach it."""

    def __init__(self, delay: float = 0.0) -> None:
        self.inbox = Inbox(delay)
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def env(self) -> dict[str, str]:
        return {"IB_SMTP_HOST": HOST, "IB_SMTP_PORT": str(self.port)}

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname=HOST, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def mail_server(delay: float = 0.0) -> Iterator[MailServer]:
    """A started :class:`MailServer` (each message accepted after ``delay`` seconds), stopped at the end."""
    server = MailServer(delay)
    server.start()
    try:
        yield server
    finally:
        server.stop()
