"""Sign-in sessions kept on the server, replacing the account's session epoch.

A built-in sign-in used to live only in the browser tab's memory, so a reload
signed the person out, and ``accounts.session_epoch`` told an open tab that a
password change had ended it. Now each sign-in is a row (the SHA-256 of a
random token the browser keeps in a cookie, who, when it expires, when and why
it ended); a password change, reset or deactivation ends the person's rows, so
the epoch has nothing left to do.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 02:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_sign_in_sessions_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_sign_in_sessions_person_id_ended_at"), "sign_in_sessions", ["person_id", "ended_at"], unique=False
    )
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("session_epoch")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.drop_index(op.f("ix_sign_in_sessions_person_id_ended_at"), table_name="sign_in_sessions")
    op.drop_table("sign_in_sessions")
