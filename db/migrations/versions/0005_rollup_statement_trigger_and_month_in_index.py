"""Monthly rollup: per-statement inserts on PostgreSQL, and its challenge index carries the month.

Row triggers cost a function call and an upsert for every inserted result: a
10,000-row import spent most of its time in them. The insert trigger now runs
once per statement over its transition table (SQLAlchemy sends imports in
batches of up to 1,000 rows), summing the new rows per month, challenge and
team before one upsert each. Updates and deletes stay row triggers (they are
few, and the update trigger only fires when a counted column changes). SQLite
has only row triggers, and they are cheap there.

The rollup's (challenge, team) index now carries the month as well, so impact
sums over any range of months and each challenge's progress per team are read
from the index in order and summed as they are read.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATEMENT_FUNCTION = """
CREATE FUNCTION results_monthly_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO results_monthly AS m (month, challenge_id, team_key, quantity, results)
  SELECT date_trunc('month', occurred_on)::date, challenge_id, COALESCE(team_id, 0), SUM(quantity), COUNT(*)
  FROM new_rows WHERE status = 'approved'
  GROUP BY 1, 2, 3
  ON CONFLICT (month, challenge_id, team_key)
  DO UPDATE SET quantity = m.quantity + EXCLUDED.quantity, results = m.results + EXCLUDED.results;
  RETURN NULL;
END
$$
"""
ROW_INSERT = (
    "CREATE TRIGGER tr_results_monthly_insert AFTER INSERT ON results FOR EACH ROW "
    "WHEN (NEW.status = 'approved') EXECUTE FUNCTION results_monthly_apply()"
)
STATEMENT_INSERT = (
    "CREATE TRIGGER tr_results_monthly_insert AFTER INSERT ON results REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION results_monthly_insert_rows()"
)


def _index(columns: list[str]) -> None:
    with op.batch_alter_table("results_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_results_monthly_challenge_team")
        batch_op.create_index("ix_results_monthly_challenge_team", columns, unique=False)


def upgrade() -> None:
    _index(["challenge_id", "team_key", "month", "quantity"])
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tr_results_monthly_insert ON results")
        op.execute(STATEMENT_FUNCTION)
        op.execute(STATEMENT_INSERT)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tr_results_monthly_insert ON results")
        op.execute("DROP FUNCTION results_monthly_insert_rows()")
        op.execute(ROW_INSERT)
    _index(["challenge_id", "team_key", "quantity"])
