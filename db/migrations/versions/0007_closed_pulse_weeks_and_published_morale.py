"""Closed pulse weeks and the morale figures published for them, settled once.

Morale used to be recomputed from the weekly sums under the *current*
threshold, sites and time zone, so an ordinary admin change (threshold 5 -> 6,
a team moved to another site, the zone moved west) changed figures already
shown, and subtracting before from after revealed one person's answer. Now a
week is closed once (``pulse_weeks``) and every cell shown about it, hidden
ones included, is stored then (``morale_cells``) and only ever read back.

The audit log's per-answer rows ("pulse.answer" at midnight, between other
actions in id order) let a neighbouring row tell who answered; they are
deleted here and no longer written.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pulse_weeks",
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week_start", name=op.f("pk_pulse_weeks")),
    )
    op.create_table(
        "morale_cells",
        sa.Column("grouping", sa.String(length=8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("site_name", sa.String(length=200), nullable=True),
        sa.Column("responses", sa.Integer(), nullable=True),
        sa.Column("score_sum", sa.Integer(), nullable=True),
        sa.Column("avg_score", sa.Float(), nullable=True),
        sa.Column("enps", sa.Float(), nullable=True),
        sa.Column("invited", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "(reason IS NULL) = (responses IS NOT NULL AND score_sum IS NOT NULL AND avg_score IS NOT NULL)",
            name=op.f("ck_morale_cells_hidden_cells_hold_no_figures"),
        ),
        sa.CheckConstraint(
            "reason IS NULL OR (enps IS NULL AND invited IS NULL)",
            name=op.f("ck_morale_cells_hidden_cells_hold_nothing_else"),
        ),
        sa.ForeignKeyConstraint(
            ["week_start"], ["pulse_weeks.week_start"], name=op.f("fk_morale_cells_week_start_pulse_weeks")
        ),
        sa.PrimaryKeyConstraint("grouping", "week_start", "group_id", name=op.f("pk_morale_cells")),
    )
    op.create_index("ix_morale_cells_group", "morale_cells", ["grouping", "group_id", "week_start"])
    op.execute("DELETE FROM audit_log WHERE entity = 'pulse' AND action IN ('pulse.answer', 'pulse.replace')")


def downgrade() -> None:
    op.drop_index("ix_morale_cells_group", table_name="morale_cells")
    op.drop_table("morale_cells")
    op.drop_table("pulse_weeks")
