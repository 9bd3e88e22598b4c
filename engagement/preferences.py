"""Who gets which message, where, and when not: choices per kind, quiet hours, webhooks, unsubscribing.

- Each person chooses per kind of message: on or off, and the channel (email,
  or Slack or Teams through a webhook of their own). Without a choice, the
  organisation's default applies (admins set it per kind: a channel, or off).
- Quiet hours (in the person's own time zone) hold a message back until they end.
- Webhooks: a person's own (personal messages: invitations with their answer
  links, digests, decisions) or a team's (the team's weekly post only). A
  message with a person's links never goes to a shared channel.
- Unsubscribing works from a link in every message, without signing in: the
  link is a capability for exactly one action (turn this kind off for this
  person), see :mod:`engagement.capabilities`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from db.models import NotificationPreference, Person, QuietHours, Setting, Team, Webhook
from engagement import audit, capabilities, webhooks
from engagement.access import Actor, Role, require
from engagement.errors import NotFound, PermissionDenied, ValidationError

KINDS = {
    "pulse_invitation": "Weekly pulse invitation",
    "pulse_reminder": "One reminder if I have not answered the pulse",
    "agent_digest": "My weekly digest (points, team place, decisions)",
    "lead_digest": "Entries waiting for my approval (leads)",
    "manager_digest": "Morale alerts and response rates (managers)",
    "decision": "When an entry of mine is approved or rejected",
}
FOR_ROLES = {
    "pulse_invitation": frozenset(Role),
    "pulse_reminder": frozenset(Role),
    "agent_digest": frozenset({Role.AGENT, Role.LEAD}),
    "lead_digest": frozenset({Role.LEAD}),
    "manager_digest": frozenset({Role.MANAGER}),
    "decision": frozenset(Role),
}
CHANNELS = {"email": "Email", "slack": "Slack", "teams": "Microsoft Teams"}
OFF = "off"
DEFAULT_KEY = "notify.default.{kind}"
UNSUBSCRIBE = "unsubscribe"
UNSUBSCRIBE_LIFETIME = timedelta(days=400)
DEFAULT_PUBLIC_URL = "http://localhost:8501"


@dataclass(frozen=True)
class Choice:
    kind: str
    label: str
    enabled: bool
    channel: str
    chosen: bool  # False: the organisation's default applies


@dataclass(frozen=True, slots=True)
class Route:
    """Where one person's message of a kind goes: a channel, its recipient, and when it may go out."""

    channel: str
    recipient: str
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """What routing needs to know about a person."""

    person_id: int
    email: str
    zone: ZoneInfo


def public_url() -> str:
    """The dashboard's address as people reach it (IB_PUBLIC_URL), for links in messages."""
    return os.environ.get("IB_PUBLIC_URL", DEFAULT_PUBLIC_URL).strip().rstrip("/") or DEFAULT_PUBLIC_URL


def defaults(session: Session) -> dict[str, str]:
    """The organisation's default per kind: a channel, or ``off``."""
    keys = {DEFAULT_KEY.format(kind=kind): kind for kind in KINDS}
    stored = dict(session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all())
    return {kind: stored.get(key, "email") for key, kind in keys.items()}


def set_default(session: Session, actor: Actor, kind: str, value: str) -> None:
    """Set the default for a kind (admins): email, slack, teams or off; audited."""
    require(actor, Role.ADMIN)
    _check_kind(kind)
    if value != OFF and value not in CHANNELS:
        raise ValidationError.single("default", f"must be one of {', '.join([*CHANNELS, OFF])}, not {value!r}")
    key = DEFAULT_KEY.format(kind=kind)
    row = session.get(Setting, key)
    before = None if row is None else {"key": key, "value": row.value}
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    audit.record(session, actor, "setting.update", "setting", None, before, {"key": key, "value": value})


def set_defaults(session: Session, actor: Actor, values: dict[str, str]) -> None:
    """:func:`set_default` for several kinds in one transaction: all are saved, or none."""
    for kind, value in values.items():
        set_default(session, actor, kind, value)


