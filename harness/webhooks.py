"""A real HTTP server on loopback that keeps every POST it receives, standing in for Slack and Teams webhooks.

Tests post through a real socket and read what arrived, so the JSON on the
wire is what is checked, not a mocked call. ``status`` (and ``reply``) can be
changed while it runs, so a test can make the "service" fail with a 500 or a
429; like :class:`harness.mail.MailServer` it can be stopped and started again
on the same port. It logs nothing: the test output stays the test's.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.servers import HOST, free_port

POLL_SECONDS = 0.05  # how soon stop() returns


@dataclass(frozen=True)
class Received:
    """One POST: its path (query included), its JSON object (``{}`` if it was not one), headers in lower case."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    raw: bytes = b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: WebhookServer) -> None:
        self.owner = owner
        super().__init__((HOST, owner.port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-request is a test's business, not noise on stderr.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Records the POST, then answers with the owner's current status and reply (HTTP/1.0: one request each)."""

    server: _Server

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        owner = self.server.owner
        headers = {key.lower(): value for key, value in self.headers.items()}
        owner.record(Received(self.path, parsed if isinstance(parsed, dict) else {}, headers, raw))
        status, reply = owner.status, owner.reply.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line per request on stderr."""


class WebhookServer:
    """``http.server`` on a free loopback port in a daemon thread; ``received`` is every POST, in order."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.status = 200
        self.reply = "ok"  # what Slack answers; Teams Workflows answer 202 with no body
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/hook") -> str:
        """The address a test gives as the webhook URL; ``path`` tells one hook from another."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', not {path!r}")
        return f"http://{HOST}:{self.port}{path}"

    def record(self, received: Received) -> None:
        with self.lock:
            self.received.append(received)

    def bodies(self, path: str = "/hook") -> list[dict[str, Any]]:
        """The JSON bodies posted to ``path``, in the order they arrived."""
        with self.lock:
            return [r.body for r in self.received if r.path == path]

    def start(self) -> None:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


@contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    """A started :class:`WebhookServer`, stopped at the end."""
    server = WebhookServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
