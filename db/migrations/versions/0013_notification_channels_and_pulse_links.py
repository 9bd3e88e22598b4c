"""Reaching people: who a message is for, preferences, quiet hours, webhooks, one-click pulse answers.

- ``outbox.audience`` says who a message is for (``person:<id>``, ``team:<id>``
  or, for a pulse reminder, ``reminder:<keyed hash>``), and ``UNIQUE (kind,
  audience, period)`` replaces ``(kind, person_id, period)``: a reminder keeps
  no person, so nobody can list who was reminded, and a team post has none.
  Existing rows get ``person:<person_id>``.
  ``unsubscribe_url`` is the message's own one-click unsubscribe link.
- ``notification_preferences``: a person's choice per kind of message (on or
  off, and the channel); ``quiet_hours``: when not to deliver to them.
- ``webhooks``: a team's or a person's Slack or Teams Workflows webhook. The
  URL is a secret; it is read at delivery, never copied into the outbox.
- ``pulse_link_uses``: the one-click answer links of a person's week, used once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 17:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COLUMNS = (
    "id, kind, person_id, period, channel, recipient, subject, body_text, body_html, message_id, "
    "status, attempts, next_attempt_at, last_error, created_at, sent_at"
)


def _outbox(audience_key: bool) -> None:
    """Create ``outbox`` as of this revision (``audience_key``) or the one before.

    The table is written afresh rather than by a batch copy: a batch copy writes
    the constraints of SQLite's CREATE statement in set order, which differs from
    run to run, and restore accepts only a schema exactly as a fresh migration writes it.
    """
    extra = (
        [
            sa.Column("audience", sa.String(length=80), nullable=False),
            sa.Column("team_id", sa.Integer(), nullable=True),
            sa.Column("unsubscribe_url", sa.String(length=600), nullable=True),
            sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_outbox_team_id_teams")),
            sa.UniqueConstraint("kind", "audience", "period", name=op.f("uq_outbox_kind_audience_period")),
        ]
        if audience_key
        else [sa.UniqueConstraint("kind", "person_id", "period", name=op.f("uq_outbox_kind_person_id_period"))]
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=audience_key),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        *extra,
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_outbox_status")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_outbox_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    op.create_index(op.f("ix_outbox_status_next_attempt_at"), "outbox", ["status", "next_attempt_at"], unique=False)


def _set_aside() -> None:
    op.execute(sa.text("CREATE TABLE outbox_before AS SELECT * FROM outbox"))
    op.drop_index(op.f("ix_outbox_status_next_attempt_at"), table_name="outbox")
    op.drop_table("outbox")


def _restart_ids() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM outbox"
            )
        )


def upgrade() -> None:
    _set_aside()
    _outbox(audience_key=True)
    op.execute(
        sa.text(
            f"INSERT INTO outbox ({COLUMNS}, audience) "
            f"SELECT {COLUMNS}, 'person:' || CAST(person_id AS VARCHAR) FROM outbox_before"
        )
    )
    op.drop_table("outbox_before")
    _restart_ids()
    op.create_table(
        "notification_preferences",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_notification_preferences_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", "kind", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "quiet_hours",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_quiet_hours_person_id_people")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_quiet_hours")),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("scope IN ('team', 'person')", name=op.f("ck_webhooks_scope")),
        sa.CheckConstraint("channel IN ('slack', 'teams')", name=op.f("ck_webhooks_channel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("scope", "owner_id", "channel", name=op.f("uq_webhooks_scope_owner_id_channel")),
    )
    op.create_table(
        "pulse_link_uses",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("followed_up_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_pulse_link_uses_person_id_people")),
        sa.PrimaryKeyConstraint("person_id", "week_start", name=op.f("pk_pulse_link_uses")),
    )
    op.create_index(
        "ix_results_decided",
        "results",
        ["decided_at"],
        unique=False,
        sqlite_where=sa.text("decided_by_id IS NOT NULL"),
        postgresql_where=sa.text("decided_by_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_results_decided", table_name="results")
    op.drop_table("pulse_link_uses")
    op.drop_table("webhooks")
    op.drop_table("quiet_hours")
    op.drop_table("notification_preferences")
    _set_aside()
    _outbox(audience_key=False)
    op.execute(
        sa.text(
            f"INSERT INTO outbox ({COLUMNS}) SELECT {COLUMNS} FROM outbox_before "
            "WHERE person_id IS NOT NULL AND audience = 'person:' || CAST(person_id AS VARCHAR)"
        )
    )
    op.drop_table("outbox_before")
    _restart_ids()