def choices(session: Session, actor: Actor) -> list[Choice]:
    """The actor's own choice for each kind they can receive, the default filled in where they made none."""
    require(actor, *Role)
    if actor.person_id is None:
        return []
    mine = {
        row.kind: row
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.person_id == actor.person_id)
        )
    }
    fallback = defaults(session)
    own = set(
        session.scalars(select(Webhook.channel).where(Webhook.scope == "person", Webhook.owner_id == actor.person_id))
    )
    result = []
    for kind, label in KINDS.items():
        if actor.role not in FOR_ROLES[kind]:
            continue
        row = mine.get(kind)
        if row is not None:
            result.append(Choice(kind, label, row.enabled, row.channel, True))
        else:
            default = fallback[kind]
            # As routes() sends it: a default of Slack or Teams reaches only those with their own webhook.
            channel = default if default in own else "email"
            result.append(Choice(kind, label, default != OFF, channel, False))
    return result


def choose(session: Session, actor: Actor, kind: str, enabled: bool, channel: str) -> None:
    """Record the actor's own choice for ``kind``; Slack or Teams needs their own webhook for it first."""
    require(actor, *Role)
    if actor.person_id is None:
        raise ValidationError.single("person", "only people receive messages")
    _check_kind(kind)
    if actor.role not in FOR_ROLES[kind]:
        raise ValidationError.single("kind", f"{KINDS[kind].lower()} is not sent to your role")
    if channel not in CHANNELS:
        raise ValidationError.single("channel", f"must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if channel != "email" and webhook_url(session, "person", actor.person_id, channel) is None:
        raise ValidationError.single(
            "channel", f"add your own {CHANNELS[channel]} webhook first, then choose {CHANNELS[channel]}"
        )
    row = session.get(NotificationPreference, (actor.person_id, kind))
    before = None if row is None else {"kind": kind, "enabled": row.enabled, "channel": row.channel}
    if row is None:
        session.add(NotificationPreference(person_id=actor.person_id, kind=kind, enabled=enabled, channel=channel))
    else:
        row.enabled, row.channel = enabled, channel
    after = {"kind": kind, "enabled": enabled, "channel": channel}
    audit.record(session, actor, "notification.choose", "person", actor.person_id, before, after)


def choose_many(session: Session, actor: Actor, chosen: dict[str, tuple[bool, str]]) -> None:
    """:func:`choose` for several kinds (kind -> (enabled, channel)) in one transaction: all or none."""
    for kind, (enabled, channel) in chosen.items():
        choose(session, actor, kind, enabled, channel)


def quiet_hours(session: Session, actor: Actor) -> tuple[time, time] | None:
    require(actor, *Role)
    if actor.person_id is None:
        return None
    row = session.get(QuietHours, actor.person_id)
    return None if row is None else (row.starts, row.ends)


def set_quiet_hours(session: Session, actor: Actor, starts: time | None, ends: time | None) -> None:
    """Set (or, with None, clear) the actor's own quiet hours; ``starts`` after ``ends`` spans midnight."""
    require(actor, *Role)
    if actor.person_id is None:
        raise ValidationError.single("person", "only people receive messages")
    if (starts is None) != (ends is None):
        raise ValidationError.single("quiet_hours", "give both the start and the end, or neither")
    if starts is not None and starts == ends:
        raise ValidationError.single("quiet_hours", "the start and the end must differ")
    row = session.get(QuietHours, actor.person_id)
    before = None if row is None else {"starts": row.starts.isoformat(), "ends": row.ends.isoformat()}
    if starts is None or ends is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(QuietHours(person_id=actor.person_id, starts=starts, ends=ends))
    else:
        row.starts, row.ends = starts, ends
    after = None if starts is None or ends is None else {"starts": starts.isoformat(), "ends": ends.isoformat()}
    audit.record(session, actor, "notification.quiet_hours", "person", actor.person_id, before, after)


def quiet_until(window: tuple[time, time] | None, zone: ZoneInfo, now: datetime) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or None when ``now`` is not in them."""
    if window is None:
        return None
    starts, ends = window
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = starts <= clock < ends if starts < ends else clock >= starts or clock < ends
    if not inside:
        return None
    end_day = local.date() if clock < ends else local.date() + timedelta(days=1)
    end = datetime.combine(end_day, ends, zone)
    if end <= now:  # the end falls in the hour repeated when clocks go back, and now is past its first time
        end = end.replace(fold=1)
    return end.astimezone(now.tzinfo)


def routes(session: Session, kind: str, people: Sequence[Recipient], now: datetime) -> dict[int, Route]:
    """Where each person's message of ``kind`` goes at ``now``; people who turned it off are left out.

    Reads choices, quiet hours and webhooks for all of ``people`` in a few
    statements, so the weekly schedule costs the same per person at any size.
    """
    _check_kind(kind)
    fallback = defaults(session)[kind]
    ids = [p.person_id for p in people]
    chosen: dict[int, tuple[bool, str]] = {}
    quiet: dict[int, tuple[time, time]] = {}
    hooks: set[tuple[int, str]] = set()
    for chunk in _chunks(ids):
        chosen.update(
            (row.person_id, (row.enabled, row.channel))
            for row in session.execute(
                select(
                    NotificationPreference.person_id, NotificationPreference.enabled, NotificationPreference.channel
                ).where(NotificationPreference.kind == kind, NotificationPreference.person_id.in_(chunk))
            )
        )
        quiet.update(
            (row.person_id, (row.starts, row.ends))
            for row in session.execute(
                select(QuietHours.person_id, QuietHours.starts, QuietHours.ends).where(QuietHours.person_id.in_(chunk))
            )
        )
        hooks.update(
            (row.owner_id, row.channel)
            for row in session.execute(
                select(Webhook.owner_id, Webhook.channel).where(Webhook.scope == "person", Webhook.owner_id.in_(chunk))
            )
        )
    result = {}
    for person in people:
        enabled, channel = chosen.get(person.person_id, (fallback != OFF, fallback))
        if not enabled:
            continue
        if channel != "email" and (person.person_id, channel) not in hooks:
            channel = "email"  # a default of Slack reaches those who added a webhook; the rest by email
        recipient = person.email if channel == "email" else f"person:{person.person_id}"
        result[person.person_id] = Route(channel, recipient, quiet_until(quiet.get(person.person_id), person.zone, now))
    return result


def _chunks(ids: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError.single("kind", f"unknown kind of message {kind!r}")


# Webhooks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookInfo:
    """A webhook as the screens show it: whose, which channel, and only the host of its secret URL."""

    id: int
    scope: str
    owner_id: int
    owner: str
    channel: str
    host: str


def set_webhook(
    session: Session, actor: Actor, scope: str, owner_id: int, channel: str, url: str, now: datetime
) -> None:
    """Add or replace a webhook: a person's own (by that person), a team's (by an admin or the team's lead)."""
    _may_manage(actor, scope, owner_id)
    if channel not in webhooks.CHANNELS:
        raise ValidationError.single("channel", f"must be slack or teams, not {channel!r}")
    cleaned = webhooks.validate_url(channel, url)
    if scope == "team" and session.get(Team, owner_id) is None:
        raise NotFound(f"no team {owner_id}")
    row = session.scalars(
        select(Webhook).where(Webhook.scope == scope, Webhook.owner_id == owner_id, Webhook.channel == channel)
    ).first()
    # The URL is a secret: the audit log records that it changed and its host, not the URL.
    before = None if row is None else {"scope": scope, "owner_id": owner_id, "channel": channel, "host": _host(row.url)}
    if row is None:
        session.add(Webhook(scope=scope, owner_id=owner_id, channel=channel, url=cleaned, created_at=now))
    else:
        row.url, row.created_at = cleaned, now
    after = {"scope": scope, "owner_id": owner_id, "channel": channel, "host": _host(cleaned)}
    audit.record(session, actor, "webhook.set", scope, owner_id, before, after)


def remove_webhook(session: Session, actor: Actor, scope: str, owner_id: int, channel: str) -> None:
    _may_manage(actor, scope, owner_id)
    removed = session.execute(
        delete(Webhook)
        .where(Webhook.scope == scope, Webhook.owner_id == owner_id, Webhook.channel == channel)
        .returning(Webhook.id)
    ).first()
    if removed is None:
        raise NotFound(f"no {channel} webhook for this {scope}")
    if scope == "person":
        # Choices that used it go back to email rather than failing every week.
        session.execute(
            update(NotificationPreference)
            .where(NotificationPreference.person_id == owner_id, NotificationPreference.channel == channel)
            .values(channel="email")
            .execution_options(synchronize_session="fetch")
        )
    audit.record(session, actor, "webhook.remove", scope, owner_id, {"channel": channel}, None)


def webhook_list(session: Session, actor: Actor) -> list[WebhookInfo]:
    """Team webhooks (admins: all; leads: their team's) and the actor's own."""
    require(actor, *Role)
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    rows = session.scalars(select(Webhook).order_by(Webhook.scope, Webhook.owner_id, Webhook.channel)).all()
    shown = []
    for row in rows:
        mine = row.scope == "person" and row.owner_id == actor.person_id
        team_ok = row.scope == "team" and (
            actor.role is Role.ADMIN or (actor.role is Role.LEAD and row.owner_id == actor.team_id)
        )
        if mine or team_ok:
            owner = teams.get(row.owner_id, "?") if row.scope == "team" else "You"
            shown.append(WebhookInfo(row.id, row.scope, row.owner_id, owner, row.channel, _host(row.url)))
    return shown


def manageable_teams(session: Session, actor: Actor) -> dict[int, str]:
    """The teams whose channel the actor may set: every team for an admin, a lead's own, none for others."""
    require(actor, *Role)
    query = select(Team.id, Team.name).order_by(Team.name)
    if actor.role is Role.ADMIN:
        return dict(session.execute(query).all())
    if actor.role is Role.LEAD and actor.team_id is not None:
        return dict(session.execute(query.where(Team.id == actor.team_id)).all())
    return {}


def webhook_url(session: Session, scope: str, owner_id: int, channel: str) -> str | None:
    """The secret URL to deliver to (the sender's business only)."""
    return session.scalar(
        select(Webhook.url).where(Webhook.scope == scope, Webhook.owner_id == owner_id, Webhook.channel == channel)
    )


def team_webhooks(session: Session) -> list[tuple[int, str]]:
    """Every (team, channel) with a webhook, for the team's weekly post."""
    return [
        (row.owner_id, row.channel)
        for row in session.execute(select(Webhook.owner_id, Webhook.channel).where(Webhook.scope == "team"))
    ]


def _may_manage(actor: Actor, scope: str, owner_id: int) -> None:
    require(actor, *Role)
    if scope == "person":
        if actor.person_id != owner_id:
            raise PermissionDenied("you can only manage your own webhooks")
    elif scope == "team":
        if not (actor.role is Role.ADMIN or (actor.role is Role.LEAD and actor.team_id == owner_id)):
            raise PermissionDenied("only an admin or the team's lead manages a team's webhooks")
    else:
        raise ValidationError.single("scope", f"must be team or person, not {scope!r}")


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


# Unsubscribing ------------------------------------------------------------------------------------


def unsubscribe_signer(session: Session) -> Callable[[int, str, datetime], str]:
    """Make unsubscribe links for many people at once: ``make(person_id, kind, now) -> url``."""
    sign = capabilities.signer(session, UNSUBSCRIBE)
    base = public_url()

    def make(person_id: int, kind: str, now: datetime) -> str:
        return f"{base}/unsubscribe?t={sign({'p': person_id, 'k': kind}, now + UNSUBSCRIBE_LIFETIME)}"

    return make


def unsubscribe_url(session: Session, person_id: int, kind: str, now: datetime) -> str:
    """A link that turns ``kind`` off for this person, valid for :data:`UNSUBSCRIBE_LIFETIME`."""
    return unsubscribe_signer(session)(person_id, kind, now)


def preferences_url() -> str:
    return f"{public_url()}/account"


@dataclass(frozen=True)
class Unsubscribed:
    kind: str
    label: str


def unsubscribe(session: Session, token: str, now: datetime) -> Unsubscribed:
    """Turn one kind of message off for the person the link was made for; using it again changes nothing.

    Raises :class:`~engagement.capabilities.LinkRefused` for a link that was
    altered, has expired or belongs to someone who has left. Not audited by
    name: the audit log records the choice as the person's own.
    """
    opened = capabilities.open_link(session, UNSUBSCRIBE, token, now)
    person_id, kind = opened.payload.get("p"), opened.payload.get("k")
    if not isinstance(person_id, int) or kind not in KINDS:
        raise capabilities.LinkRefused("tampered")
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise capabilities.LinkRefused("inactive")
    row = session.get(NotificationPreference, (person_id, kind))
    if row is None:
        fallback = defaults(session)[kind]
        channel = "email" if fallback == OFF else fallback
        session.add(NotificationPreference(person_id=person_id, kind=kind, enabled=False, channel=channel))
    elif row.enabled:
        row.enabled = False
    else:
        return Unsubscribed(kind, KINDS[kind])
    audit.record(
        session,
        Actor.of(person),
        "notification.unsubscribe",
        "person",
        person_id,
        None,
        {"kind": kind, "enabled": False},
    )
    return Unsubscribed(kind, KINDS[kind])
