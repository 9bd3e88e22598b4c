"""Company goals: a target of trees, volunteer hours, kWh or kg CO2e across challenges, for a period.

Progress is not stored (it is the Impact report's company total for the
goal's period); a retired goal keeps its row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 05:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "company_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "measure",
            sa.Enum(
                "trees_planted",
                "volunteer_hours",
                "kwh_saved",
                "kg_co2e_avoided",
                name="goal_measure",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("target > 0", name=op.f("ck_company_goals_target_positive")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_company_goals_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_goals")),
    )


def downgrade() -> None:
    op.drop_table("company_goals")
