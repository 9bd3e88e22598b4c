"""Monthly rollup of approved results (kept by triggers) and an index for the approvals queue.

At 5 million results an impact report over all time, or a challenge's progress
per team, summed every approved row (seconds on SQLite). ``results_monthly``
holds the same sums per month, challenge and credited team, maintained by row
triggers on ``results`` in both stores, so every writer keeps it exact. The
admin's approvals queue reads pending entries oldest first and now stops after
one page instead of sorting every pending entry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHANGED = ("status", "quantity", "occurred_on", "team_id", "challenge_id")

SQLITE_MONTH = "strftime('%Y-%m-01', {row}.occurred_on)"
SQLITE_SUBTRACT = """
  UPDATE results_monthly SET quantity = quantity - OLD.quantity, results = results - 1
  WHERE {when} month = {month} AND challenge_id = OLD.challenge_id AND team_key = COALESCE(OLD.team_id, 0);
  DELETE FROM results_monthly
  WHERE {when} results = 0 AND month = {month} AND challenge_id = OLD.challenge_id AND team_key = COALESCE(OLD.team_id, 0);
"""
SQLITE_ADD = """
  INSERT INTO results_monthly (month, challenge_id, team_key, quantity, results)
  SELECT {month}, NEW.challenge_id, COALESCE(NEW.team_id, 0), NEW.quantity, 1 WHERE {when}
  ON CONFLICT (month, challenge_id, team_key)
  DO UPDATE SET quantity = quantity + excluded.quantity, results = results + excluded.results;
"""
SQLITE_TRIGGERS = (
    "CREATE TRIGGER tr_results_monthly_insert AFTER INSERT ON results WHEN NEW.status = 'approved' BEGIN"
    + SQLITE_ADD.format(month=SQLITE_MONTH.format(row="NEW"), when="1")
    + "END",
    "CREATE TRIGGER tr_results_monthly_delete AFTER DELETE ON results WHEN OLD.status = 'approved' BEGIN"
    + SQLITE_SUBTRACT.format(month=SQLITE_MONTH.format(row="OLD"), when="")
    + "END",
    f"CREATE TRIGGER tr_results_monthly_update AFTER UPDATE OF {', '.join(CHANGED)} ON results "
    "WHEN (OLD.status = 'approved' OR NEW.status = 'approved') AND ("
    + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CHANGED)
    + ") BEGIN"
    + SQLITE_SUBTRACT.format(month=SQLITE_MONTH.format(row="OLD"), when="OLD.status = 'approved' AND")
    + SQLITE_ADD.format(month=SQLITE_MONTH.format(row="NEW"), when="NEW.status = 'approved'")
    + "END",
)

PG_FUNCTION = """
CREATE FUNCTION results_monthly_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD.status = 'approved' THEN
      UPDATE results_monthly SET quantity = quantity - OLD.quantity, results = results - 1
      WHERE month = date_trunc('month', OLD.occurred_on)::date AND challenge_id = OLD.challenge_id
        AND team_key = COALESCE(OLD.team_id, 0);
      DELETE FROM results_monthly
      WHERE results = 0 AND month = date_trunc('month', OLD.occurred_on)::date AND challenge_id = OLD.challenge_id
        AND team_key = COALESCE(OLD.team_id, 0);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.status = 'approved' THEN
      INSERT INTO results_monthly AS m (month, challenge_id, team_key, quantity, results)
      VALUES (date_trunc('month', NEW.occurred_on)::date, NEW.challenge_id, COALESCE(NEW.team_id, 0), NEW.quantity, 1)
      ON CONFLICT (month, challenge_id, team_key)
      DO UPDATE SET quantity = m.quantity + EXCLUDED.quantity, results = m.results + EXCLUDED.results;
    END IF;
  END IF;
  RETURN NULL;
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER tr_results_monthly_insert AFTER INSERT ON results FOR EACH ROW "
    "WHEN (NEW.status = 'approved') EXECUTE FUNCTION results_monthly_apply()",
    "CREATE TRIGGER tr_results_monthly_delete AFTER DELETE ON results FOR EACH ROW "
    "WHEN (OLD.status = 'approved') EXECUTE FUNCTION results_monthly_apply()",
    f"CREATE TRIGGER tr_results_monthly_update AFTER UPDATE OF {', '.join(CHANGED)} ON results FOR EACH ROW "
    "WHEN ((OLD.status = 'approved' OR NEW.status = 'approved') AND "
    f"({', '.join('OLD.' + c for c in CHANGED)}) IS DISTINCT FROM ({', '.join('NEW.' + c for c in CHANGED)})) "
    "EXECUTE FUNCTION results_monthly_apply()",
)

BACKFILL = """
INSERT INTO results_monthly (month, challenge_id, team_key, quantity, results)
SELECT {month}, challenge_id, COALESCE(team_id, 0), SUM(quantity), COUNT(*)
FROM results WHERE status = 'approved'
GROUP BY {month}, challenge_id, COALESCE(team_id, 0)
"""


def upgrade() -> None:
    op.create_table(
        "results_monthly",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenges.id"], name=op.f("fk_results_monthly_challenge_id_challenges")
        ),
        sa.PrimaryKeyConstraint("month", "challenge_id", "team_key", name=op.f("pk_results_monthly")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("results_monthly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_results_monthly_challenge_team", ["challenge_id", "team_key", "quantity"], unique=False
        )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_results_pending_logged",
            ["logged_at", "id"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    if op.get_context().dialect.name == "postgresql":
        op.execute(BACKFILL.format(month="date_trunc('month', occurred_on)::date"))
        op.execute(PG_FUNCTION)
        for trigger in PG_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute(BACKFILL.format(month="strftime('%Y-%m-01', occurred_on)"))
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    for name in ("tr_results_monthly_insert", "tr_results_monthly_delete", "tr_results_monthly_update"):
        if op.get_context().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON results")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS results_monthly_apply()")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_results_pending_logged",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    with op.batch_alter_table("results_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_results_monthly_challenge_team")
    op.drop_table("results_monthly")
