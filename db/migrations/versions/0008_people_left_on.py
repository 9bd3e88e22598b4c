"""A person's leaving day, so the history of people who have left can be imported.

A results import refused every row of an inactive person, so a year of history
with one leaver in it could not be imported at all. ``people.left_on`` is the
last day of someone who has left: rows up to it are their history and import,
later rows are refused. People already inactive get the day (UTC) of the audit
entry that made them so, their deactivation or, for someone created inactive,
their creation; without either it stays NULL (the day is not known).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 02:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

people = sa.table("people", sa.column("id", sa.Integer), sa.column("active", sa.Boolean), sa.column("left_on", sa.Date))
audit_log = sa.table(
    "audit_log",
    sa.column("at", sa.DateTime),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    connection = op.get_bind()
    inactive = sa.select(people.c.id).where(people.c.active == sa.false())
    became_inactive = connection.execute(
        sa.select(audit_log.c.entity_id, sa.func.max(audit_log.c.at))
        .where(
            audit_log.c.entity == "person",
            audit_log.c.action.in_(("person.deactivate", "person.create")),
            audit_log.c.entity_id.in_(inactive),
        )
        .group_by(audit_log.c.entity_id)
    ).all()
    for person_id, at in became_inactive:
        connection.execute(sa.update(people).where(people.c.id == person_id).values(left_on=at.date()))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("left_on")
