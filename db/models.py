"""The store: typed SQLAlchemy models for Impact Board.

Constraints and indexes live here, named through one naming convention, so
Alembic's batch mode can rebuild SQLite tables without losing them.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC, on every engine.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` answers in the
    session zone; one rule for both keeps comparisons and audit times exact.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Role(enum.StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    MANAGER = "manager"
    ADMIN = "admin"


class WorkMode(enum.StrEnum):
    HOME = "home"
    CENTRE = "centre"


class Kind(enum.StrEnum):
    ENERGY = "energy"
    TREES = "trees"
    VOLUNTEERING = "volunteering"


class Status(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    VOIDED = "voided"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK on both engines."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class Site(Base):
    """A place people work from; ``region`` (a country, such as "United Kingdom") picks its impact factors.

    A site without a region, or whose region has no factor of its own for a
    kind, is converted with that kind's default factor.
    """

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region: Mapped[str | None] = mapped_column(String(60))


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    site: Mapped[Site | None] = relationship(lazy="joined")


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (Index("ix_people_team_active", "team_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    work_mode: Mapped[WorkMode] = mapped_column(_enum(WorkMode, "work_mode"), default=WorkMode.HOME)
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The last day of someone who has left (NULL while active, or if nobody recorded it):
    # results up to it are their history and import; later ones are refused.
    left_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    team: Mapped[Team | None] = relationship(lazy="joined")
    site: Mapped[Site | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class Membership(Base):
    """Which team a person belonged to, and from when.

    ``valid_from`` is inclusive, ``valid_to`` exclusive (NULL = still there), so a
    person is in exactly one team on any day their history covers.
    """

    __tablename__ = "team_memberships"
    __table_args__ = (
        Index("ix_team_memberships_person_from", "person_id", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Challenge(Base):
    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint("points_per_unit > 0", name="points_positive"),
        CheckConstraint("ends_on >= starts_on", name="window"),
        CheckConstraint("daily_cap IS NULL OR daily_cap > 0", name="cap_positive"),
        CheckConstraint("team_target IS NULL OR team_target > 0", name="target_positive"),
        CheckConstraint("auto_approve_up_to IS NULL OR auto_approve_up_to > 0", name="auto_approve_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "kind"))
    unit: Mapped[str] = mapped_column(String(20))
    points_per_unit: Mapped[float] = mapped_column(Float)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    daily_cap: Mapped[float | None] = mapped_column(Float)
    team_target: Mapped[float | None] = mapped_column(Float)
    auto_approve_up_to: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}


class Result(Base):
    """One logged quantity of one challenge by one person on one day.

    ``team_id`` is the team the person belonged to on ``occurred_on`` (from the
    membership history), kept on the row so leaderboards read one index instead
    of joining the history for every result.
    """

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("source", "ref"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(
            "ix_results_ok_challenge_day",
            "challenge_id",
            "occurred_on",
            "person_id",
            "team_id",
            "quantity",
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
        Index(
            "ix_results_ok_day",
            "occurred_on",
            "challenge_id",
            "person_id",
            "team_id",
            "quantity",
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
        Index("ix_results_person_day", "person_id", "occurred_on"),
        Index(
            "ix_results_pending_team",
            "team_id",
            "occurred_on",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # A volunteering challenge's hours by activity and organisation, from the index alone.
        Index(
            "ix_results_ok_challenge_activity",
            "challenge_id",
            "activity_type",
            "organisation",
            "quantity",
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
        # The approvals queue, oldest first: read in order, stop at the page size.
        Index(
            "ix_results_pending_logged",
            "logged_at",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # The week's decisions by a person, for the weekly digests ("decided since last time").
        Index(
            "ix_results_decided",
            "decided_at",
            sqlite_where=text("decided_by_id IS NOT NULL"),
            postgresql_where=text("decided_by_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    quantity: Mapped[float] = mapped_column(Float)
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[Status] = mapped_column(_enum(Status, "status"))
    organisation: Mapped[str | None] = mapped_column(String(100))
    activity_type: Mapped[str | None] = mapped_column(String(40))
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(40), default="manual", server_default="manual")
    ref: Mapped[str | None] = mapped_column(String(100))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    challenge: Mapped[Challenge] = relationship()

    __mapper_args__ = {"version_id_col": version}


class ResultsMonthly(Base):
    """Approved quantity per calendar month, challenge and credited team.

    Kept in step with ``results`` by database triggers (migration 0003), so no
    code path that writes results can forget it. Impact reports and challenge
    progress read these few hundred thousand rows instead of millions of
    results; a period that starts or ends mid-month reads its partial months
    from ``results``. ``team_key`` is the team's id, or 0 for results credited
    to no team. A future batch migration that rebuilds ``results`` on SQLite
    drops its triggers and must create them again.
    """

    __tablename__ = "results_monthly"
    __table_args__ = (
        # Per challenge and team, in that order, with each month's quantity: progress bars and
        # impact sums read it alone and aggregate while reading, without sorting.
        Index("ix_results_monthly_challenge_team", "challenge_id", "team_key", "month", "quantity"),
        {"sqlite_with_rowid": False},
    )

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), primary_key=True)
    team_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    quantity: Mapped[float] = mapped_column(Float)
    results: Mapped[int] = mapped_column(Integer)


class ImpactMonthly(Base):
    """Approved quantity per calendar month, credited team and kind: what impact reports need.

    The same sums as :class:`ResultsMonthly` without the challenge, about a
    fifth of its rows. Triggers on ``results_monthly`` keep it (migration
    0006), so it is exact whenever that rollup is. ``team_key`` as there.
    """

    __tablename__ = "impact_monthly"
    __table_args__ = ({"sqlite_with_rowid": False},)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    team_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "kind"), primary_key=True)
    quantity: Mapped[float] = mapped_column(Float)
    results: Mapped[int] = mapped_column(Integer)


class PulseResponse(Base):
    """One person's answer for one ISO week; a second answer replaces the first.

    ``team_id`` is the person's team when they answered: results stay with the
    team they describe even if the person moves later.
    """

    __tablename__ = "pulse_responses"
    __table_args__ = (
        UniqueConstraint("person_id", "week_start"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        CheckConstraint("enps IS NULL OR enps BETWEEN 0 AND 10", name="enps_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    week_start: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    enps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")


class PulseWeekly(Base):
    """Per team and week sums of pulse answers, kept in step with every answer.

    Morale views read these few thousand rows instead of every answer; nothing
    here identifies a person.
    """

    __tablename__ = "pulse_weekly"
    __table_args__ = (
        # Covering: a morale view of every team reads the index alone.
        Index(
            "ix_pulse_weekly_week_team",
            "week_start",
            "team_id",
            "responses",
            "score_sum",
            "enps_answers",
            "promoters",
            "detractors",
        ),
    )

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    responses: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[int] = mapped_column(Integer)
    enps_answers: Mapped[int] = mapped_column(Integer)
    promoters: Mapped[int] = mapped_column(Integer)
    detractors: Mapped[int] = mapped_column(Integer)


class PulseWeek(Base):
    """A closed pulse week: closed once, with the threshold its figures were settled under.

    Answers for a week listed here are refused, and its :class:`MoraleCell` rows
    never change, whatever later happens to thresholds, sites, teams or the zone.
    """

    __tablename__ = "pulse_weeks"

    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    threshold: Mapped[int] = mapped_column(Integer)


class MoraleCell(Base):
    """One group's published figures for one closed week: what every morale view reads.

    ``grouping`` is "team", "site" or "company" (``group_id`` 0); a team's
    ``site_id`` is its site when the week closed. A hidden cell holds its
    ``reason`` and no figures at all.
    """

    __tablename__ = "morale_cells"
    __table_args__ = (
        CheckConstraint(
            "(reason IS NULL) = (responses IS NOT NULL AND score_sum IS NOT NULL AND avg_score IS NOT NULL)",
            name="hidden_cells_hold_no_figures",
        ),
        CheckConstraint("reason IS NULL OR (enps IS NULL AND invited IS NULL)", name="hidden_cells_hold_nothing_else"),
        Index("ix_morale_cells_group", "grouping", "group_id", "week_start"),
    )

    grouping: Mapped[str] = mapped_column(String(8), primary_key=True)
    week_start: Mapped[date] = mapped_column(ForeignKey("pulse_weeks.week_start"), primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[int | None] = mapped_column(Integer)
    site_name: Mapped[str | None] = mapped_column(String(200))
    responses: Mapped[int | None] = mapped_column(Integer)
    score_sum: Mapped[int | None] = mapped_column(Integer)
    avg_score: Mapped[float | None] = mapped_column(Float)
    enps: Mapped[float | None] = mapped_column(Float)
    invited: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(20))


class ImpactFactor(Base):
    """A conversion factor with its provenance; :class:`ImpactFactorPeriod` says where and from when it applies."""

    __tablename__ = "impact_factors"
    __table_args__ = (CheckConstraint("value > 0", name="value_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "kind"))
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}


class ImpactFactorPeriod(Base):
    """From ``valid_from`` (the first day of a month) on, ``factor_id`` converts ``kind`` for ``region``'s sites.

    ``region`` is "" for the default: every site with no region, or no period
    of its own region covering the month. A period lasts until the next one
    of the same kind and region starts, so months before a new period keep
    the factor they had (migration 0010).
    """

    __tablename__ = "impact_factor_periods"
    __table_args__ = (UniqueConstraint("kind", "region", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "kind"))
    region: Mapped[str] = mapped_column(String(60))
    valid_from: Mapped[date] = mapped_column(Date)
    factor_id: Mapped[int] = mapped_column(ForeignKey("impact_factors.id"))


class Setting(Base):
    """Organisation-wide settings (time zone, anonymity threshold), one row each."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Account(Base):
    """A built-in login for a person: an argon2id hash, never the password."""

    __tablename__ = "accounts"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInSession(Base):
    """One built-in sign-in, kept across reloads and tabs until it expires or is ended.

    The browser holds a random 256-bit token; only its SHA-256 is stored, so
    a copy of the database lets nobody in. Signing out, a password change or
    reset and a deactivation set ``ended_at`` and ``end_reason``; an ended or
    expired row is never accepted again and stays as a record.
    """

    __tablename__ = "sign_in_sessions"
    __table_args__ = (Index("ix_sign_in_sessions_person_id_ended_at", "person_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))


class OutboxMessage(Base):
    """One message to send, written once in the transaction that caused it and sent at most once.

    ``UNIQUE (kind, audience, period)`` is what makes queuing idempotent: the
    same invitation, reminder, digest or decision is never queued twice.
    ``audience`` is ``person:<id>``, ``team:<id>`` (a team channel's post) or,
    for a pulse reminder, ``reminder:<keyed hash>``: a reminder keeps no person
    and its recipient is blanked once sent, so nobody can list who was reminded.
    ``message_id`` is made when the row is written, so a retry after a crash
    carries the same Message-ID and the receiving side can tell it apart. While
    a row is ``sending``, ``next_attempt_at`` is the end of the sender's lease
    (see :mod:`engagement.outbox`).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("kind", "audience", "period"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(80))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    unsubscribe_url: Mapped[str | None] = mapped_column(String(600))
    period: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationPreference(Base):
    """A person's choice for one kind of message: on or off, and the channel; absent means the default."""

    __tablename__ = "notification_preferences"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(20))


class QuietHours(Base):
    """When not to deliver to a person, in their own time zone; ``starts`` after ``ends`` spans midnight."""

    __tablename__ = "quiet_hours"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class Webhook(Base):
    """A team's or a person's Slack or Teams Workflows webhook; the URL is a secret, read only to deliver."""

    __tablename__ = "webhooks"
    __table_args__ = (
        UniqueConstraint("scope", "owner_id", "channel"),
        CheckConstraint("scope IN ('team', 'person')", name="scope"),
        CheckConstraint("channel IN ('slack', 'teams')", name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PulseLinkUse(Base):
    """That a person's one-click pulse links for a week were used (once), and the follow-up after it."""

    __tablename__ = "pulse_link_uses"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed logins per email, stored so a new tab or process does not reset them.

    Keyed by the email typed, whether or not an account exists, so the lockout
    itself does not tell an attacker which emails are real.
    """

    __tablename__ = "login_throttle"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who changed what, when, with the state before and after (JSON)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class GoalMeasure(enum.StrEnum):
    """What a company goal counts: one of the Impact report's company totals (``impact.ImpactRow`` fields)."""

    TREES = "trees_planted"
    VOLUNTEER_HOURS = "volunteer_hours"
    KWH = "kwh_saved"
    KG_CO2E = "kg_co2e_avoided"


class CompanyGoal(Base):
    """A goal across challenges: ``target`` of ``measure`` from ``starts_on`` to ``ends_on`` (inclusive).

    Progress is never stored: it is the Impact report's company total for the
    goal's period, read when shown. A retired goal is kept (its audit trail
    names it) and shown nowhere.
    """

    __tablename__ = "company_goals"
    __table_args__ = (
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("ends_on >= starts_on", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    measure: Mapped[GoalMeasure] = mapped_column(_enum(GoalMeasure, "goal_measure"))
    target: Mapped[float] = mapped_column(Float)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}
