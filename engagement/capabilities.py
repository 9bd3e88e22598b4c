"""Signed links: each a capability for exactly one action, never identity for anything else.

A link in a message (answer this week's pulse with a 4, stop these emails)
works without signing in, so what it carries must be unforgeable and narrow:

- it is signed with the organisation's secret by ``itsdangerous`` (HMAC-SHA256),
  so changing one character of it is refused;
- it is signed under a *purpose* (the signer's salt): a token made to
  unsubscribe cannot be replayed as a pulse answer, even with the same payload;
- it carries its own expiry instant, checked here on every use;
- being single use, where an action asks for it, is the caller's business (a
  table of used nonces), because only the caller knows what "used" means.

The secret is ``IB_SECRET_KEY`` from the environment (set it in production and
keep it out of the database's backups). Without it, a random secret is made on
first use and kept in the settings table, so every process of one deployment
agrees; anyone who can read the database can then forge links. Changing the
secret invalidates every link already sent.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Setting

SECRET_SETTING = "signing_secret"
REASONS = {
    "tampered": "This link is not valid. It may have been copied incompletely or changed.",
    "expired": "This link has expired.",
    "used": "This link has already been used.",
    "other_week": "This link is for a week whose pulse has closed.",
    "inactive": "This link belongs to an account that is no longer active.",
}


class LinkRefused(Exception):
    """A link that does not grant its action; ``reason`` is one of :data:`REASONS`, ``message`` says it plainly.

    The message never names the person or shows data: whoever holds a bad
    link learns only that it does not work, and why.
    """

    def __init__(self, reason: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        self.reason = reason
        self.message = REASONS[reason]
        super().__init__(self.message)


@dataclass(frozen=True)
class Opened:
    """What a valid link carries: its payload, and the instant it stops working."""

    payload: dict[str, Any]
    expires_at: datetime


def sign(session: Session, purpose: str, payload: dict[str, Any], expires_at: datetime) -> str:
    """A URL-safe token granting ``purpose`` with ``payload`` until ``expires_at``."""
    return signer(session, purpose)(payload, expires_at)


def signer(session: Session, purpose: str) -> Callable[[dict[str, Any], datetime], str]:
    """:func:`sign` for many links of one purpose, reading the secret once (the weekly invitations)."""
    serializer = _serializer(session, purpose)

    def sign_one(payload: dict[str, Any], expires_at: datetime) -> str:
        if "exp" in payload:
            raise ValueError("'exp' is the link's own expiry; choose another key")
        return serializer.dumps({**payload, "exp": int(expires_at.timestamp())})

    return sign_one


def open_link(session: Session, purpose: str, token: str, now: datetime) -> Opened:
    """The payload of a token signed for ``purpose``; :class:`LinkRefused` if it was altered or has expired."""
    try:
        body = _serializer(session, purpose).loads(token)
    except BadData:
        raise LinkRefused("tampered") from None
    if not isinstance(body, dict) or not isinstance(body.get("exp"), int):
        raise LinkRefused("tampered")
    expires_at = datetime.fromtimestamp(body.pop("exp"), UTC)
    if now >= expires_at:
        raise LinkRefused("expired")
    return Opened(body, expires_at)


def _serializer(session: Session, purpose: str) -> URLSafeSerializer:
    if not purpose:
        raise ValueError("a link needs a purpose")
    return URLSafeSerializer(
        secret(session), salt=f"impact-board/{purpose}", signer_kwargs={"digest_method": hashlib.sha256}
    )


def secret(session: Session) -> str:
    """``IB_SECRET_KEY``, else the stored secret, made once (two processes racing keep the first)."""
    configured = os.environ.get("IB_SECRET_KEY", "").strip()
    if configured:
        return configured
    stored = session.scalar(select(Setting.value).where(Setting.key == SECRET_SETTING))
    if stored:
        return stored
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(Setting)
        .values(key=SECRET_SETTING, value=secrets.token_urlsafe(48))
        .on_conflict_do_nothing(index_elements=["key"])
    )
    value = session.scalar(select(Setting.value).where(Setting.key == SECRET_SETTING))
    assert value is not None
    return value
