"""Covering indexes: volunteering hours by activity and organisation, and the weekly pulse sums.

At 5 million results the Challenges page's breakdown of a volunteering
challenge looked up every approved row of the challenge in the table to read
its activity and organisation; the new partial index answers it alone. The
morale views read every team's weekly sums for a range of weeks; the week
index now carries the sums too.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SUMS = ["responses", "score_sum", "enps_answers", "promoters", "detractors"]


def upgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_results_ok_challenge_activity",
            ["challenge_id", "activity_type", "organisation", "quantity"],
            unique=False,
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )
    with op.batch_alter_table("pulse_weekly", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_weekly_week_team")
        batch_op.create_index("ix_pulse_weekly_week_team", ["week_start", "team_id", *SUMS], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pulse_weekly", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_weekly_week_team")
        batch_op.create_index("ix_pulse_weekly_week_team", ["week_start", "team_id"], unique=False)
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_results_ok_challenge_activity",
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )
